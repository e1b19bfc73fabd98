"""Test clock benchmark: advancing clocks 90 days over accounts on weekly plans against the
same number of payments recorded through the API, at the same concurrency, on PostgreSQL.

Run from the repository root (on a throwaway cluster)::

    .venv/bin/python -m tests.postgres_cluster .venv/bin/python bench/sandbox.py \
        [--accounts 1000] [--concurrency 4]

It creates a database ``evenly_bench_<random>``, migrates it, starts ``evenly-hub serve
--no-worker`` (so only the requests below advance the clocks), a sandbox creditor and a
simulated sandbox agency (every account on its ``manual`` scenario: no steps, so what the
clocks do is the plans' work), and drops and stops everything afterwards.

- set-up (not timed): ``--concurrency`` test clocks, ``--accounts`` accounts placed on them
  (an equal share each) and as many on no clock; every account acknowledged and on a
  weekly plan of 20 installments (created through the use cases, in process);
- clocks: ``--concurrency`` requests at once, each ``advanceTestClock(by: "P90D", wait:
  true)`` on its own clock, then ``testClock`` polled until every clock is ``READY``: 90
  daily halts per clock, with every plan broken after its grace period on its simulated
  day (one ``payment_plan.broken`` per account, dated at the clock);
- payments (the raw baseline, in the same run): one ``recordPayment`` (an installment) for
  each account on no clock, ``--concurrency`` at a time, through the same server.

It prints both times and their ratio (clocks / payments; target <= 1.5).
"""

# ruff: noqa: E402  (imports after the sys.path set-up that finds bench/ modules)

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from placement import PLACE_MANY, free_port, on_a_new_database, placement, start, wait_healthy

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.money import Money
from hub.domain.payment_plan import Cadence
from hub.services import accounts as account_service
from hub.services import organizations as organization_service
from hub.services import plans, test_clocks
from hub.services.context import ServiceContext
from hub.settings import Settings
from hub.store.migrate import upgrade

TARGET = 1.5
START = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
INSTALLMENT = Money(5000, "SEK")  # 20 weekly installments of a 1,000.00 SEK balance
ADVANCE = """mutation($input: AdvanceTestClockInput!) {
  advanceTestClock(input: $input) { testClock { id status } userErrors { code message } } }"""
CLOCK = "query($id: ID!) { testClock(id: $id) { status frozenTime } }"
PAY = """mutation($input: RecordPaymentInput!) {
  recordPayment(input: $input) { payment { id } userErrors { code message } } }"""


class Client:
    def __init__(self, base_url: str, client_id: str, secret: str, concurrency: int) -> None:
        token = httpx.post(
            f"{base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
        ).json()["access_token"]
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            timeout=120,
        )

    async def run(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        if response.status_code != 200 or "errors" in body:
            raise RuntimeError(f"{response.status_code}: {body}")
        [payload] = body["data"].values()
        result: dict[str, Any] = payload
        if result and result.get("userErrors"):
            raise RuntimeError(f"userErrors: {result['userErrors']}")
        return result


async def prepare(settings: Settings, accounts: int, clocks: int) -> dict[str, Any]:
    ctx = ServiceContext.from_settings(settings)
    try:
        await upgrade(ctx.db.engine)
        creditor = await organization_service.create_organization(
            ctx, kind=OrganizationKind.CREDITOR, name="Clock creditor", country="SE", sandbox=True
        )
        agency = await organization_service.create_organization(
            ctx,
            kind=OrganizationKind.AGENCY,
            name="Clock agency",
            country="SE",
            sandbox=True,
            simulated=True,
        )
        await organization_service.create_routing_rule(
            ctx, creditor_id=creditor.organization_id, agency_id=agency.organization_id
        )
        as_creditor = Principal(
            "bench", creditor.organization_id, OrganizationKind.CREDITOR, frozenset()
        )
        clock_ids = [
            (await test_clocks.create_test_clock(ctx, as_creditor, START, f"bench-{n}")).id
            for n in range(clocks)
        ]
    finally:
        await ctx.db.dispose()
    return {"creditor": creditor, "agency": agency, "clocks": clock_ids}


async def place(creditor: Client, count: int, clock_id: str | None) -> list[str]:
    ids: list[str] = []
    while len(ids) < count:
        items = []
        for _ in range(min(500, count - len(ids))):
            item = placement("CLK")
            item["metadata"] = {"sandboxScenario": "manual"}
            if clock_id is not None:
                item["testClockId"] = clock_id
            items.append(item)
        placed = await creditor.run(PLACE_MANY, {"input": {"items": items}})
        ids += [r["account"]["id"] for r in placed["results"]]
    return ids


async def on_plans(settings: Settings, agency_id: str, ids: list[str], concurrency: int) -> None:
    """Acknowledge every account and put it on a weekly plan (in process, not timed)."""
    ctx = ServiceContext.from_settings(settings)
    agency = Principal("bench", agency_id, OrganizationKind.AGENCY, frozenset())
    queue = list(ids)

    async def work() -> None:
        while queue:
            account_id = queue.pop()
            await account_service.acknowledge_placement(
                ctx, agency, account_id, agency_reference=f"B-{account_id[-8:]}"
            )
            account = await account_service.get_account(ctx, agency, account_id)
            assert account is not None
            today = account.placed_at.date()
            await plans.create_payment_plan(
                ctx,
                agency,
                account_id,
                cadence=Cadence.WEEKLY,
                start_date=today + dt.timedelta(days=7),
                installment_amount=INSTALLMENT,
                installments=None,
            )

    try:
        await asyncio.gather(*(work() for _ in range(concurrency * 2)))
    finally:
        await ctx.db.dispose()


async def advance_all(creditor: Client, clock_ids: list[str]) -> float:
    started = time.perf_counter()

    async def one(clock_id: str) -> None:
        await creditor.run(ADVANCE, {"input": {"id": clock_id, "by": "P90D", "wait": True}})
        for _ in range(6000):  # the hub waits 25 s a request; poll past that, 10 min at most
            if (await creditor.run(CLOCK, {"id": clock_id}))["status"] == "READY":
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"clock {clock_id} not ready after 10 minutes")

    await asyncio.gather(*(one(c) for c in clock_ids))
    return time.perf_counter() - started


