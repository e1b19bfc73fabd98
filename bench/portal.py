"""Debtor portal benchmark, on PostgreSQL: the overview page, and debtors paying at once.

Run from the repository root::

    .venv/bin/python bench/portal.py [--n 200] [--debtors 200]

It creates a database ``evenly_bench_<random>``, migrates it, starts the hub
(``evenly-hub serve --no-migrate``, uvicorn) and drops the database afterwards. A sandbox
creditor's placements go to a sandbox agency. Portal sessions are made in process with the
hub's key (as the code step would make them), so the portal's per-address limits on asking
for codes do not stand in the way of one address playing many debtors.

(a) The overview page ``GET /p/<token>`` of a customer with 5 debts against the agency's
    ``account(reference:)`` GraphQL query for one debt, requests interleaved on keep-alive
    clients: p50 and p95, and the ratio of the p50s (target <= 3).
(b) ``--debtors`` debtors, each with one debt of 1 000.00 SEK, open their overview and pay
    100.00 SEK with the sandbox card 4242 4242 4242 4242, all at once; each sends the form
    twice (a double tap). Then the payments stored are counted: one SUCCEEDED ``PORTAL``
    payment per debtor, none lost, none doubled, every balance 900.00 SEK.
"""

# ruff: noqa: E402  (imports after the sys.path set-up that finds bench/ modules)

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from placement import (
    PLACE_MANY,
    _asyncpg_dsn,
    free_port,
    on_a_new_database,
    percentile,
    placement,
    start,
    wait_healthy,
)

from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from hub.services import portal_access as access
from hub.services import portal_prefs
from hub.services.context import ServiceContext
from hub.services.portal import create_portal_link
from hub.services.portal_payments import collector_principal
from hub.settings import Settings
from hub.store.migrate import upgrade

RATIO_TARGET = 3.0
ACCOUNT = """query($r: String!) { account(reference: $r) {
  id reference status dueDate balance { amountMinor currency } } }"""
_FIELD = re.compile(r'name="(csrf|account|attempt)" value="([^"]+)"')


class Debtor:
    """A debtor's cookies on one link: a session (past the code), a form secret, and the
    mark of a visit already counted (a browser keeps it for the visit)."""

    def __init__(self, ctx: ServiceContext, token: str, link: Any, account_id: str) -> None:
        self.url = f"/p/{token}"
        self.account_id = account_id
        secret = access.new_form_secret()
        self.cookies = (
            f"evenly_portal={access.new_session(ctx, link)}; evenly_form={secret}; "
            f"evenly_visit={portal_prefs.visit_mark(ctx, token)}"
        )


async def setup(ctx: ServiceContext, http: httpx.AsyncClient, n_payers: int) -> dict[str, Any]:
    """Sandbox organizations, a customer with 5 debts, ``n_payers`` customers with one, and a
    link (with a session) for each customer."""
    await upgrade(ctx.db.engine)
    tag = secrets.token_hex(3)
    creditor = await organization_service.create_organization(
        ctx,
        kind=OrganizationKind.CREDITOR,
        name=f"Bench creditor {tag}",
        country="SE",
        sandbox=True,
    )
    agency = await organization_service.create_organization(
        ctx, kind=OrganizationKind.AGENCY, name=f"Bench agency {tag}", country="SE", sandbox=True
    )
    await organization_service.create_routing_rule(
        ctx, creditor_id=creditor.organization_id, agency_id=agency.organization_id
    )

    async def token_of(client_id: str, client_secret: str) -> dict[str, str]:
        response = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, client_secret),
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    creditor_auth = await token_of(creditor.client_id, creditor.client_secret)
    agency_auth = await token_of(agency.client_id, agency.client_secret)
    five = [placement("PO5") for _ in range(5)]
    for item in five[1:]:
        item["customer"] = five[0]["customer"]
    payers = [placement("POP") for _ in range(n_payers)]
    placed = []
    for start_at in range(0, len(five) + len(payers), 500):
        chunk = (five + payers)[start_at : start_at + 500]
        response = await http.post(
            "/graphql",
            json={"query": PLACE_MANY, "variables": {"input": {"items": chunk}}},
            headers=creditor_auth,
        )
        results = response.json()["data"]["placeAccounts"]["results"]
        assert all(not r["userErrors"] for r in results), results[:3]
        placed += [r["account"] for r in results]
    principal = collector_principal(agency.organization_id, "AGENCY")

    async def debtor_for(account: dict[str, str]) -> Debtor:
        issued = await create_portal_link(ctx, principal, account["id"])
        return Debtor(ctx, issued.token, issued.link, account["id"])

    return {
        "agency_auth": agency_auth,
        "five": await debtor_for(placed[0]),
        "one_reference": placed[0]["reference"],
        "payers": [await debtor_for(a) for a in placed[5:]],
    }


async def overview_vs_graphql(
    http: httpx.AsyncClient, five: Debtor, auth: dict[str, str], reference: str, n: int
) -> tuple[list[float], list[float], int]:
    page_ms, gql_ms, weight = [], [], 0
    for i in range(n + 20):
        began = time.perf_counter()
        page = await http.get(five.url, headers={"Cookie": five.cookies})
        page_time = (time.perf_counter() - began) * 1000
        assert page.status_code == 200 and page.text.count('name="account"') == 5, page.text[:500]
        weight = len(page.content)
        began = time.perf_counter()
        answer = await http.post(
            "/graphql", json={"query": ACCOUNT, "variables": {"r": reference}}, headers=auth
        )
        gql_time = (time.perf_counter() - began) * 1000
        assert answer.json()["data"]["account"]["reference"] == reference
        if i >= 20:  # warm-up
            page_ms.append(page_time)
            gql_ms.append(gql_time)
    return page_ms, gql_ms, weight


