"""Managing webhook endpoints: create, list, update, rotate, enable, delete; isolation."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import httpx
import sqlalchemy as sa

from hub.app import create_app
from hub.auth.scopes import OrganizationKind
from tests.conftest import Backend, Caller, get_token

CREATE = """mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    webhookEndpoint { id url eventTypes enabled description }
    secret
    userErrors { field code message }
  }
}"""
UPDATE = """mutation($input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(input: $input) { webhookEndpoint { id url eventTypes description } userErrors { field code } }
}"""
ROTATE = """mutation($input: RotateWebhookSecretInput!) {
  rotateWebhookSecret(input: $input) { webhookEndpoint { id } secret userErrors { field code } }
}"""
DELETE = """mutation($id: ID!) {
  deleteWebhookEndpoint(input: {id: $id}) { deletedWebhookEndpointId userErrors { code } }
}"""
ENABLE = """mutation($id: ID!) {
  enableWebhookEndpoint(input: {id: $id}) { webhookEndpoint { enabled } userErrors { code } }
}"""
LIST = "{ webhookEndpoints(first: 100) { nodes { id url } pageInfo { hasNextPage } } }"


async def _dev_http(backend: Backend) -> httpx.AsyncClient:
    """A client of an app that allows loopback webhook URLs (as development does)."""
    settings = dataclasses.replace(backend.settings, allow_insecure_webhooks=True)
    app = create_app(settings, dataclasses.replace(backend.services, settings=settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test")


async def _signing_secrets(backend: Backend, endpoint_id: str, at: dt.datetime) -> list[str]:
    """The secrets the endpoint's deliveries are signed with at ``at``, as workers read them."""
    async with backend.services.store.read() as uow:
        return (await uow.endpoints.signing_state(endpoint_id, at)).secrets


async def _create(caller: Caller, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await caller.data(CREATE, {"input": {"url": "https://8.8.8.8/hooks", **fields}})
    )["createWebhookEndpoint"]
    return payload


async def test_create_returns_the_secret_once_and_stores_it_encrypted(
    creditor: Caller, backend: Backend
) -> None:
    created = await _create(
        creditor, eventTypes=["account.placed", "account.recalled"], description="billing"
    )
    assert created["userErrors"] == []
    assert created["secret"].startswith("whsec_")
    endpoint = created["webhookEndpoint"]
    assert (
        endpoint["eventTypes"] == ["account.placed", "account.recalled"]
        and endpoint["enabled"] is True
    )
    listed = (await creditor.data(LIST))["webhookEndpoints"]["nodes"]
    assert [e["id"] for e in listed] == [endpoint["id"]]
    node = await creditor.data(
        "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { url } } }",
        {"id": endpoint["id"]},
    )
    assert node["node"]["url"] == "https://8.8.8.8/hooks"
    secrets = await _signing_secrets(backend, endpoint["id"], backend.services.clock())
    async with backend.services.db.read() as conn:
        raw = await conn.exec_driver_sql("SELECT secret_enc FROM webhook_secrets")
        blobs = [bytes(r[0]) for r in raw]
    assert secrets == [created["secret"]]
    assert all(created["secret"].encode() not in blob for blob in blobs)


