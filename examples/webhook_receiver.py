"""A webhook receiver that verifies, dedupes by ``webhook-id`` and catches up from the feed.

* Every delivery is verified over its raw body with the endpoint's ``whsec_`` secret.
* Each event is handled once: its id (the ``webhook-id`` header, also the feed's event id)
  goes into a table in the same transaction as the handling; a redelivery is answered 204.
* On start it reads ``events(after:)`` from the last event it read there, so whatever was
  missed while it was down is handled before (and deduped against) new deliveries.

    pip install ./webhooks './sdk/python[examples]'   # the SDK, Starlette and uvicorn
    export EVENLY_CLIENT_ID=… EVENLY_CLIENT_SECRET=… EVENLY_BASE_URL=http://127.0.0.1:8000
    export WEBHOOK_SECRET=whsec_…               # from webhook_endpoints.create(...).secret
    python examples/webhook_receiver.py         # serves on http://127.0.0.1:4242/webhooks
    python examples/webhook_receiver.py --port 5000   # or on another port

Locally, ``evenly listen --forward-to http://127.0.0.1:4242/webhooks`` delivers the events
signed with the secret it prints.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import evenly
from evenly import webhooks
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class Inbox:
    """Processed event ids, what handling did, and how far the feed was read."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS processed (event_id TEXT PRIMARY KEY, type TEXT,
                account_id TEXT, source TEXT);
            CREATE TABLE IF NOT EXISTS feed (id INTEGER PRIMARY KEY CHECK (id = 1), after TEXT);
            """
        )

    def handle(self, event_id: str, event_type: str, account_id: str | None, source: str) -> bool:
        """Record the event and act on it, once; False if it was handled before."""
        try:
            self.db.execute("BEGIN")
            self.db.execute(
                "INSERT INTO processed VALUES (?, ?, ?, ?)",
                (event_id, event_type, account_id, source),
            )
            # Act on the event here, in the same transaction (update the order, notify, …).
            self.db.execute("COMMIT")
        except sqlite3.IntegrityError:
            self.db.execute("ROLLBACK")
            return False
        return True

    def feed_position(self) -> str | None:
        row = self.db.execute("SELECT after FROM feed WHERE id = 1").fetchone()
        return row[0] if row else None

    def save_feed_position(self, after: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO feed VALUES (1, ?)", (after,))

    def processed(self) -> list[tuple[Any, ...]]:
        return self.db.execute("SELECT * FROM processed ORDER BY rowid").fetchall()


async def catch_up(client: evenly.AsyncEvenly, inbox: Inbox) -> int:
    """Handle the events of the feed after the last one read there; how many were new."""
    handled = 0
    async for event in client.events.list(after=inbox.feed_position()):
        account = event.data.get("account") or {}
        handled += inbox.handle(event.id, event.type, account.get("id"), "feed")
        inbox.save_feed_position(event.id)
    return handled


def create_app(secret: str, inbox: Inbox, client_factory: Any = evenly.AsyncEvenly) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with client_factory() as client:
            await catch_up(client, inbox)
            yield

    async def receive(request: Request) -> Response:
        try:
            event = await webhooks.verify_starlette(request, secret)
        except webhooks.WebhookVerificationError:
            return Response(status_code=400)
        inbox.handle(event.id, event.type, event.account_id, "webhook")
        return Response(status_code=204)  # new or a redelivery: either way, done

    return Starlette(routes=[Route("/webhooks", receive, methods=["POST"])], lifespan=lifespan)


def main(argv: list[str] | None = None) -> None:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="Receive the hub's webhooks on /webhooks.")
    parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument("--port", type=int, default=4242, help="default: %(default)s")
    args = parser.parse_args(argv)
    inbox = Inbox(Path(os.environ.get("INBOX_DB", "webhook-inbox.db")))
    uvicorn.run(create_app(os.environ["WEBHOOK_SECRET"], inbox), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
