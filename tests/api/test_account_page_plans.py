"""Filtered account pages: the right accounts in newest-first order on every backend, and on
PostgreSQL a plan that reads the page from an index, whatever the size of the table."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.account import Account, Product
from hub.domain.money import Money
from hub.domain.placement import CustomerDetails, Placement
from hub.services import accounts as account_service
from hub.services import placement as placement_service
from hub.services.accounts import AccountFilter
from tests.conftest import Backend, explain_analyze, statements_of
from tests.scenario import Scenario

PAGE = 7
#: Of every 20 accounts, 17 Swedish, 2 Finnish and one Norwegian: the filters ask for the few.
COUNTRIES = ("SE",) * 17 + ("FI", "FI", "NO")


@dataclass
class Portfolio:
    creditor: Principal
    swedish: Principal
    finnish: Principal
    accounts: list[Account]


def _placement(country: str, n: int) -> Placement:
    return Placement(
        reference=f"INV-{uuid.uuid4().hex[:12]}",
        customer=CustomerDetails(
            reference=f"CUST-{uuid.uuid4().hex[:12]}",
            name="Test Customer",
            country=country,
            phone="+46701234567",
        ),
        original_amount=Money(1_000 + n, "SEK"),
        balance=Money(1_000 + n, "SEK"),
        due_date=dt.date(2026, 1, 1),
        product=Product.BNPL_INVOICE,
    )


async def _portfolio(backend: Backend, size: int, acknowledged_every: int) -> Portfolio:
    """``size`` accounts over three countries (SE and NO routed to one agency, FI to
    another); every ``acknowledged_every``-th account acknowledged."""
    s = Scenario(backend.services, dt.datetime.now(dt.UTC))
    creditor = await s.organization(OrganizationKind.CREDITOR)
    swedish = await s.organization(OrganizationKind.AGENCY)
    finnish = await s.organization(OrganizationKind.AGENCY, "FI")
    await s.route(creditor, swedish, "SE")
    await s.route(creditor, finnish, "FI")
    await s.route(creditor, swedish, "NO")
    for start in range(0, size, 500):
        batch = [
            _placement(COUNTRIES[n % len(COUNTRIES)], n)
            for n in range(start, min(size, start + 500))
        ]
        outcomes = await placement_service.place_accounts(s.at(0), creditor, batch)
        assert all(not o.problems for o in outcomes)
    placed = await account_service.list_accounts(
        s.ctx, creditor, AccountFilter(), before_id=None, limit=size
    )
    for n, account in enumerate(placed):
        if n % acknowledged_every == 0:
            agency = swedish if account.agency_id == swedish.organization_id else finnish
            await account_service.acknowledge_placement(
                s.ctx, agency, account.id, agency_reference=None
            )
    accounts = await account_service.list_accounts(
        s.ctx, creditor, AccountFilter(), before_id=None, limit=size
    )
    return Portfolio(creditor, swedish, finnish, accounts)


def _shapes(p: Portfolio) -> list[tuple[str, Principal, AccountFilter]]:
    """Every documented filter shape, as the creditor and as an agency."""
    agency = p.finnish.organization_id
    some = p.accounts[len(p.accounts) // 2].reference
    return [
        ("no filter", p.creditor, AccountFilter()),
        ("one status", p.creditor, AccountFilter(statuses=["ACKNOWLEDGED"])),
        ("statuses", p.creditor, AccountFilter(statuses=["ACKNOWLEDGED", "RECALLED"])),
        ("country", p.creditor, AccountFilter(country="FI")),
        ("status and country", p.creditor, AccountFilter(statuses=["PLACED"], country="NO")),
        ("agency", p.creditor, AccountFilter(agency_id=agency)),
        (
            "status and agency",
            p.creditor,
            AccountFilter(statuses=["ACKNOWLEDGED"], agency_id=agency),
        ),
        ("reference", p.creditor, AccountFilter(reference=some)),
        ("agency: status", p.finnish, AccountFilter(statuses=["ACKNOWLEDGED"])),
        ("agency: country", p.swedish, AccountFilter(country="NO")),
        ("agency: statuses", p.swedish, AccountFilter(statuses=["PLACED", "ACKNOWLEDGED"])),
    ]


def _matches(account: Account, principal: Principal, f: AccountFilter) -> bool:
    owner = account.creditor_id if principal.is_creditor else account.agency_id
    return (
        owner == principal.organization_id
        and (not f.statuses or account.status.value in f.statuses)
        and (f.agency_id is None or account.agency_id == f.agency_id)
        and (f.country is None or account.country == f.country)
        and (f.reference is None or account.reference == f.reference)
    )


async def test_filtered_pages_are_the_matching_accounts_newest_first(backend: Backend) -> None:
    p = await _portfolio(backend, 120, acknowledged_every=3)
    for name, principal, f in _shapes(p):
        expected = [a.id for a in p.accounts if _matches(a, principal, f)]
        assert expected, name
        seen: list[str] = []
        before: str | None = None
        while True:
            page = await account_service.list_accounts(
                backend.services, principal, f, before_id=before, limit=PAGE
            )
            seen += [a.id for a in page]
            if len(page) < PAGE:
                break
            before = page[-1].id
        assert seen == expected, name


def _scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if plan.get("Relation Name") == "accounts":
        yield plan
    for child in plan.get("Plans", []):
        yield from _scans(child)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_each_filtered_page_is_an_index_scan_bounded_by_the_page(backend: Backend) -> None:
    p = await _portfolio(backend, 3_000, acknowledged_every=23)
    async with backend.services.db.read() as conn:
        await conn.exec_driver_sql("ANALYZE accounts")
    for name, principal, f in _shapes(p):
        with statements_of(backend) as seen:
            await account_service.list_accounts(
                backend.services, principal, f, before_id=None, limit=PAGE
            )
        [(statement, parameters)] = [s for s in seen if "FROM accounts" in s[0]]
        plan = await explain_analyze(backend, statement, parameters)
        scans = list(_scans(plan))
        assert scans, name
        for scan in scans:
            assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), (name, scan)
            # What the scan read, kept or not: a page and a little (the planner may walk
            # the owner's index past a few rows when nearly all of them match).
            read = scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0)
            assert read <= 2 * PAGE, (name, scan)