async def pay_all(agency: Client, ids: list[str], concurrency: int) -> float:
    queue = list(ids)
    received = dt.datetime.now(dt.UTC).isoformat()
    started = time.perf_counter()

    async def work() -> None:
        while queue:
            account_id = queue.pop()
            await agency.run(
                PAY,
                {
                    "input": {
                        "accountId": account_id,
                        "amount": {"amountMinor": INSTALLMENT.amount_minor, "currency": "SEK"},
                        "method": "CARD",
                        "channel": "AGENCY",
                        "receivedAt": received,
                    }
                },
            )

    await asyncio.gather(*(work() for _ in range(concurrency)))
    return time.perf_counter() - started


async def measure(args: argparse.Namespace, url: str, tmp: Path, processes: list[Any]) -> int:
    settings = Settings(
        data_dir=tmp,
        database_url=url,
        encryption_key=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    orgs = await prepare(settings, args.accounts, args.concurrency)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    env.update(
        EVENLY_DATABASE_URL=url,
        EVENLY_DATA_DIR=str(tmp),
        EVENLY_ENCRYPTION_KEY=settings.encryption_key,
        EVENLY_LOG_LEVEL="WARNING",
        EVENLY_RATE_LIMIT_PER_SECOND="1000000",
        EVENLY_RATE_LIMIT_BURST="1000000",
    )
    argv = [str(Path(sys.executable).parent / "evenly-hub"), "serve", "--no-migrate", "--no-worker"]
    hub = start("hub", [*argv, "--port", str(port)], env, port, tmp)
    processes.append(hub.process)
    wait_healthy(hub)
    base = hub.base_url
    creditor = Client(base, orgs["creditor"].client_id, orgs["creditor"].client_secret, 16)
    agency = Client(base, orgs["agency"].client_id, orgs["agency"].client_secret, 16)
    share = args.accounts // args.concurrency
    clocked: list[str] = []
    for clock_id in orgs["clocks"]:
        clocked += await place(creditor, share, clock_id)
    unclocked = await place(creditor, len(clocked), None)
    await on_plans(settings, orgs["agency"].organization_id, clocked + unclocked, args.concurrency)
    print(
        f"{len(clocked)} accounts on {len(orgs['clocks'])} clocks, {len(unclocked)} on none; "
        f"weekly plans; concurrency {args.concurrency}"
    )
    clocks_s = await advance_all(creditor, orgs["clocks"])
    payments_s = await pay_all(agency, unclocked, args.concurrency)
    ratio = clocks_s / payments_s
    print(f"clocks:   advance 90 days over {len(clocked)} accounts in {clocks_s:.2f} s")
    print(f"payments: {len(unclocked)} recordPayment in {payments_s:.2f} s")
    verdict = "ok" if ratio <= TARGET else "ABOVE TARGET"
    print(f"ratio clocks/payments: {ratio:.2f} (target <= {TARGET}) {verdict}")
    await creditor.http.aclose()
    await agency.http.aclose()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument(
        "--concurrency", type=int, default=4, help="clocks advanced at once = payments at once"
    )
    args = parser.parse_args()
    if not 1 <= args.concurrency <= 10:
        parser.error("--concurrency is 1 to 10 (an organization has at most 10 test clocks)")
    return on_a_new_database(lambda url, tmp, processes: measure(args, url, tmp, processes))


if __name__ == "__main__":
    raise SystemExit(main())
