"""Sink endpoints: only sandbox organizations may point an endpoint at the hub's sink."""

from __future__ import annotations

from typing import Any

from hub.auth.scopes import OrganizationKind

CREATE = """mutation($url: String!) { createWebhookEndpoint(input: {url: $url}) {
  webhookEndpoint { id url } userErrors { field code message } } }"""
UPDATE = """mutation($id: ID!, $url: String!) { updateWebhookEndpoint(input: {id: $id, url: $url}) {
  webhookEndpoint { id url } userErrors { field code message } } }"""


async def test_a_sandbox_organization_may_use_the_sink(make_caller: Any) -> None:
    sandbox = await make_caller(OrganizationKind.AGENCY, sandbox=True)
    made = (await sandbox.data(CREATE, {"url": "sink://429?retry-after=2"}))[
        "createWebhookEndpoint"
    ]
    assert made["userErrors"] == []
    assert made["webhookEndpoint"]["url"] == "sink://429?retry-after=2"
    moved = (
        await sandbox.data(UPDATE, {"id": made["webhookEndpoint"]["id"], "url": "sink://410"})
    )["updateWebhookEndpoint"]
    assert (moved["userErrors"], moved["webhookEndpoint"]["url"]) == ([], "sink://410")
    bad = (await sandbox.data(CREATE, {"url": "sink://teapot"}))["createWebhookEndpoint"]
    assert [(e["code"], e["field"]) for e in bad["userErrors"]] == [("INVALID_SINK_URL", ["url"])]


async def test_a_live_organization_may_not_use_the_sink(make_caller: Any) -> None:
    live = await make_caller(OrganizationKind.CREDITOR)
    refused = (await live.data(CREATE, {"url": "sink://ok"}))["createWebhookEndpoint"]
    assert refused["webhookEndpoint"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("SANDBOX_ONLY", ["url"])]
    made = (await live.data(CREATE, {"url": "https://8.8.8.8/hook"}))["createWebhookEndpoint"]
    endpoint_id = made["webhookEndpoint"]["id"]
    moved = (await live.data(UPDATE, {"id": endpoint_id, "url": "sink://ok"}))[
        "updateWebhookEndpoint"
    ]
    assert [e["code"] for e in moved["userErrors"]] == ["SANDBOX_ONLY"]
    listed = await live.data("{ webhookEndpoints { nodes { url } } }")
    assert listed["webhookEndpoints"]["nodes"] == [{"url": "https://8.8.8.8/hook"}]
