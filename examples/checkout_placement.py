"""A checkout backend that sends an order to collection once it is 30 days overdue.

Orders are kept in memory to keep the example short; ``POST /jobs/place-overdue`` is what a
daily cron job would call. Placing is safe to repeat: the SDK derives the idempotency key
from the order's reference, so a second run (or a retry after a timeout) places nothing twice.

    pip install ./webhooks './sdk/python[examples]'   # the SDK, Starlette and uvicorn
    export EVENLY_CLIENT_ID=… EVENLY_CLIENT_SECRET=… EVENLY_BASE_URL=http://127.0.0.1:8000
    python examples/checkout_placement.py          # serves on http://127.0.0.1:4243
    python examples/checkout_placement.py --port 5001   # or on another port

    curl -X POST localhost:4243/orders -H 'content-type: application/json' -d '{"id": "ORD-1",
      "customer": {"id": "C-1", "name": "Astrid Lindqvist", "email": "astrid@example.com",
      "country": "SE"}, "amount_minor": 125000, "currency": "SEK", "due": "2026-01-31"}'
    curl -X POST localhost:4243/jobs/place-overdue
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import evenly
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

OVERDUE_AFTER = dt.timedelta(days=30)


@dataclass
class Order:
    id: str
    customer: dict[str, Any]
    amount_minor: int
    currency: str
    due: dt.date
    paid_minor: int = 0
    account_id: str | None = None

    @property
    def outstanding_minor(self) -> int:
        return self.amount_minor - self.paid_minor


def overdue(orders: dict[str, Order], today: dt.date) -> list[Order]:
    return [
        o
        for o in orders.values()
        if o.outstanding_minor > 0 and o.account_id is None and today - o.due >= OVERDUE_AFTER
    ]


async def place(client: evenly.AsyncEvenly, order: Order) -> evenly.Placement:
    """Send one overdue order to collection."""
    return await client.accounts.place(
        reference=order.id,
        customer={
            "reference": order.customer["id"],
            "name": order.customer["name"],
            "email": order.customer.get("email"),
            "phone": order.customer.get("phone"),
            "country": order.customer["country"],
        },
        original_amount={"amount_minor": order.amount_minor, "currency": order.currency},
        balance={"amount_minor": order.outstanding_minor, "currency": order.currency},
        due_date=order.due,
        product="BNPL_INVOICE",
        metadata={"orderId": order.id},
    )


def create_app(client_factory: Any = evenly.AsyncEvenly) -> Starlette:
    orders: dict[str, Order] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with client_factory() as client:
            app.state.evenly = client
            yield

    async def create_order(request: Request) -> JSONResponse:
        body = await request.json()
        order = Order(
            id=body["id"],
            customer=body["customer"],
            amount_minor=int(body["amount_minor"]),
            currency=body["currency"],
            due=dt.date.fromisoformat(body["due"]),
        )
        orders[order.id] = order
        return JSONResponse({"id": order.id}, status_code=201)

    async def pay(request: Request) -> JSONResponse:
        order = orders[request.path_params["order_id"]]
        order.paid_minor += int((await request.json())["amount_minor"])
        return JSONResponse({"outstanding_minor": order.outstanding_minor})

    async def place_overdue(request: Request) -> JSONResponse:
        today = dt.date.fromisoformat(
            request.query_params.get("today", dt.date.today().isoformat())
        )
        placed, refused = [], []
        for order in overdue(orders, today):
            try:
                placement = await place(request.app.state.evenly, order)
            except evenly.UserError as error:  # e.g. INVALID_PHONE: fix the order, run again
                refused.append({"order": order.id, "code": error.code, "field": error.field})
                continue
            order.account_id = placement.account.id
            placed.append({"order": order.id, "account": order.account_id})
        return JSONResponse({"placed": placed, "refused": refused})

    return Starlette(
        routes=[
            Route("/orders", create_order, methods=["POST"]),
            Route("/orders/{order_id}/payments", pay, methods=["POST"]),
            Route("/jobs/place-overdue", place_overdue, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> None:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="A checkout backend that places overdue orders.")
    parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument("--port", type=int, default=4243, help="default: %(default)s")
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
