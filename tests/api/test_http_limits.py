"""Bad input at the HTTP edge: each gets a clear error with a stable code and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette

from hub.app import create_app
from tests.conftest import Backend, Caller, get_token, place, placement


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


async def test_hostile_variable_shapes_are_refused_with_codes(
    http: httpx.AsyncClient, creditor: Caller
) -> None:
    nested: dict[str, Any] = {}
    inner = nested
    for _ in range(900):
        inner["a"] = {}
        inner = inner["a"]
    place = "mutation($i: PlaceAccountInput!) { placeAccount(input: $i) { account { id } } }"
    cases = [
        ({"query": place, "variables": {"i": placement(metadata=nested)}}, "BAD_USER_INPUT"),
        (
            {
                "query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                "variables": {"ids": ["acc_x"] * 40_000},
            },
            "LIST_TOO_LONG",
        ),
        (
            {
                "query": "query($s: [AccountStatus!]) { accounts(filter: {status: $s}) { totalCount } }",
                "variables": {"s": ["PLACED"] * 40_000},
            },
            "LIST_TOO_LONG",
        ),
        (
            {"query": place, "variables": {"i": {"items": [placement() for _ in range(1_001)]}}},
            "LIST_TOO_LONG",
        ),
    ]
    for body, code in cases:
        response = await _post(http, creditor, json=body)
        assert response.status_code == 400, response.text[:300]
        assert response.json()["errors"][0]["extensions"]["code"] == code
    huge_first = "{ accounts(first: " + "9" * 5_000 + ") { totalCount } }"
    response = await _post(http, creditor, json={"query": huge_first})
    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "message": "an Int of 5000 digits",
                "extensions": {"code": "BAD_USER_INPUT"},
                "locations": [{"line": 1, "column": 19}],
            }
        ]
    }
    assert (await creditor.data("{ accounts { totalCount } }"))["accounts"]["totalCount"] == 0


async def test_first_zero_is_an_empty_page(creditor: Caller) -> None:
    await place(creditor)
    data = await creditor.data(
        "{ accounts(first: 0) { totalCount nodes { id } pageInfo { hasNextPage endCursor } }"
        " events(first: 0) { nodes { id } pageInfo { hasNextPage } } }"
    )
    assert data["accounts"] == {
        "totalCount": 1,
        "nodes": [],
        "pageInfo": {"hasNextPage": True, "endCursor": None},
    }
    assert data["events"]["nodes"] == []
    body = await creditor.graphql("{ accounts(first: -1) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"


async def test_requests_that_fail_before_execution_have_no_data(
    http: httpx.AsyncClient, creditor: Caller
) -> None:
    for query, code in [
        ("{ viewer ", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("query($n: Int!) { accounts(first: $n) { totalCount } }", "BAD_USER_INPUT"),
    ]:
        response = await _post(http, creditor, json={"query": query})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert "data" not in body and body["errors"][0]["extensions"]["code"] == code, body


async def test_graphql_response_json_is_served_when_accepted(
    http: httpx.AsyncClient, creditor: Caller
) -> None:
    accept = {"accept": "application/graphql-response+json, application/json;q=0.9"}
    ok = await _post(http, creditor, json={"query": "{ __typename }"}, headers=accept)
    assert ok.status_code == 200
    assert ok.headers["content-type"] == "application/graphql-response+json"
    assert ok.json() == {"data": {"__typename": "Query"}}
    for query, code in [
        ("{", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }", "TOO_MANY_ALIASES"),
    ]:
        response = await _post(http, creditor, json={"query": query}, headers=accept)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/graphql-response+json"
        body = response.json()
        assert "data" not in body and body["errors"][0]["extensions"]["code"] == code
    # A field error after execution started keeps its data (and its 200).
    failing = await _post(
        http, creditor, json={"query": '{ account(id: "nope") { id } }'}, headers=accept
    )
    assert failing.status_code == 200 and "data" in failing.json()
    # Without the new media type (or with */*), JSON as before.
    for plain in ({}, {"accept": "*/*"}, {"accept": "application/json"}):
        response = await _post(http, creditor, json={"query": "{ __typename }"}, headers=plain)
        assert response.headers["content-type"] == "application/json"


async def test_request_parameters_of_the_wrong_type_are_bad_requests(
    http: httpx.AsyncClient, creditor: Caller
) -> None:
    for body in (
        {"query": "{ __typename }", "extensions": "x"},
        {"query": "{ __typename }", "extensions": [1]},
        {"query": "{ __typename }", "operationName": 0},
        {"query": "{ __typename }", "operationName": False},
        {"query": "{ __typename }", "variables": 0},
        {"query": "{ __typename }", "variables": False},
    ):
        response = await _post(http, creditor, json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    for nothing in ("variables", "operationName", "extensions"):
        response = await _post(http, creditor, json={"query": "{ __typename }", nothing: None})
        assert response.json() == {"data": {"__typename": "Query"}}