async def test_unsafe_urls_and_unknown_event_types_are_user_errors(creditor: Caller) -> None:
    cases = [
        ({"url": "https://10.0.0.1/h"}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": "https://169.254.169.254/latest"}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": "https://[::1]/h"}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": "https://localhost/h"}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": "http://8.8.8.8/h"}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": "not a url"}, "INVALID_WEBHOOK_URL"),
        ({"eventTypes": ["account.exploded"]}, "INVALID_EVENT_TYPE"),
        ({"description": "x" * 501}, "INVALID_DESCRIPTION"),
    ]
    for fields, code in cases:
        payload = await _create(creditor, **fields)
        assert payload["webhookEndpoint"] is None and payload["secret"] is None
        assert [e["code"] for e in payload["userErrors"]] == [code], fields
    assert (await creditor.data(LIST))["webhookEndpoints"]["nodes"] == []


async def test_loopback_urls_work_with_the_development_flag(
    creditor: Caller, backend: Backend
) -> None:
    async with await _dev_http(backend) as http:
        token = await get_token(http, creditor.client_id, creditor.client_secret)
        dev = dataclasses.replace(creditor, http=http, token=token)
        payload = await _create(dev, url="http://127.0.0.1:4242/webhooks")
        assert payload["userErrors"] == []
        refused = await _create(dev, url="http://10.1.2.3/webhooks")
        assert [e["code"] for e in refused["userErrors"]] == ["WEBHOOK_URL_NOT_ALLOWED"]


async def test_update_changes_only_what_is_given(creditor: Caller) -> None:
    endpoint = (await _create(creditor, eventTypes=["account.placed"], description="first"))[
        "webhookEndpoint"
    ]
    updated = (await creditor.data(UPDATE, {"input": {"id": endpoint["id"], "eventTypes": []}}))[
        "updateWebhookEndpoint"
    ]
    assert updated["userErrors"] == []
    assert (
        updated["webhookEndpoint"]["eventTypes"] == []
        and updated["webhookEndpoint"]["description"] == "first"
    )
    refused = (
        await creditor.data(
            UPDATE, {"input": {"id": endpoint["id"], "url": "https://192.168.0.1/"}}
        )
    )["updateWebhookEndpoint"]
    assert [e["code"] for e in refused["userErrors"]] == ["WEBHOOK_URL_NOT_ALLOWED"]


async def test_rotation_keeps_the_old_secret_signing_for_the_overlap(
    creditor: Caller, backend: Backend
) -> None:
    created = await _create(creditor)
    endpoint_id = created["webhookEndpoint"]["id"]
    rotated = (await creditor.data(ROTATE, {"input": {"id": endpoint_id, "overlapSeconds": 3600}}))[
        "rotateWebhookSecret"
    ]
    assert rotated["userErrors"] == [] and rotated["secret"] != created["secret"]
    now = backend.services.clock()
    during = await _signing_secrets(backend, endpoint_id, now)
    after = await _signing_secrets(backend, endpoint_id, now + dt.timedelta(hours=2))
    assert during == [rotated["secret"], created["secret"]]
    assert after == [rotated["secret"]]
    bad = (await creditor.data(ROTATE, {"input": {"id": endpoint_id, "overlapSeconds": -1}}))[
        "rotateWebhookSecret"
    ]
    assert [e["code"] for e in bad["userErrors"]] == ["INVALID_OVERLAP"]


async def test_at_most_three_secrets_sign_however_often_one_rotates(
    creditor: Caller, backend: Backend
) -> None:
    created = await _create(creditor)
    endpoint_id = created["webhookEndpoint"]["id"]
    issued = [created["secret"]]
    for _ in range(5):
        rotated = (
            await creditor.data(ROTATE, {"input": {"id": endpoint_id, "overlapSeconds": 3600}})
        )["rotateWebhookSecret"]
        assert rotated["userErrors"] == []
        issued.append(rotated["secret"])
    live = await _signing_secrets(backend, endpoint_id, backend.services.clock())
    # Each rotation ended the oldest overlap: the newest and the two before it sign.
    assert live == issued[::-1][:3]


async def test_delete_and_enable(creditor: Caller) -> None:
    endpoint_id = (await _create(creditor))["webhookEndpoint"]["id"]
    enabled = (await creditor.data(ENABLE, {"id": endpoint_id}))["enableWebhookEndpoint"]
    assert enabled["webhookEndpoint"]["enabled"] is True
    deleted = (await creditor.data(DELETE, {"id": endpoint_id}))["deleteWebhookEndpoint"]
    assert deleted == {"deletedWebhookEndpointId": endpoint_id, "userErrors": []}
    again = (await creditor.data(DELETE, {"id": endpoint_id}))["deleteWebhookEndpoint"]
    assert [e["code"] for e in again["userErrors"]] == ["NOT_FOUND"]
    assert (await creditor.data(LIST))["webhookEndpoints"]["nodes"] == []


async def test_endpoints_are_private_to_their_organization(
    creditor: Caller, make_caller: Any
) -> None:
    endpoint_id = (await _create(creditor))["webhookEndpoint"]["id"]
    for outsider in (
        await make_caller(OrganizationKind.CREDITOR),
        await make_caller(OrganizationKind.AGENCY),
    ):
        assert (await outsider.data(LIST))["webhookEndpoints"]["nodes"] == []
        found = await outsider.data(
            "query($id: ID!) { webhookEndpoint(id: $id) { id } node(id: $id) { id } }",
            {"id": endpoint_id},
        )
        assert found == {"webhookEndpoint": None, "node": None}
        for mutation, name, variables in (
            (DELETE, "deleteWebhookEndpoint", {"id": endpoint_id}),
            (ENABLE, "enableWebhookEndpoint", {"id": endpoint_id}),
            (
                UPDATE,
                "updateWebhookEndpoint",
                {"input": {"id": endpoint_id, "description": "mine now"}},
            ),
            (ROTATE, "rotateWebhookSecret", {"input": {"id": endpoint_id}}),
        ):
            payload = (await outsider.data(mutation, variables))[name]
            assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], name
    assert len((await creditor.data(LIST))["webhookEndpoints"]["nodes"]) == 1


