"""Errors from a real hub, and retry/backoff edge cases on a mocked transport (respx)."""

from __future__ import annotations

import json
from typing import Any

import evenly
import httpx
import pytest
import respx
from conftest import Credentials, collect, make_client, new_account, resolve
from evenly import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    InvalidRequestError,
    PermissionError,
    RateLimitError,
    ServerError,
)
from evenly._base_client import BaseClient, backoff

# --- against the real hub -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_wrong_secret_is_an_authentication_error(kind: str, parties: Any) -> None:
    wrong = Credentials(parties.creditor.organization_id, parties.creditor.client_id, "nope")
    sdk = make_client(kind, parties.hub, wrong)
    with pytest.raises(AuthenticationError) as caught:
        await resolve(sdk.viewer())
    assert caught.value.code == "invalid_client"
    assert caught.value.status_code == 401
    assert caught.value.request_id
    await resolve(sdk.close())


async def test_missing_scope_is_a_permission_error(agency_client: Any) -> None:
    with pytest.raises(PermissionError) as caught:
        await resolve(agency_client.accounts.place(**new_account()))
    assert caught.value.code == "FORBIDDEN"
    assert caught.value.required_scope == "accounts:write"
    assert caught.value.request_id


async def test_a_bad_cursor_is_an_invalid_request(client: Any) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await collect(client.events.list(after="garbage"))
    assert caught.value.code == "INVALID_CURSOR"


async def test_a_refused_token_is_renewed_once(client: Any) -> None:
    await resolve(client.viewer())
    client._token.value = "not-a-token"
    viewer = await resolve(client.viewer())
    assert viewer.client_id == client.client_id
    assert client._token.value != "not-a-token"


