"""Health, metrics, request ids and structured logs."""

from __future__ import annotations

import dataclasses
import json
import logging

import httpx
import pytest

from hub.app import create_app
from hub.observability import JsonFormatter
from tests.conftest import METRICS_TOKEN, Backend, Caller, get_token
from tests.conftest import scrape_metrics as _metrics


async def test_healthz_checks_the_database(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_metrics_count_requests_and_graphql_operations(
    operated: httpx.AsyncClient, creditor: Caller
) -> None:
    token = await get_token(operated, creditor.client_id, creditor.client_secret)
    await dataclasses.replace(creditor, http=operated, token=token).data("{ viewer { clientId } }")
    text = await _metrics(operated)
    assert 'evenly_graphql_operations_total{operation="query viewer",outcome="ok"}' in text
    assert (
        'evenly_graphql_operation_duration_seconds_bucket{le="0.001",operation="query viewer"}'
        in text
    )
    assert 'evenly_http_requests_total{method="POST",route="/graphql",status="200"}' in text


async def test_metrics_are_served_while_the_database_is_unreachable(backend: Backend) -> None:
    """The feed's metrics come from the database at each scrape; without it, the scrape
    still answers with every other metric."""
    if backend.name == "sqlite":
        pytest.skip("the database URL is replaced by an unreachable PostgreSQL one")
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/unreachable"
    settings = dataclasses.replace(backend.settings, database_url=url, metrics_token=METRICS_TOKEN)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        assert "evenly_webhook_queue_depth" in await _metrics(client)


async def test_metrics_are_served_only_with_the_operators_token(
    http: httpx.AsyncClient, operated: httpx.AsyncClient, creditor: Caller
) -> None:
    # Without EVENLY_METRICS_TOKEN the API serves no metrics at all.
    assert (await http.get("/metrics")).status_code == 404
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {creditor.token}"},  # an API token is not the metrics token
        {"Authorization": METRICS_TOKEN},
    ):
        refused = await operated.get("/metrics", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "evenly_" not in refused.text
    assert "evenly_http_requests_total" in await _metrics(operated)


async def test_every_response_carries_a_request_id(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.headers["x-request-id"].startswith("req_")
    echoed = await http.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    unsafe = await http.get("/healthz", headers={"X-Request-Id": "bad id\nwith newline"})
    assert unsafe.headers["x-request-id"].startswith("req_")


def test_json_log_lines_carry_the_request_id_and_extras(caplog: pytest.LogCaptureFixture) -> None:
    from hub.observability import request_id_var

    token = request_id_var.set("req_42")
    try:
        record = logging.makeLogRecord(
            {
                "name": "hub.test",
                "levelno": logging.INFO,
                "levelname": "INFO",
                "msg": "placed %d",
                "args": (3,),
                "status": 200,
            }
        )
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert (
        line["message"] == "placed 3" and line["request_id"] == "req_42" and line["status"] == 200
    )


async def test_graphiql_is_served_to_browsers(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    api = await http.get("/graphql", headers={"Accept": "application/json"})
    assert api.status_code == 405
    assert api.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_operation_labels_name_only_fields_of_the_schema(
    operated: httpx.AsyncClient, creditor: Caller
) -> None:
    auth = {"Authorization": f"Bearer {creditor.token}"}
    for i in range(20):
        query = f"{{ madeUpField{i} viewer {{ clientId }} }}"
        await operated.post("/graphql", json={"query": query}, headers=auth)
    await operated.post("/graphql", json={"query": "{ madeUpAlone }"}, headers=auth)
    text = await _metrics(operated)
    assert "madeUp" not in text
    # A document that does not validate is counted under one label.
    assert 'evenly_graphql_operations_total{operation="invalid",outcome="error"}' in text
