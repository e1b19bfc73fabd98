"""The raw baseline for ``bench/placement.py``: a bare Starlette app writing placements.

It takes the same JSON as the hub's ``PlaceAccountInput`` (one item on ``POST /place``, a
list on ``POST /place-many``) and, in one transaction, inserts what the hub inserts per new
account: one ``customers`` row (same columns; PII stored as plain bytes, not encrypted), one
``accounts`` row and two ``events`` (``account.placed`` and ``account.assigned``), with
SQLAlchemy Core ``executemany`` on the hub's own tables. No GraphQL, no auth, no validation,
no idempotency or duplicate checks.

Configured by environment: ``BENCH_DATABASE_URL``, ``BENCH_CREDITOR_ID``, ``BENCH_AGENCY_ID``.
Serve with ``uvicorn baseline_app:create_app --factory --app-dir bench``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.domain.ids import new_id
from hub.store.tables import accounts, customers, events


def make_engine(url: str) -> AsyncEngine:
    """An engine with the hub's PostgreSQL pool settings (see hub/store/database.py)."""
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=False)


def _iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def build_rows(
    items: Sequence[dict[str, Any]], creditor_id: str, agency_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Customer, account and event rows for ``items`` (JSON in PlaceAccountInput shape)."""
    now = dt.datetime.now(dt.UTC)
    placed_at = _iso(now)
    customer_rows: list[dict[str, Any]] = []
    account_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    for item in items:
        c = item["customer"]
        customer_id = new_id("cus")
        email, phone = c.get("email"), c.get("phone")
        customer_rows.append(
            {
                "id": customer_id,
                "creditor_id": creditor_id,
                "reference": c["reference"],
                "name_enc": c["name"].encode(),
                "email_enc": email.encode() if email is not None else None,
                "phone_enc": phone.encode() if phone is not None else None,
                "country": c["country"],
                "language": c.get("language"),
                "timezone": c.get("timezone"),
                "created_at": now,
                "updated_at": now,
            }
        )
        original, balance = item["originalAmount"], item["balance"]
        account_id = new_id("acc")
        account_rows.append(
            {
                "id": account_id,
                "creditor_id": creditor_id,
                "reference": item["reference"],
                "customer_id": customer_id,
                "product": item["product"],
                "currency": balance["currency"],
                "original_amount_minor": original["amountMinor"],
                "balance_minor": balance["amountMinor"],
                "due_date": dt.date.fromisoformat(item["dueDate"]),
                "status": "PLACED",
                "resume_status": None,
                "agency_id": agency_id,
                "country": c["country"],
                "metadata": item.get("metadata"),
                "placed_at": now,
                "updated_at": now,
                "version": 2,
            }
        )
        placed = {
            "id": account_id,
            "reference": item["reference"],
            "status": "PLACED",
            "product": item["product"],
            "country": c["country"],
            "customerId": customer_id,
            "creditorId": creditor_id,
            "agencyId": None,
            "originalAmount": {
                "amountMinor": original["amountMinor"],
                "currency": original["currency"],
            },
            "balance": {"amountMinor": balance["amountMinor"], "currency": balance["currency"]},
            "dueDate": item["dueDate"],
            "placedAt": placed_at,
        }
        # As the hub: the placed event shows the account before assignment, the assigned
        # event after it; both are visible to the agency.
        assigned = {**placed, "agencyId": agency_id}
        for sequence, type_, data in (
            (1, "account.placed", {"account": placed}),
            (2, "account.assigned", {"account": assigned, "agencyId": agency_id}),
        ):
            event_rows.append(
                {
                    "id": new_id("evt"),
                    "type": type_,
                    "account_id": account_id,
                    "sequence": sequence,
                    "creditor_id": creditor_id,
                    "agency_id": agency_id,
                    "data": data,
                    "occurred_at": now,
                }
            )
    return customer_rows, account_rows, event_rows


async def insert_placements(
    engine: AsyncEngine, items: Sequence[dict[str, Any]], creditor_id: str, agency_id: str
) -> list[str]:
    """Insert the rows for ``items`` in one transaction (executemany); return account ids."""
    customer_rows, account_rows, event_rows = build_rows(items, creditor_id, agency_id)
    async with engine.begin() as conn:
        await conn.execute(customers.insert(), customer_rows)
        await conn.execute(accounts.insert(), account_rows)
        await conn.execute(events.insert(), event_rows)
    return [row["id"] for row in account_rows]


def create_app() -> Starlette:
    engine = make_engine(os.environ["BENCH_DATABASE_URL"])
    creditor_id = os.environ["BENCH_CREDITOR_ID"]
    agency_id = os.environ["BENCH_AGENCY_ID"]

    async def place(request: Request) -> Response:
        item = await request.json()
        [account_id] = await insert_placements(engine, [item], creditor_id, agency_id)
        return JSONResponse({"id": account_id})

    async def place_many(request: Request) -> Response:
        items = await request.json()
        ids = await insert_placements(engine, items, creditor_id, agency_id)
        return JSONResponse({"ids": ids})

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    return Starlette(
        routes=[
            Route("/place", place, methods=["POST"]),
            Route("/place-many", place_many, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
