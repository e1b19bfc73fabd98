"""An account change is read, checked against the version read, and written in one go.

On PostgreSQL a change that does no other work is one autocommitted statement (the account
update, its new rows, its events and their outbox rows); these tests hold it to "all or
nothing" when the account moved on meanwhile, and to the retry that follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.errors import DomainError
from hub.domain.ids import new_id
from hub.domain.money import Money
from hub.domain.vocabulary import PaymentChannel, PaymentMethod
from hub.services import accounts as account_service
from hub.services import payments as payment_service
from hub.services.account_changes import change_account
from hub.store.tables import account_facts, accounts, events, payments, webhook_messages
from hub.store.writes import Guard, Write
from tests.api.test_outbox import _endpoint
from tests.collection_ops import RECORD_PAYMENT, acknowledge, now, sek
from tests.conftest import Backend, Caller, place


async def _counts(backend: Backend, account_id: str) -> tuple[int, int, int, int, int]:
    async with backend.services.db.read() as conn:
        row = (
            await conn.execute(
                sa.select(
                    sa.select(accounts.c.version)
                    .where(accounts.c.id == account_id)
                    .scalar_subquery(),
                    sa.select(sa.func.count())
                    .select_from(events)
                    .where(events.c.account_id == account_id)
                    .scalar_subquery(),
                    sa.select(sa.func.count())
                    .select_from(payments)
                    .where(payments.c.account_id == account_id)
                    .scalar_subquery(),
                    sa.select(sa.func.count()).select_from(webhook_messages).scalar_subquery(),
                    sa.select(account_facts.c.payments)
                    .where(account_facts.c.account_id == account_id)
                    .scalar_subquery(),
                )
            )
        ).one()
    return (row[0], row[1], row[2], row[3], row[4])


async def test_a_write_whose_guard_misses_writes_nothing(
    routed: tuple[Caller, Caller], backend: Backend
) -> None:
    creditor, _ = routed
    await _endpoint(creditor, [])
    account = (await place(creditor))["account"]
    before = await _counts(backend, account["id"])
    at = dt.datetime.now(dt.UTC)
    event = {
        "id": new_id("evt"),
        "type": "payment.received",
        "account_id": account["id"],
        "sequence": before[0] + 1,
        "creditor_id": creditor.organization_id,
        "agency_id": None,
        "data": {
            "note": "must not be written",
            "payment": {"amount": {"amountMinor": 100, "currency": "SEK"}, "channel": "AGENCY"},
        },
        "occurred_at": at,
    }
    payment = {
        "id": new_id("pay"),
        "account_id": account["id"],
        "amount_minor": 100,
        "currency": "SEK",
        "method": "CARD",
        "channel": "AGENCY",
        "status": "SUCCEEDED",
        "plan_id": None,
        "received_at": at,
        "recorded_at": at,
        "settled_at": at,
        "reversed_at": None,
        "reversal_reason": None,
    }
    stale = Guard(account["id"], 999, {"version": before[0] + 1})
    async with backend.services.store.change() as uow:
        matched = await uow.dialect.write(
            uow.conn, Write(guard=stale, inserts=[(payments, payment)], events=[event])
        )
        assert not matched
        if uow.dialect.is_sqlite:
            await uow.conn.rollback()  # as change_account's conflict does (SQLite runs in steps)
    assert await _counts(backend, account["id"]) == before


async def test_concurrent_payments_on_one_account_all_land_once(
    routed: tuple[Caller, Caller], backend: Backend
) -> None:
    """Each payment that loses the race to a concurrent one is retried on the new version."""
    creditor, agency = routed
    account = (await place(creditor))["account"]
    await acknowledge(agency.data, account["id"])
    before = await _counts(backend, account["id"])

    async def pay() -> dict[str, Any]:
        variables = {
            "input": {
                "accountId": account["id"],
                "amount": sek(100),
                "method": "CARD",
                "channel": "AGENCY",
                "receivedAt": now(),
            }
        }
        data = await agency.data(RECORD_PAYMENT, variables)
        assert data["recordPayment"]["userErrors"] == [], data
        return dict(data["recordPayment"]["payment"])

    paid = await asyncio.gather(*(pay() for _ in range(4)))
    assert len({p["id"] for p in paid}) == 4
    version, event_count, payment_count, _, counted = await _counts(backend, account["id"])
    assert (version, event_count, payment_count) == (before[0] + 4, before[1] + 4, before[2] + 4)
    assert counted == before[4] + 4  # the KPI projection moved once per payment
    balance = (
        await agency.data(
            "query($id: ID!) { node(id: $id) { ... on Account { balance { amountMinor } } } }",
            {"id": account["id"]},
        )
    )["node"]["balance"]["amountMinor"]
    assert balance == account["balance"]["amountMinor"] - 400


async def test_an_account_that_changes_under_every_attempt_is_a_concurrent_change(
    creditor: Caller, backend: Backend
) -> None:
    """When every retry finds the account moved on, the caller gets a stable code and
    nothing of the change is written."""
    account = (await place(creditor))["account"]
    before = await _counts(backend, account["id"])
    principal = Principal(
        client_id=creditor.client_id,
        organization_id=creditor.organization_id,
        kind=OrganizationKind.CREDITOR,
        scopes=frozenset(),
    )
    attempts = 0

    async def move(uow: Any, loaded: Any, at: dt.datetime) -> None:
        nonlocal attempts
        attempts += 1
        # Another writer gets in first, every time (on PostgreSQL this statement commits on
        # its own; on SQLite it is rolled back with the attempt).
        await uow.conn.execute(
            accounts.update()
            .where(accounts.c.id == loaded.collection.account.id)
            .values(version=accounts.c.version + 1)
        )
        loaded.collection.adjust_balance(Money(-1, "SEK"), "never written", at)

    with pytest.raises(DomainError) as refused:
        await change_account(
            backend.services, principal, None, None, account["id"], move, operation="test"
        )
    assert [p.code for p in refused.value.problems] == ["CONCURRENT_CHANGE"]
    assert attempts > 1
    version, *written = await _counts(backend, account["id"])
    assert written == list(before[1:])
    bumped = 0 if backend.name == "sqlite" else attempts
    assert version == before[0] + bumped


@contextlib.contextmanager
def _round_trips(db: Any) -> Iterator[list[str]]:
    """The requests the hub sends PostgreSQL meanwhile: statements, BEGINs and the ends of
    transactions (COMMIT or ROLLBACK)."""
    sent: list[str] = []
    adapter = asyncpg_dialect.AsyncAdapt_asyncpg_connection
    start, end = adapter._start_transaction, adapter._call_and_discard

    async def counted_start(self: Any) -> None:
        if self.isolation_level != "autocommit":
            sent.append("BEGIN")
        await start(self)

    async def counted_end(self: Any, fn: Any) -> None:
        sent.append("END")
        await end(self, fn)

    def statement(*args: Any) -> None:
        sent.append(args[2].split(None, 1)[0])

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", statement)
    adapter._start_transaction = counted_start  # type: ignore[method-assign]
    adapter._call_and_discard = counted_end  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        adapter._start_transaction = start  # type: ignore[method-assign]
        adapter._call_and_discard = end  # type: ignore[method-assign]
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", statement)


async def test_account_changes_take_few_round_trips(
    routed: tuple[Caller, Caller], backend: Backend
) -> None:
    """Acknowledging and a payment are two round trips each (the account read with what the
    change needs, then the write); the payment that closes the account adds the two reads of
    its history (payments and contacts) for the rehabilitation summary."""
    if backend.name != "postgresql":
        pytest.skip("round trips to a database server")
    creditor, agency_caller = routed
    account = (await place(creditor))["account"]
    agency = Principal(
        agency_caller.client_id, agency_caller.organization_id, OrganizationKind.AGENCY, frozenset()
    )
    ctx = backend.services
    with _round_trips(ctx.db) as sent:
        await account_service.acknowledge_placement(
            ctx, agency, account["id"], agency_reference=None
        )
    assert len(sent) == 2, sent

    async def pay(amount: int) -> list[str]:
        with _round_trips(ctx.db) as sent:
            await payment_service.record_payment(
                ctx,
                agency,
                account["id"],
                amount=Money(amount, "SEK"),
                method=PaymentMethod.CARD,
                channel=PaymentChannel.AGENCY,
                received_at=dt.datetime.now(dt.UTC),
            )
        return sent

    assert len(await pay(40_000)) == 2
    closing = await pay(60_000)
    assert len(closing) == 4, closing
