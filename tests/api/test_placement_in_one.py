"""PostgreSQL: a single placement is read, then written in one statement that commits on its
own; when that cannot be (a reference or a customer placed meanwhile, a split rule), nothing
is written and it is placed in a transaction, with the same result."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.account import Product
from hub.domain.money import Money
from hub.domain.placement import CustomerDetails, Placement
from hub.services.placement import place_accounts
from hub.store.placements import NotInOneStatement, Placements
from hub.store.tables import accounts, customers, events
from hub.store.writes import Write
from tests.conftest import Backend, Caller, statements_of


def _placement(customer: str | None = None, name: str = "Astrid Lindqvist") -> Placement:
    tag = uuid.uuid4().hex[:10]
    return Placement(
        reference=f"ONE-{tag}",
        customer=CustomerDetails(customer or f"ONE-C-{tag}", name, "SE", "astrid@example.com"),
        original_amount=Money(125000, "SEK"),
        balance=Money(100000, "SEK"),
        due_date=dt.date(2026, 9, 30),
        product=Product.BNPL_INVOICE,
        metadata={"order": "ORD-1"},
    )


def _principal(creditor: Caller) -> Principal:
    return Principal(
        creditor.client_id, creditor.organization_id, OrganizationKind.CREDITOR, frozenset()
    )


@pytest.fixture
def postgres(backend: Backend) -> Backend:
    if backend.name != "postgresql":
        pytest.skip("SQLite places every batch in a transaction")
    return backend


async def _rows(backend: Backend, table: sa.Table, **where: Any) -> list[Any]:
    async with backend.services.store.read() as uow:
        found = await uow.conn.execute(
            sa.select(table).where(*(table.c[k] == v for k, v in where.items()))
        )
        return list(found.mappings())


async def test_a_single_placement_is_one_read_and_one_write(
    postgres: Backend, routed: tuple[Caller, Caller]
) -> None:
    creditor, agency = routed
    ctx, principal = postgres.services, _principal(creditor)
    await place_accounts(ctx, principal, [_placement()])  # the creditor is cached from now on
    with statements_of(postgres) as seen:
        [outcome] = await place_accounts(ctx, principal, [_placement()])
    assert outcome.account is not None and outcome.account.agency_id == agency.organization_id
    assert len(seen) == 2, [s for s, _ in seen]
    assert not any(s.strip().upper().startswith(("BEGIN", "COMMIT")) for s, _ in seen)
    assert len(await _rows(postgres, events, account_id=outcome.account.id)) == 2


async def test_a_customer_placed_between_read_and_write_refuses_the_write(
    postgres: Backend, creditor: Caller
) -> None:
    ctx, principal = postgres.services, _principal(creditor)
    p = _placement(name="Planned Name")
    async with ctx.store.change() as uow:
        planned = await uow.placements.plan_one(creditor.organization_id, p, ctx.clock())
    other = dataclasses.replace(_placement(p.customer.reference, "First Name"))
    [first] = await place_accounts(ctx, principal, [other])
    with pytest.raises(NotInOneStatement):
        async with ctx.store.change() as uow:
            await uow.placements.write_one(planned, Write())
    assert (
        await _rows(postgres, accounts, creditor_id=creditor.organization_id, reference=p.reference)
        == []
    )
    [stored] = await _rows(postgres, customers, id=first.customer.id)  # type: ignore[union-attr]
    assert stored["updated_at"] == first.customer.updated_at  # type: ignore[union-attr]


async def test_a_reference_placed_between_read_and_write_refuses_the_write(
    postgres: Backend, creditor: Caller
) -> None:
    ctx, principal = postgres.services, _principal(creditor)
    p = _placement()
    async with ctx.store.change() as uow:
        planned = await uow.placements.plan_one(creditor.organization_id, p, ctx.clock())
    taken = dataclasses.replace(_placement(), reference=p.reference)
    await place_accounts(ctx, principal, [taken])
    with pytest.raises(NotInOneStatement):
        async with ctx.store.change() as uow:
            await uow.placements.write_one(planned, Write())
    assert (
        await _rows(
            postgres,
            customers,
            creditor_id=creditor.organization_id,
            reference=p.customer.reference,
        )
        == []
    )


async def test_a_race_lost_places_the_account_in_a_transaction(
    postgres: Backend, routed: tuple[Caller, Caller], monkeypatch: pytest.MonkeyPatch
) -> None:
    creditor, agency = routed
    ctx, principal = postgres.services, _principal(creditor)
    p = _placement(name="Second Name")
    rival = _placement(p.customer.reference, "First Name")
    plan_one = Placements.plan_one
    raced: list[Any] = []

    async def plan_then_race(self: Placements, *args: Any) -> Any:
        planned = await plan_one(self, *args)
        if args[1] is p and not raced:  # the rival, placed in between, is not raced
            raced.extend(await place_accounts(ctx, principal, [rival]))
        return planned

    monkeypatch.setattr(Placements, "plan_one", plan_then_race)
    [outcome] = await place_accounts(ctx, principal, [p])
    assert outcome.problems == [] and outcome.account is not None
    assert outcome.account.customer_id == raced[0].customer.id
    assert outcome.customer is not None and outcome.customer.name == "Second Name"
    assert outcome.account.agency_id == agency.organization_id
    assert [e["type"] for e in await _rows(postgres, events, account_id=outcome.account.id)] == [
        "account.placed",
        "account.assigned",
    ]


async def test_a_duplicate_single_placement_is_refused_as_before(
    postgres: Backend, creditor: Caller
) -> None:
    ctx, principal = postgres.services, _principal(creditor)
    p = _placement()
    await place_accounts(ctx, principal, [p])
    [again] = await place_accounts(ctx, principal, [dataclasses.replace(p)])
    assert [problem.code for problem in again.problems] == ["DUPLICATE_REFERENCE"]
