"""Sink endpoints through the real worker: retries, the pause, disabling and success, seen
in the delivery log, with no receiver running anywhere."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from tests.e2e.conftest import HubServer
from tests.e2e.test_webhooks import _endpoint, _gql, _start

SEND = """mutation($id: ID!) { sendTestEvent(input: {endpointId: $id, type: "payment.received"}) {
  eventId userErrors { code message } } }"""
STATE = """query($id: ID!) { webhookEndpoint(id: $id) { enabled disabledReason
  deliveries(first: 10) { nodes { status attempts { at statusCode error responseSnippet } } } } }"""


async def _state(hub: HubServer, token: str, endpoint_id: str) -> dict[str, Any]:
    endpoint: dict[str, Any] = (await _gql(hub, token, STATE, {"id": endpoint_id}))[
        "webhookEndpoint"
    ]
    return endpoint


def _attempts(endpoint: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for d in endpoint["deliveries"]["nodes"] for a in d["attempts"]]


async def _until(hub: HubServer, token: str, endpoint_id: str, done: Any) -> dict[str, Any]:
    for _ in range(300):
        endpoint = await _state(hub, token, endpoint_id)
        if done(endpoint):
            return endpoint
        await asyncio.sleep(0.1)
    raise AssertionError(f"{endpoint_id} never got there: {endpoint}")


async def test_sink_endpoints_show_retries_pauses_disabling_and_success(
    hub_server: HubServer,
) -> None:
    token = _start(hub_server)["token"]  # retries 0.3 s apart
    urls = ["sink://ok", "sink://500", "sink://429?retry-after=2", "sink://410", "sink://timeout"]
    # Subscribed to one type, so that only the samples sent below reach them (not, say, the
    # endpoint.disabled the 410 leads to); a sample goes whatever the types.
    ids = {url: (await _endpoint(hub_server, token, url, ["webhook.test"]))[0] for url in urls}
    for endpoint_id in ids.values():
        sent = (await _gql(hub_server, token, SEND, {"id": endpoint_id}))["sendTestEvent"]
        assert sent["userErrors"] == [], sent

    ok = await _until(
        hub_server, token, ids["sink://ok"], lambda e: _attempts(e) and e["deliveries"]
    )
    await asyncio.sleep(0.5)
    ok = await _state(hub_server, token, ids["sink://ok"])
    assert [d["status"] for d in ok["deliveries"]["nodes"]] == ["DELIVERED"]
    [attempt] = _attempts(ok)
    assert attempt["statusCode"] == 200 and attempt["responseSnippet"]

    failing = await _until(hub_server, token, ids["sink://500"], lambda e: len(_attempts(e)) >= 3)
    assert {a["statusCode"] for a in _attempts(failing)} == {500}
    assert failing["enabled"] is True

    timing_out = await _until(
        hub_server, token, ids["sink://timeout"], lambda e: len(_attempts(e)) >= 2
    )
    assert {(a["statusCode"], a["error"]) for a in _attempts(timing_out)} == {(None, "timeout")}

    gone = await _until(hub_server, token, ids["sink://410"], lambda e: not e["enabled"])
    assert gone["disabledReason"] == "the receiver answered 410 Gone"
    assert [a["statusCode"] for a in _attempts(gone)] == [410]

    paused = await _until(
        hub_server, token, ids["sink://429?retry-after=2"], lambda e: len(_attempts(e)) >= 2
    )
    first, second = sorted(_attempts(paused), key=lambda a: a["at"])[:2]
    assert first["statusCode"] == second["statusCode"] == 429
    waited = dt.datetime.fromisoformat(second["at"]) - dt.datetime.fromisoformat(first["at"])
    # The retry schedule alone would try again after 0.3 s: Retry-After paused it for 2 s.
    assert waited >= dt.timedelta(seconds=1.9), waited
