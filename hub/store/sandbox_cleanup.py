"""Deleting a sandbox test run (``deleteSandboxData``): its accounts and all written about them.

A run is the accounts a sandbox creditor placed with one ``sandboxTag``
(``accounts.sandbox_tag``). ``delete_run`` removes, in the caller's transaction: the
webhook messages of their events and those messages' attempts, their events, the simulated
agency's steps, contact attempts, plans, payments, disputes, holds, rehabilitations,
portal links, KPI facts, the idempotency keys whose result is one of the accounts, the
accounts, and their customers that no other account still has.

The read models are delta rows (``hub.store.counts``, ``hub.store.kpi_rollups``), so the
run's contributions are taken back by appending their negatives, never by editing shared
rows: ``-1`` and the balance in each account's count group, the succeeded payments in
``payment_totals``, and from each account's facts (as the rollups summed them) the
rollups' sums and the first payment's histogram row. Reads then sum to what they would be
had the run never been placed, and the sweep folds the rows as usual.

The accounts are locked first (``FOR UPDATE`` on PostgreSQL; SQLite's writers take turns),
so a writer that races the deletion (the simulated agency, an agency's call) waits, then
finds no account: its write is refused by its version guard, not half-applied.

Events are immutable everywhere else; these are the only ones the hub ever deletes. Feed
cursors are (txid, position) keys, not event ids, so on PostgreSQL (positions from a
sequence) a cursor that pointed at a deleted event still resumes after the same place; the
deleted events are simply gone from the feed. Each deleted event's key and audience stay in
``deleted_events``, so ``after: "evt_…"`` naming one (what the SDK's ``stream`` resumes
from) resumes at its place for those who could see it. On SQLite a new event takes the position after the largest one left,
so when a run's events were the newest, positions are used again: a reader whose cursor was
on one of them misses events until the feed passes it (resume from a cursor before the run,
or from ``latestCursor`` after the reset).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.store import kpi_rollups as rollups
from hub.store.session import Session
from hub.store.tables import (
    account_counts,
    account_facts,
    accounts,
    contact_attempts,
    customer_knowledge,
    customers,
    deleted_events,
    disputes,
    events,
    holds,
    idempotency_keys,
    kpi_rollups,
    organizations,
    payment_plans,
    payment_totals,
    payments,
    portal_links,
    rehabilitations,
    sandbox_steps,
    webhook_attempts,
    webhook_messages,
)

#: Rows deleted per statement's ``IN`` list: well below every backend's parameter limit.
_CHUNK = 500
#: The tables whose rows belong to one account (``account_id``), deleted before it.
_OF_ACCOUNT = (
    sandbox_steps,
    contact_attempts,
    payments,
    payment_plans,
    disputes,
    holds,
    rehabilitations,
    portal_links,
    account_facts,
)


@dataclass(frozen=True, slots=True)
class DeletedRun:
    """What deleting a run removed."""

    accounts: int
    events: int
    deliveries: int
    customers: int


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i : i + _CHUNK]) for i in range(0, len(ids), _CHUNK)]


class SandboxCleanup:
    """Deleting sandbox test runs; on the caller's unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def run_accounts(self, creditor_id: str, tag: str) -> list[str]:
        """The ids of the run's accounts, locked: only a sandbox creditor's own."""
        query = (
            sa.select(accounts.c.id)
            .join(organizations, organizations.c.id == accounts.c.creditor_id)
            .where(
                accounts.c.creditor_id == creditor_id,
                accounts.c.sandbox_tag == tag,
                organizations.c.sandbox.is_(True),
            )
            .order_by(accounts.c.id)
        )
        if not self._uow.dialect.is_sqlite:
            query = query.with_for_update(of=accounts)
        return list((await self._uow.conn.execute(query)).scalars())

    async def delete_run(self, creditor_id: str, tag: str, now: dt.datetime) -> DeletedRun:
        """Delete the run's accounts and everything written about them (module docstring)."""
        ids = await self.run_accounts(creditor_id, tag)
        deliveries = n_events = 0
        customer_ids: set[str] = set()
        for chunk in _chunks(ids):
            await self._take_back_read_models(chunk)
            deliveries += await self._delete_deliveries(chunk)
            await self._keep_keys(chunk, now)
            n_events += await self._delete_rows(events, events.c.account_id.in_(chunk))
            for table in _OF_ACCOUNT:
                await self._delete_rows(table, table.c.account_id.in_(chunk))
            await self._delete_idempotency_keys(creditor_id, chunk)
            found = await self._uow.conn.execute(
                sa.select(accounts.c.customer_id).where(accounts.c.id.in_(chunk))
            )
            customer_ids.update(found.scalars())
            await self._delete_rows(accounts, accounts.c.id.in_(chunk))
        removed = await self._delete_orphans(creditor_id, sorted(customer_ids))
        return DeletedRun(len(ids), n_events, deliveries, removed)

    async def _delete_rows(self, table: sa.Table, where: sa.ColumnElement[bool]) -> int:
        result = await self._uow.conn.execute(sa.delete(table).where(where))
        return int(result.rowcount or 0)

    async def _delete_deliveries(self, ids: list[str]) -> int:
        of_events = sa.select(events.c.id).where(events.c.account_id.in_(ids))
        messages = sa.select(webhook_messages.c.id).where(
            webhook_messages.c.event_id.in_(of_events)
        )
        await self._delete_rows(webhook_attempts, webhook_attempts.c.message_id.in_(messages))
        return await self._delete_rows(webhook_messages, webhook_messages.c.event_id.in_(of_events))

    async def _keep_keys(self, ids: list[str], at: dt.datetime) -> None:
        """Where the accounts' events were in the feed, and who saw them."""
        e = events
        now = sa.literal(at, deleted_events.c.deleted_at.type)
        columns = ("id", "txid", "position", "creditor_id", "agency_id")
        await self._uow.conn.execute(
            deleted_events.insert().from_select(
                [*columns, "deleted_at"],
                sa.select(*(e.c[c] for c in columns), now).where(e.c.account_id.in_(ids)),
            )
        )

    async def _delete_idempotency_keys(self, creditor_id: str, ids: list[str]) -> None:
        """Keys whose first result was one of these accounts (a placement, an agency's
        change): a retry after the reset is a new request, not a replay of a deleted one."""
        k = idempotency_keys
        agencies = sa.select(accounts.c.agency_id).where(
            accounts.c.id.in_(ids), accounts.c.agency_id.is_not(None)
        )
        await self._delete_rows(
            k,
            sa.and_(
                sa.or_(k.c.organization_id == creditor_id, k.c.organization_id.in_(agencies)),
                k.c.result["account_id"].as_string().in_(ids),
            ),
        )

    async def _delete_orphans(self, creditor_id: str, customer_ids: list[str]) -> int:
        """The creditor's customers among these that no account has any more."""
        removed = 0
        for chunk in _chunks(customer_ids):
            still = sa.select(accounts.c.customer_id).where(accounts.c.customer_id.in_(chunk))
            orphans = sa.select(customers.c.id).where(
                customers.c.creditor_id == creditor_id,
                customers.c.id.in_(chunk),
                customers.c.id.not_in(still),
            )
            # What the portal may ask them (``customer_knowledge``) goes with them.
            await self._delete_rows(
                customer_knowledge, customer_knowledge.c.customer_id.in_(orphans)
            )
            removed += await self._delete_rows(
                customers,
                sa.and_(
                    customers.c.creditor_id == creditor_id,
                    customers.c.id.in_(chunk),
                    customers.c.id.not_in(still),
                ),
            )
        return removed

    async def _take_back_read_models(self, ids: list[str]) -> None:
        """Append the negatives of what these accounts added to the read models' sums."""
        conn, postgres = self._uow.conn, not self._uow.dialect.is_sqlite
        a, p, f = accounts, payments, account_facts
        count_columns = ("creditor_id", "agency_id", "status", "country", "currency")
        await conn.execute(
            account_counts.insert().from_select(
                [*count_columns, "accounts", "balance_minor"],
                sa.select(
                    *(a.c[c] for c in count_columns),
                    sa.literal_column("-1"),
                    -a.c.balance_minor,
                ).where(a.c.id.in_(ids)),
            )
        )
        await conn.execute(
            payment_totals.insert().from_select(
                ["creditor_id", "agency_id", "currency", "day", "payments", "amount_minor"],
                sa.select(
                    a.c.creditor_id,
                    a.c.agency_id,
                    p.c.currency,
                    rollups.utc_day(p.c.received_at, postgres),
                    sa.literal_column("-1"),
                    -p.c.amount_minor,
                )
                .join(a, a.c.id == p.c.account_id)
                .where(p.c.account_id.in_(ids), p.c.status == "SUCCEEDED"),
            )
        )
        for rows in (_rollup_sums(postgres), _rollup_first_payment(postgres)):
            await conn.execute(
                kpi_rollups.insert().from_select(
                    list(rollups.COLUMNS), rows.where(f.c.account_id.in_(ids))
                )
            )


