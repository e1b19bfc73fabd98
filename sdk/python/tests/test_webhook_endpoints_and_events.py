"""``client.webhook_endpoints``, ``client.events`` and ``viewer`` against a real hub."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import evenly
import pytest
from conftest import collect, new_account, resolve
from evenly import DeliveryStatus, NotFoundError, UserError
from receiver import Receiver, start_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = start_receiver()
    yield receiver
    receiver.close()


async def test_viewer(client: Any, parties: Any) -> None:
    viewer = await resolve(client.viewer())
    assert viewer.client_id == parties.creditor.client_id
    assert viewer.organization.id == parties.creditor.organization_id
    assert viewer.organization.kind is evenly.OrganizationKind.CREDITOR
    assert "accounts:write" in viewer.scopes


async def test_create_get_list_update_enable_delete(client: Any, receiver: Receiver) -> None:
    created = await resolve(
        client.webhook_endpoints.create(
            receiver.url, event_types=["account.placed"], description="orders"
        )
    )
    assert created.secret.startswith("whsec_")
    endpoint = created.endpoint
    assert endpoint.event_types == ["account.placed"]
    assert endpoint.enabled is True

    assert await resolve(client.webhook_endpoints.get(endpoint.id)) == endpoint
    listed = await collect(client.webhook_endpoints.list(page_size=1))
    assert endpoint.id in [e.id for e in listed]

    updated = await resolve(
        client.webhook_endpoints.update(endpoint.id, event_types=[], description="all")
    )
    assert updated.event_types == [] and updated.description == "all"
    assert updated.url == receiver.url

    enabled = await resolve(client.webhook_endpoints.enable(endpoint.id))
    assert enabled.enabled is True

    assert await resolve(client.webhook_endpoints.delete(endpoint.id)) == endpoint.id
    with pytest.raises(NotFoundError):
        await resolve(client.webhook_endpoints.get(endpoint.id))
    with pytest.raises(NotFoundError):
        await resolve(client.webhook_endpoints.delete(endpoint.id))


async def test_create_with_a_bad_url_is_a_user_error(client: Any) -> None:
    with pytest.raises(UserError) as caught:
        await resolve(client.webhook_endpoints.create("not a url"))
    assert caught.value.code
    assert caught.value.field is not None


async def test_send_test_rotate_secret_and_deliveries(client: Any, receiver: Receiver) -> None:
    created = await resolve(
        client.webhook_endpoints.create(receiver.url, event_types=["endpoint.disabled"])
    )
    endpoint_id = created.endpoint.id
    event_id = await resolve(client.webhook_endpoints.send_test(endpoint_id))
    assert event_id.startswith("evt_")
    await asyncio.to_thread(
        receiver.wait_for, lambda got: any(r.headers["webhook-id"] == event_id for r in got)
    )
    delivered = next(r for r in receiver.received if r.headers["webhook-id"] == event_id)
    event = evenly.webhooks.verify(delivered.body, delivered.headers, created.secret)
    assert event.type == "webhook.test" and event.id == event_id

    rotated = await resolve(client.webhook_endpoints.rotate_secret(endpoint_id, overlap_seconds=60))
    assert rotated.secret != created.secret and rotated.endpoint.id == endpoint_id

    deliveries = await collect(client.webhook_endpoints.deliveries(endpoint_id))
    assert [d.event_id for d in deliveries] == [event_id]
    assert deliveries[0].event_type == "webhook.test"
    delivered_only = await collect(
        client.webhook_endpoints.deliveries(endpoint_id, status=DeliveryStatus.DELIVERED)
    )
    assert all(d.status is DeliveryStatus.DELIVERED for d in delivered_only)
    await resolve(client.webhook_endpoints.delete(endpoint_id))


async def test_replay_by_ids_and_by_time(client: Any, receiver: Receiver) -> None:
    created = await resolve(
        client.webhook_endpoints.create(receiver.url, event_types=["account.placed"])
    )
    endpoint_id = created.endpoint.id
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    placed = await resolve(client.accounts.place(**new_account()))
    events = await collect(client.events.list(types=["account.placed"]))
    mine = [e for e in events if e.data["account"]["id"] == placed.account.id]
    assert len(mine) == 1
    queued = await resolve(client.webhook_endpoints.replay(endpoint_id, event_ids=[mine[0].id]))
    assert queued == 1
    queued = await resolve(client.webhook_endpoints.replay(endpoint_id, since=since))
    assert queued >= 1
    with pytest.raises(UserError):
        await resolve(client.webhook_endpoints.replay(endpoint_id))
    await resolve(client.webhook_endpoints.delete(endpoint_id))


async def test_events_list_resumes_after_an_event_id(client: Any) -> None:
    first = await resolve(client.accounts.place(**new_account()))
    second = await resolve(client.accounts.place(**new_account()))
    events = await collect(client.events.list(types=["account.placed"]))
    ids = [e.data["account"]["id"] for e in events]
    assert ids.index(first.account.id) < ids.index(second.account.id)
    position = ids.index(first.account.id)
    after = await collect(client.events.list(after=events[position].id, types=["account.placed"]))
    assert [e.id for e in after] == [e.id for e in events[position + 1 :]]
    assert all(e.type == "account.placed" for e in after)


async def test_events_list_limit_and_cursor(client: Any) -> None:
    for _ in range(3):
        await resolve(client.accounts.place(**new_account()))
    paginator = client.events.list(page_size=2, limit=3)
    got = await collect(paginator)
    assert len(got) == 3
    rest = await collect(client.events.list(after=paginator.cursor, limit=1))
    assert not rest or rest[0].id not in {e.id for e in got}


async def test_events_stream_subscribes_and_replays_after_a_cursor(client: Any) -> None:
    await resolve(client.accounts.place(**new_account()))  # the feed has a cursor to give
    start = await resolve(client.events.latest_cursor())
    placed = await resolve(client.accounts.place(**new_account()))
    stream = client.events.stream(after=start, types=["account.placed"], poll_interval=0.1)
    got = await collect(stream, limit=1)
    assert got[0].data["account"]["id"] == placed.account.id
    assert client._subscriptions_available is True


async def test_events_stream_polls_when_asked(client: Any) -> None:
    await resolve(client.accounts.place(**new_account()))
    start = await resolve(client.events.latest_cursor())
    placed = await resolve(client.accounts.place(**new_account()))
    stream = client.events.stream(
        after=start, types=["account.placed"], poll_interval=0.1, subscribe=False
    )
    got = await collect(stream, limit=1)
    assert got[0].data["account"]["id"] == placed.account.id
    assert client._subscriptions_available is None


def unwell_server() -> int:
    """A local HTTP server that answers every request 503, as a restarting proxy would."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(503)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return int(server.server_port)