async def test_an_expiring_token_is_renewed_before_use(client: Any) -> None:
    await resolve(client.viewer())
    old = client._token.value
    client._token.expires_at = 0.0
    await resolve(client.viewer())
    assert client._token.value != old


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_credentials_from_the_environment(
    kind: str, parties: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in parties.hub.client_env(parties.creditor).items():
        if name.startswith("EVENLY_"):
            monkeypatch.setenv(name, value)
    sdk = evenly.Evenly() if kind == "sync" else evenly.AsyncEvenly()
    viewer = await resolve(sdk.viewer())
    assert viewer.client_id == parties.creditor.client_id
    await resolve(sdk.close())


def test_no_credentials_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENLY_CLIENT_ID", raising=False)
    monkeypatch.delenv("EVENLY_CLIENT_SECRET", raising=False)
    with pytest.raises(evenly.EvenlyError, match="EVENLY_CLIENT_ID"):
        evenly.Evenly()


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_an_unreachable_hub_is_a_connection_error(kind: str, no_wait: list[float]) -> None:
    cls = evenly.Evenly if kind == "sync" else evenly.AsyncEvenly
    sdk = cls("id", "secret", base_url="http://127.0.0.1:9", max_retries=2)
    with pytest.raises(APIConnectionError) as caught:
        await resolve(sdk.viewer())
    assert caught.value.request_id
    assert len(no_wait) == 2
    await resolve(sdk.close())


# --- mocked transport: retries ----------------------------------------------------------------

BASE = "http://hub.test"
TOKEN = {"access_token": "tok", "token_type": "Bearer", "expires_in": 900, "scope": "a"}
VIEWER = {
    "data": {
        "viewer": {"clientId": "id", "scopes": ["a"], "organization": {"id": "org_1"}},
    }
}
CREATE_ENDPOINT = {
    "data": {
        "createWebhookEndpoint": {
            "webhookEndpoint": {
                "id": "we_1",
                "url": "https://x.test",
                "description": "",
                "eventTypes": [],
                "enabled": True,
                "createdAt": "2026-01-01T00:00:00Z",
                "updatedAt": "2026-01-01T00:00:00Z",
            },
            "secret": "whsec_AAAA",
            "userErrors": [],
        }
    }
}


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the retry delays the SDK chooses, and wait only a millisecond for each."""
    delays: list[float] = []
    original = BaseClient._retry_delay

    def quick(self: BaseClient, error: Any, attempt: int, *, retry_safe: bool) -> float | None:
        delay = original(self, error, attempt, retry_safe=retry_safe)
        if delay is not None:
            delays.append(delay)
            return 0.001
        return None

    monkeypatch.setattr(BaseClient, "_retry_delay", quick)
    return delays


@pytest.fixture(params=["sync", "async"])
def mocked(request: pytest.FixtureRequest) -> Any:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post("/oauth/token").respond(json=TOKEN)
        cls = evenly.Evenly if request.param == "sync" else evenly.AsyncEvenly
        yield router, cls("id", "secret", base_url=BASE)


async def test_rate_limit_honours_retry_after(mocked: Any, no_wait: list[float]) -> None:
    router, sdk = mocked
    route = router.post("/graphql")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "3"}, json={"errors": []}),
        httpx.Response(200, json=VIEWER),
    ]
    viewer = await resolve(sdk.viewer())
    assert viewer.client_id == "id"
    assert route.call_count == 2
    assert 3.0 <= no_wait[0] <= 3.2


async def test_rate_limit_after_every_retry_raises(mocked: Any, no_wait: list[float]) -> None:
    router, sdk = mocked
    router.post("/graphql").respond(
        429,
        headers={"Retry-After": "2", "X-Request-Id": "req_limit"},
        json={"errors": [{"message": "slow down", "extensions": {"code": "RATE_LIMITED"}}]},
    )
    with pytest.raises(RateLimitError) as caught:
        await resolve(sdk.viewer())
    assert caught.value.retry_after == 2.0
    assert caught.value.code == "RATE_LIMITED"
    assert caught.value.request_id == "req_limit"
    assert len(no_wait) == 3


async def test_server_errors_on_a_query_are_retried_with_backoff(
    mocked: Any, no_wait: list[float]
) -> None:
    router, sdk = mocked
    route = router.post("/graphql")
    route.side_effect = [
        httpx.Response(502, text="bad gateway"),
        httpx.Response(503, text="unavailable"),
        httpx.Response(200, json=VIEWER),
    ]
    await resolve(sdk.viewer())
    assert route.call_count == 3
    assert 0.375 <= no_wait[0] <= 0.5 and 0.75 <= no_wait[1] <= 1.0


async def test_internal_server_error_in_graphql_carries_its_request_id(
    mocked: Any, no_wait: list[float]
) -> None:
    router, sdk = mocked
    router.post("/graphql").respond(
        json={
            "data": None,
            "errors": [
                {
                    "message": "Internal server error",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req_boom"},
                }
            ],
        }
    )
    with pytest.raises(ServerError) as caught:
        await resolve(sdk.viewer())
    assert caught.value.request_id == "req_boom"
    assert len(no_wait) == 3


async def test_a_mutation_without_idempotency_key_is_not_retried_after_a_5xx(
    mocked: Any, no_wait: list[float]
) -> None:
    router, sdk = mocked
    route = router.post("/graphql")
    route.side_effect = [
        httpx.Response(500, text="oops"),
        httpx.Response(200, json=CREATE_ENDPOINT),
    ]
    with pytest.raises(ServerError):
        await resolve(sdk.webhook_endpoints.create("https://x.test"))
    assert route.call_count == 1


async def test_a_mutation_without_key_is_retried_when_nothing_was_sent(
    mocked: Any, no_wait: list[float]
) -> None:
    router, sdk = mocked
    route = router.post("/graphql")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json=CREATE_ENDPOINT)]
    created = await resolve(sdk.webhook_endpoints.create("https://x.test"))
    assert created.secret == "whsec_AAAA"
    assert route.call_count == 2


async def test_a_timeout_is_retried_for_queries_only(mocked: Any, no_wait: list[float]) -> None:
    router, sdk = mocked
    route = router.post("/graphql")
    route.side_effect = [httpx.ReadTimeout("slow"), httpx.Response(200, json=VIEWER)]
    await resolve(sdk.viewer())
    route.side_effect = [httpx.ReadTimeout("slow"), httpx.Response(200, json=CREATE_ENDPOINT)]
    with pytest.raises(APITimeoutError):
        await resolve(sdk.webhook_endpoints.create("https://x.test"))


async def test_mutations_with_keys_are_retried_with_the_same_key(
    mocked: Any, no_wait: list[float]
) -> None:
    router, sdk = mocked
    route = router.post("/graphql")
    route.side_effect = [
        httpx.ReadTimeout("slow"),
        httpx.Response(500, text="oops"),
        httpx.Response(
            200,
            json={
                "data": {
                    "recallAccount": {
                        "account": None,
                        "userErrors": [
                            {
                                "field": ["accountId"],
                                "code": "NOT_FOUND",
                                "message": "no such account",
                            }
                        ],
                    }
                }
            },
        ),
    ]
    with pytest.raises(evenly.NotFoundError):
        await resolve(sdk.accounts.recall("acc_1", reason="x"))
    keys = {
        json.loads(c.request.content)["variables"]["input"]["idempotencyKey"] for c in route.calls
    }
    assert len(keys) == 1 and next(iter(keys)).startswith("evenly-")


async def test_place_uses_a_key_derived_from_the_reference(mocked: Any) -> None:
    router, sdk = mocked
    route = router.post("/graphql").respond(
        json={
            "data": {
                "placeAccount": {
                    "account": None,
                    "userErrors": [
                        {"field": ["reference"], "code": "DUPLICATE_REFERENCE", "message": "taken"}
                    ],
                    "warnings": [],
                    "replayed": False,
                }
            }
        }
    )
    with pytest.raises(evenly.UserError) as caught:
        await resolve(sdk.accounts.place(**new_account(reference="INV-7")))
    assert caught.value.code == "DUPLICATE_REFERENCE"
    sent = json.loads(route.calls[0].request.content)["variables"]["input"]
    assert sent["idempotencyKey"] == evenly.placement_key("INV-7") == "place:INV-7"


async def test_the_token_is_fetched_once_and_sent_as_bearer(mocked: Any) -> None:
    router, sdk = mocked
    route = router.post("/graphql").respond(json=VIEWER)
    for _ in range(3):
        await resolve(sdk.viewer())
    assert router.routes[0].call_count == 1
    assert route.calls[0].request.headers["authorization"] == "Bearer tok"
    assert route.calls[0].request.headers["x-request-id"].startswith("req_")


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        samples = [backoff(attempt) for _ in range(200)]
        assert all(0.75 * ceiling <= s <= ceiling for s in samples)
        assert len(set(samples)) > 1


def test_long_keys_are_hashed() -> None:
    key = evenly.placement_key("x" * 300)
    assert key.startswith("place-sha256:") and len(key) <= 255