async def test_managing_endpoints_needs_the_scope(
    http: httpx.AsyncClient, creditor: Caller
) -> None:
    token = await get_token(http, creditor.client_id, creditor.client_secret, scope="accounts:read")
    reader = dataclasses.replace(creditor, token=token)
    body = await reader.graphql(LIST)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await reader.graphql(CREATE, {"input": {"url": "https://8.8.8.8/"}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


REPLAY = """mutation($input: ReplayEventsInput!) { replayEvents(input: $input) { queuedCount userErrors { field code } } }"""


async def test_replay_queues_the_endpoints_events_in_range_once(
    creditor: Caller, make_caller: Any, backend: Backend
) -> None:
    import datetime as dt

    from tests.conftest import place

    started = dt.datetime.now(dt.UTC).isoformat()
    await place(creditor)
    await place(creditor)
    endpoint_id = (await _create(creditor, eventTypes=["account.placed"]))["webhookEndpoint"]["id"]
    payload = (
        await creditor.data(REPLAY, {"input": {"endpointId": endpoint_id, "since": started}})
    )["replayEvents"]
    assert payload == {"queuedCount": 2, "userErrors": []}
    again = (await creditor.data(REPLAY, {"input": {"endpointId": endpoint_id, "since": started}}))[
        "replayEvents"
    ]
    assert again["queuedCount"] == 2
    async with backend.services.db.read() as conn:
        queued = await conn.scalar(
            sa.text("SELECT count(*) FROM webhook_messages WHERE endpoint_id = :e"),
            {"e": endpoint_id},
        )
    assert queued == 2  # replaying twice resets the same messages, it does not duplicate them
    refusals = [
        ({"endpointId": endpoint_id}, "INVALID_REPLAY"),
        ({"endpointId": endpoint_id, "since": started, "until": started}, "INVALID_REPLAY"),
        ({"endpointId": "we_nope", "since": started}, "NOT_FOUND"),
    ]
    for variables, code in refusals:
        refused = (await creditor.data(REPLAY, {"input": variables}))["replayEvents"]
        assert [e["code"] for e in refused["userErrors"]] == [code]
    outsider = await make_caller(OrganizationKind.CREDITOR)
    foreign = (
        await outsider.data(REPLAY, {"input": {"endpointId": endpoint_id, "since": started}})
    )["replayEvents"]
    assert [e["code"] for e in foreign["userErrors"]] == ["NOT_FOUND"]