def _negated_positive(column: Any) -> Any:
    return sa.case((column > 0, -1), else_=0)


def _rollup_key(postgres: bool, first_payment_days: Any) -> dict[str, Any]:
    f = account_facts
    return {
        **{name: f.c[name] for name in rollups.KEY[:5]},
        "day": rollups.utc_day(f.c.assigned_at, postgres),
        "first_payment_days": first_payment_days,
    }


def _rollup_sums(postgres: bool) -> sa.Select[Any]:
    """Per account with facts, the negative of the sums its rows added (the histogram's
    ``paid`` apart)."""
    f = account_facts
    zero: Any = sa.literal_column("0")
    values: dict[str, Any] = {
        **_rollup_key(postgres, sa.null()),
        "accounts": sa.literal_column("-1"),
        "placed_minor": -f.c.placed_minor,
        "recovered_minor": -f.c.recovered_minor,
        "accounts_recovered": _negated_positive(f.c.recovered_closures),
        "disputed": _negated_positive(f.c.disputes),
        "plans_completed": -f.c.plans_completed,
        "plans_broken": -f.c.plans_broken,
        "payments": -f.c.payments,
        "portal_payments": -f.c.portal_payments,
        "rehabilitated": _negated_positive(f.c.rehabilitations),
        "returned": _negated_positive(f.c.returns),
        "paid": zero,
    }
    return sa.select(*(values[name].label(name) for name in rollups.COLUMNS))


def _rollup_first_payment(postgres: bool) -> sa.Select[Any]:
    """Per account with a first payment, the negative of its histogram row: the same days,
    computed by the same expression as when it was added."""
    f = account_facts
    days = rollups.days_between(f.c.first_payment_at, f.c.assigned_at, postgres)
    values: dict[str, Any] = {
        **_rollup_key(postgres, days),
        **{name: sa.literal_column("0") for name in rollups.SUMS},
        "paid": sa.literal_column("-1"),
    }
    return sa.select(*(values[name].label(name) for name in rollups.COLUMNS)).where(
        f.c.first_payment_at.is_not(None)
    )