async def first_event(stream: Any) -> Any:
    if hasattr(stream, "__aiter__"):
        return await stream.__anext__()
    return await asyncio.to_thread(next, stream)


@pytest.mark.parametrize(
    ("socket", "available"),
    [("hub", True), ("refused", None), ("no-websocket-route", False), ("unwell", None)],
)
async def test_events_stream_from_now_gets_only_new_events(
    client: Any, socket: str, available: bool | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    await resolve(client.accounts.place(**new_account()))  # already there: not streamed
    if socket == "refused":  # no websocket to be had now: this stream polls
        monkeypatch.setattr(
            "evenly.resources.events.websocket_url", lambda base: "ws://127.0.0.1:9/graphql"
        )
    elif socket == "unwell":  # the upgrade is answered 503: poll now, subscribe next time
        port = unwell_server()
        monkeypatch.setattr(
            "evenly.resources.events.websocket_url", lambda base: f"ws://127.0.0.1:{port}/graphql"
        )
    elif socket == "no-websocket-route":  # a hub without subscriptions: polls from now on
        monkeypatch.setattr(
            "evenly.resources.events.websocket_url",
            lambda base: base.replace("http", "ws") + "/healthz",
        )
    stream = client.events.stream(types=["account.placed"], poll_interval=0.1)
    waiting = asyncio.ensure_future(first_event(stream))
    await asyncio.sleep(1.5)
    placed = await resolve(client.accounts.place(**new_account()))
    event = await asyncio.wait_for(waiting, 30)
    assert event.data["account"]["id"] == placed.account.id
    assert client._subscriptions_available is available


async def test_events_stream_from_start_waits_on_an_empty_feed_then_reads_it_all(
    parties: Any,
) -> None:
    from conftest import make_client

    creditor = await asyncio.to_thread(parties.hub.organization, "creditor")
    sync, asynchronous = (make_client(kind, parties.hub, creditor) for kind in ("sync", "async"))
    types = ["account.placed"]
    waiting = asyncio.ensure_future(
        first_event(sync.events.stream(from_start=True, types=types, poll_interval=0.1))
    )
    await asyncio.sleep(0.5)  # the feed is empty: the stream waits for its first event
    placed = sync.accounts.place(**new_account()).account
    event = await asyncio.wait_for(waiting, 30)
    assert event.data["account"]["id"] == placed.id
    # From the start again: the backlog comes first.
    backlog = await first_event(asynchronous.events.stream(from_start=True, types=types))
    assert backlog.id == event.id
    sync.close()
    await asynchronous.close()
