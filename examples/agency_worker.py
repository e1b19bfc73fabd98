"""An agency's integration: take on each account assigned to it, and report payments.

* ``sync_assignments`` follows the agency's event feed from where it stopped (kept in a
  small state file) and acknowledges every ``account.assigned`` account with the agency's
  own case number. The key ``ack:<account id>`` makes a re-run after a crash harmless.
  The feed is history: by the time the worker reads an assignment the account may have been
  recalled, acknowledged by someone else, or closed. Such an account is logged and skipped
  (the hub refuses the move with ``INVALID_STATE_TRANSITION`` or ``ACCOUNT_CLOSED``), and
  the saved position moves past it, so a restart never stops at the same event again.
* ``record_payments`` reports what the agency's payment processor collected; the
  processor's transaction id is the idempotency key, so a payment is never counted twice.
* Run as a program, it does both forever: new assignments as they happen (``events.stream``).

    export EVENLY_CLIENT_ID=… EVENLY_CLIENT_SECRET=… EVENLY_BASE_URL=http://127.0.0.1:8000
    python examples/agency_worker.py            # state in agency-worker.json
    python examples/agency_worker.py --once --state /var/lib/agency/feed.json  # catch up, exit
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import evenly

log = logging.getLogger("agency_worker")
# What the hub answers when the account cannot be acknowledged any more: move on.
NO_LONGER_PLACED = frozenset({"INVALID_STATE_TRANSITION", "ACCOUNT_CLOSED", "NOT_FOUND"})


@dataclass(frozen=True)
class ProcessorPayment:
    """A payment as the agency's payment processor reports it."""

    transaction_id: str
    account_id: str
    amount_minor: int
    currency: str
    method: str  # CARD, BANK_TRANSFER, DIRECT_DEBIT, MOBILE_WALLET, CASH, OTHER
    received_at: dt.datetime
    self_service: bool = True  # paid in the agency's portal


class AgencyWorker:
    def __init__(self, client: evenly.Evenly, state_path: Path) -> None:
        self.client = client
        self.state_path = state_path

    def position(self) -> str | None:
        """The id of the last assignment event handled (None: from the start of the feed)."""
        if not self.state_path.exists():
            return None
        after: str | None = json.loads(self.state_path.read_text()).get("after")
        return after

    def _save(self, after: str) -> None:
        self.state_path.write_text(json.dumps({"after": after}))

    def acknowledge(self, event: evenly.Event) -> evenly.Account | None:
        """Take on the assigned account; None (logged) if it is no longer ``PLACED``."""
        account_id = event.data["account"]["id"]
        case_number = "CASE-" + account_id.removeprefix("acc_")[-8:].upper()
        try:
            return self.client.agency.acknowledge(
                account_id, agency_reference=case_number, idempotency_key=f"ack:{account_id}"
            )
        except (evenly.UserError, evenly.NotFoundError) as error:
            if error.code not in NO_LONGER_PLACED:
                raise
            log.warning("skipped %s (%s): %s", account_id, error.code, error.message)
            return None

    def take_on(self, event: evenly.Event) -> evenly.Account | None:
        """Acknowledge one assignment and move the saved position past it, either way."""
        account = self.acknowledge(event)
        self._save(event.id)
        return account

    def sync_assignments(self) -> list[evenly.Account]:
        """Acknowledge what was assigned since the last run; the accounts taken on."""
        taken: list[evenly.Account] = []
        for event in self.client.events.list(after=self.position(), types=["account.assigned"]):
            account = self.take_on(event)
            if account is not None:
                taken.append(account)
        return taken

    def record_payments(self, payments: Iterable[ProcessorPayment]) -> list[evenly.PaymentResult]:
        results = []
        for p in payments:
            results.append(
                self.client.agency.record_payment(
                    p.account_id,
                    amount={"amount_minor": p.amount_minor, "currency": p.currency},
                    method=p.method,
                    channel="PORTAL" if p.self_service else "AGENCY",
                    received_at=p.received_at,
                    idempotency_key=f"pay:{p.transaction_id}",
                )
            )
        return results

    def run_forever(self) -> None:
        self.sync_assignments()
        for event in self.client.events.stream(after=self.position(), types=["account.assigned"]):
            account = self.take_on(event)
            if account is not None:
                log.info("took on %s as %s", account.reference, account.agency_reference)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Acknowledge the accounts assigned to you.")
    parser.add_argument("--state", type=Path, default=Path("agency-worker.json"))
    parser.add_argument("--once", action="store_true", help="Catch up with the feed, then exit.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with evenly.Evenly() as client:
        worker = AgencyWorker(client, args.state)
        if args.once:
            taken = worker.sync_assignments()
            log.info("took on %d account(s); position %s", len(taken), worker.position())
        else:
            worker.run_forever()


if __name__ == "__main__":
    main()