async def pay_once(http: httpx.AsyncClient, debtor: Debtor) -> list[int]:
    """Open the overview, then send its pay form twice at once (a double tap)."""
    headers = {"Cookie": debtor.cookies}
    page = await http.get(debtor.url, headers=headers)
    fields = dict(_FIELD.findall(page.text))
    form = {**fields, "amount": "100.00", "card": "4242 4242 4242 4242"}
    posted = await asyncio.gather(
        *(http.post(f"{debtor.url}/pay", data=form, headers=headers) for _ in range(2))
    )
    return [p.status_code for p in posted]


async def stored_payments(url: str, account_ids: list[str]) -> dict[str, Any]:
    conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        rows = await conn.fetch(
            "SELECT account_id, status, channel, count(*) AS n FROM payments "
            "WHERE account_id = ANY($1::text[]) GROUP BY account_id, status, channel",
            account_ids,
        )
        balances = await conn.fetch(
            "SELECT balance_minor FROM accounts WHERE id = ANY($1::text[])", account_ids
        )
    finally:
        await conn.close()
    return {"rows": [dict(r) for r in rows], "balances": [r[0] for r in balances]}


async def measure(url: str, tmp: Path, processes: list[Any], args: argparse.Namespace) -> int:
    encryption_key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = Settings(data_dir=tmp, database_url=url, encryption_key=encryption_key)
    ctx = ServiceContext.from_settings(settings)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENLY_")}
    env |= {
        "EVENLY_DATABASE_URL": url,
        "EVENLY_DATA_DIR": str(tmp),
        "EVENLY_ENCRYPTION_KEY": encryption_key,
        "EVENLY_RATE_LIMIT_PER_SECOND": "1000000",
        "EVENLY_RATE_LIMIT_BURST": "1000000",
        "EVENLY_LOG_LEVEL": "WARNING",
    }
    await upgrade(ctx.db.engine)
    venv_bin = Path(sys.executable).parent
    argv = [str(venv_bin / "evenly-hub"), "serve", "--no-migrate", "--port", str(port)]
    hub = start("hub", argv, env, port, tmp)
    processes.append(hub.process)
    await asyncio.to_thread(wait_healthy, hub)
    limits = httpx.Limits(max_connections=args.debtors * 2, max_keepalive_connections=50)
    try:
        async with httpx.AsyncClient(base_url=hub.base_url, timeout=120, limits=limits) as http:
            ready = await setup(ctx, http, args.debtors)
            print("portal benchmark on PostgreSQL")
            page_ms, gql_ms, weight = await overview_vs_graphql(
                http, ready["five"], ready["agency_auth"], ready["one_reference"], args.n
            )
            ratio = statistics.median(page_ms) / statistics.median(gql_ms)
            print(
                f"(a) overview page, 5 debts: p50 {statistics.median(page_ms):.2f} ms, "
                f"p95 {percentile(page_ms, 0.95):.2f} ms (n={len(page_ms)}), "
                f"{weight} bytes of HTML"
            )
            print(
                f"    account(reference:) GraphQL: p50 {statistics.median(gql_ms):.2f} ms, "
                f"p95 {percentile(gql_ms, 0.95):.2f} ms"
            )
            print(f"    ratio overview/GraphQL p50: {ratio:.2f} (target <= {RATIO_TARGET})")

            payers: list[Debtor] = ready["payers"]
            began = time.perf_counter()
            statuses = await asyncio.gather(*(pay_once(http, d) for d in payers))
            took = time.perf_counter() - began
    finally:
        await ctx.db.dispose()
    stored = await stored_payments(url, [d.account_id for d in payers])
    succeeded = [r for r in stored["rows"] if r["status"] == "SUCCEEDED"]
    per_account = {r["account_id"]: r["n"] for r in succeeded if r["channel"] == "PORTAL"}
    answers = sorted({s for pair in statuses for s in pair})
    lost = len(payers) - len(per_account)
    doubled = sum(1 for n in per_account.values() if n > 1)
    others = sum(r["n"] for r in stored["rows"]) - sum(per_account.values())
    print(
        f"(b) {len(payers)} debtors paying at once, each form sent twice: {took:.2f} s, "
        f"answers {answers}"
    )
    print(
        f"    payments stored: {sum(per_account.values())} SUCCEEDED PORTAL for "
        f"{len(payers)} debtors; lost {lost}, duplicates {doubled}, other payments {others}; "
        f"balances {sorted(set(stored['balances']))}"
    )
    ok = (
        lost == 0
        and doubled == 0
        and others == 0
        and set(stored["balances"]) == {90000}
        and ratio <= RATIO_TARGET
    )
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="overview/GraphQL pairs timed")
    parser.add_argument("--debtors", type=int, default=200, help="debtors paying at once")
    args = parser.parse_args()
    return on_a_new_database(lambda url, tmp, processes: measure(url, tmp, processes, args))


if __name__ == "__main__":
    raise SystemExit(main())
