"""Events: the immutable record every state change writes, in the same transaction.

An event's ``data`` is what webhooks and the ``events`` feed carry. It holds no customer
PII (that stays encrypted in the customers table); receivers fetch it through the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.tokens import Principal
from hub.services.visibility import event_clause
from hub.store.ids import new_id
from hub.store.tables import events

Row = Mapping[Any, Any]


def account_snapshot(account: Row) -> dict[str, Any]:
    """The account as events show it (ids are the API's global ids)."""
    return {
        "id": account["id"],
        "reference": account["reference"],
        "status": account["status"],
        "product": account["product"],
        "country": account["country"],
        "customerId": account["customer_id"],
        "creditorId": account["creditor_id"],
        "agencyId": account["agency_id"],
        "originalAmount": {
            "amountMinor": account["original_amount_minor"],
            "currency": account["currency"],
        },
        "balance": {"amountMinor": account["balance_minor"], "currency": account["currency"]},
        "dueDate": account["due_date"].isoformat(),
        "placedAt": _iso(account["placed_at"]),
    }


def account_event(
    type_: str, account: Row, sequence: int, now: dt.datetime, **extra: Any
) -> dict[str, Any]:
    """An event row about ``account``, visible to its creditor and its current agency."""
    return {
        "id": new_id("evt"),
        "type": type_,
        "account_id": account["id"],
        "sequence": sequence,
        "creditor_id": account["creditor_id"],
        "agency_id": account["agency_id"],
        "data": {"account": account_snapshot(account), **extra},
        "occurred_at": now,
    }


async def append(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(events.insert(), list(rows))


async def list_events(
    conn: AsyncConnection,
    principal: Principal,
    *,
    after: int | None,
    types: Sequence[str] | None,
    account_id: str | None = None,
    limit: int,
) -> list[Row]:
    """Events the principal may see, in global order, after position ``after``."""
    query = sa.select(events).where(event_clause(principal))
    if after is not None:
        query = query.where(events.c.position > after)
    if types:
        query = query.where(events.c.type.in_(list(types)))
    if account_id is not None:
        query = query.where(events.c.account_id == account_id)
    rows = await conn.execute(query.order_by(events.c.position).limit(limit))
    return [r._mapping for r in rows]


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


async def position_of(conn: AsyncConnection, principal: Principal, event_id: str) -> int | None:
    """The global position of a visible event, by its ``evt_`` id."""
    row = await conn.execute(
        sa.select(events.c.position).where(events.c.id == event_id, event_clause(principal))
    )
    return row.scalar_one_or_none()


async def get_event(conn: AsyncConnection, principal: Principal, event_id: str) -> Row | None:
    row = await conn.execute(
        sa.select(events).where(events.c.id == event_id, event_clause(principal))
    )
    found = row.first()
    return found._mapping if found is not None else None
