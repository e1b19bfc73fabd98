"""Bad input at the HTTP edge: each gets a clear error with a stable code and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette

from hub.app import create_app
from tests.conftest import Backend, Caller, get_token, placement


async def _post(http: httpx.AsyncClient, caller: Caller, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {caller.token}", **kwargs.pop("headers", {})}
    return await http.post("/graphql", headers=headers, **kwargs)


async def test_transport_errors_have_codes(http: httpx.AsyncClient, creditor: Caller) -> None:
    cases = [
        (
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            "MALFORMED_JSON",
        ),
        (
            {
                "content": b"query { viewer { clientId } }",
                "headers": {"content-type": "text/plain"},
            },
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        ({"json": [{"query": "{ viewer { clientId } }"}]}, 400, "BAD_REQUEST"),
        ({"json": {"query": "{ viewer { clientId } }", "extra": 1}}, 400, "BAD_REQUEST"),
        ({"json": {"query": 42}}, 400, "BAD_REQUEST"),
        ({"json": {"query": "{ viewer { clientId } }", "variables": [1]}}, 400, "BAD_REQUEST"),
        ({"json": {"query": "subscription { x }"}}, 200, "GRAPHQL_VALIDATION_FAILED"),
        (
            {"json": {"query": "{ viewer { clientId } }", "operationName": "Nope"}},
            400,
            "BAD_REQUEST",
        ),
        ({"json": {"query": "{ nope }"}}, 200, "GRAPHQL_VALIDATION_FAILED"),
        ({"json": {"query": "{ viewer "}}, 200, "GRAPHQL_PARSE_FAILED"),
        ({"json": {"query": '{ account(reference: "a\u0000b") { id } }'}}, 400, "BAD_USER_INPUT"),
        ({"json": {"query": '{ account(reference: "a\\u0000b") { id } }'}}, 200, "BAD_USER_INPUT"),
        (
            {
                "json": {
                    "query": "query($k: String) { events(after: $k) { nodes { id } } }",
                    "variables": {"k": "evt_\u0000"},
                }
            },
            400,
            "BAD_USER_INPUT",
        ),
        (
            {
                "json": {
                    "query": "{ viewer { clientId } }",
                    "variables": {"items": [{"metadata": {"x": ["\u0000"]}}]},
                }
            },
            400,
            "BAD_USER_INPUT",
        ),
    ]
    for kwargs, status, code in cases:
        response = await _post(http, creditor, **kwargs)
        assert response.status_code == status, (kwargs, response.text)
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == code, (kwargs, body)
        assert "Traceback" not in response.text


async def test_wrong_scalar_formats_are_bad_user_input(creditor: Caller) -> None:
    query = "query($after: DateTime) { accounts(filter: {placedAfter: $after}) { totalCount } }"
    for value in ("yesterday", "2026-01-01T00:00:00", 12):
        body = await creditor.graphql(query, {"after": value})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    item = placement(dueDate="31/12/2025")
    body = await creditor.graphql(
        "mutation($i: PlaceAccountInput!) { placeAccount(input: $i) { account { id } } }",
        {"i": item},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    unknown_field = placement(color="red")
    body = await creditor.graphql(
        "mutation($i: PlaceAccountInput!) { placeAccount(input: $i) { account { id } } }",
        {"i": unknown_field},
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await creditor.data("{ accounts { totalCount } }"))["accounts"]["totalCount"] == 0


async def test_depth_cost_and_alias_limits(creditor: Caller) -> None:
    deep = "{ events { nodes { account { events { nodes { account { events { nodes { account { events { nodes { account { id } } } } } } } } } } } } }"
    body = await creditor.graphql(deep)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    costly = "{ accounts(first: 100) { nodes { events(first: 100) { nodes { account { events(first: 100) { nodes { id } } } } } } } }"
    body = await creditor.graphql(costly)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    aliases = "{ " + " ".join(f"a{i}: viewer {{ clientId }}" for i in range(31)) + " }"
    body = await creditor.graphql(aliases)
    assert body["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"
    introspection = "{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }"
    assert "errors" not in await creditor.graphql(introspection)


async def test_oversize_body_is_413(http: httpx.AsyncClient, creditor: Caller) -> None:
    huge = {"query": "{ viewer { clientId } }", "variables": {"pad": "x" * (6 * 1024 * 1024)}}
    response = await _post(http, creditor, json=huge)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"


async def test_rate_limit_answers_429_with_retry_after(backend: Backend, creditor: Caller) -> None:
    from dataclasses import replace

    settings = replace(backend.settings, rate_limit_per_second=0.5, rate_limit_burst=3)
    app: Starlette = create_app(settings, backend.services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
    ) as http:
        token = await get_token(http, creditor.client_id, creditor.client_secret)
        statuses = []
        for _ in range(5):
            response = await http.post(
                "/graphql",
                json={"query": "{ viewer { clientId } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses.append(response.status_code)
        assert statuses == [200, 200, 200, 429, 429]
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_unexpected_errors_are_masked_with_a_request_id(
    http: httpx.AsyncClient, creditor: Caller, app: Any, monkeypatch: Any
) -> None:
    from hub.services import accounts as account_service

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(account_service, "list_accounts", broken)
    response = await _post(
        http,
        creditor,
        json={"query": "{ accounts { nodes { id } } }"},
        headers={"X-Request-Id": "req-test-123"},
    )
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-test-123"}
    assert "secret internals" not in response.text
    assert response.headers["x-request-id"] == "req-test-123"
