"""An agency's integration: take on each account assigned to it, and report payments.

* ``sync_assignments`` follows the agency's event feed from where it stopped (kept in a
  small state file) and acknowledges every ``account.assigned`` account with the agency's
  own case number. The key ``ack:<account id>`` makes a re-run after a crash harmless.
* ``record_payments`` reports what the agency's payment processor collected; the
  processor's transaction id is the idempotency key, so a payment is never counted twice.
* Run as a program, it does both forever: new assignments as they happen (``events.stream``).

    export EVENLY_CLIENT_ID=… EVENLY_CLIENT_SECRET=… EVENLY_BASE_URL=http://127.0.0.1:8000
    python examples/agency_worker.py            # state in agency-worker.json
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import evenly


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

    def _after(self) -> str | None:
        if not self.state_path.exists():
            return None
        after: str | None = json.loads(self.state_path.read_text()).get("after")
        return after

    def _save(self, after: str) -> None:
        self.state_path.write_text(json.dumps({"after": after}))

    def acknowledge(self, event: evenly.Event) -> evenly.Account:
        account_id = event.data["account"]["id"]
        case_number = "CASE-" + account_id.removeprefix("acc_")[-8:].upper()
        return self.client.agency.acknowledge(
            account_id, agency_reference=case_number, idempotency_key=f"ack:{account_id}"
        )

    def sync_assignments(self) -> list[evenly.Account]:
        """Acknowledge what was assigned since the last run; the accounts taken on."""
        taken: list[evenly.Account] = []
        for event in self.client.events.list(after=self._after(), types=["account.assigned"]):
            taken.append(self.acknowledge(event))
            self._save(event.id)
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
        for event in self.client.events.stream(after=self._after(), types=["account.assigned"]):
            account = self.acknowledge(event)
            self._save(event.id)
            print(f"took on {account.reference} as {account.agency_reference}")


if __name__ == "__main__":
    with evenly.Evenly() as client:
        AgencyWorker(client, Path("agency-worker.json")).run_forever()
