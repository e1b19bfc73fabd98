"""sendTestEvent: samples of every event type for sandbox organizations only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hub.auth.scopes import OrganizationKind
from hub.delivery.sender import body_of
from hub.domain.events import EVENT_TYPES, ORGANIZATION_EVENT_TYPES
from hub.domain.ids import new_id
from hub.domain.sample_events import SAMPLE_TYPES, sample_event_row
from tests.api.test_event_schemas import problems
from tests.conftest import Caller

SEND = """mutation($input: SendTestEventInput!) {
  sendTestEvent(input: $input) { eventId userErrors { field code message } } }"""
CREATE = """mutation($url: String!) { createWebhookEndpoint(input: {url: $url}) {
  webhookEndpoint { id } } }"""
EVENT = """query($id: ID!) { node(id: $id) { ... on Event {
  id type livemode occurredAt data account { id } } } }"""


def test_there_is_a_sample_of_every_event_type_the_hub_publishes() -> None:
    assert set(EVENT_TYPES) == SAMPLE_TYPES


@pytest.mark.parametrize("is_agency", [False, True], ids=["creditor", "agency"])
@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_each_sample_is_a_valid_body_of_its_type(event_type: str, is_agency: bool) -> None:
    organization_id, endpoint_id = new_id("org"), new_id("we")
    now = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    row = sample_event_row(event_type, organization_id, is_agency, endpoint_id, now)
    body = body_of(row["type"], row["occurred_at"], row["data"], False)
    assert problems(body) == []
    # Its audience is the organization alone, and it is about no stored account.
    assert (row["account_id"], row["sequence"]) == (None, None)
    assert row["creditor_id"] == organization_id
    assert row["agency_id"] == (organization_id if is_agency else None)
    account = row["data"].get("account")
    assert (account is None) == (event_type in ORGANIZATION_EVENT_TYPES)
    if account is not None and not (is_agency and event_type == "account.placed"):
        side = "agencyId" if is_agency else "creditorId"
        assert account[side] == organization_id


async def _endpoint(caller: Caller) -> str:
    made = await caller.data(CREATE, {"url": "https://8.8.8.8/hook"})
    endpoint_id: str = made["createWebhookEndpoint"]["webhookEndpoint"]["id"]
    return endpoint_id


async def _send(caller: Caller, endpoint_id: str, event_type: str) -> dict[str, Any]:
    body = await caller.graphql(SEND, {"input": {"endpointId": endpoint_id, "type": event_type}})
    return body


async def test_a_sandbox_organization_gets_a_sample_on_its_feed_marked_not_live(
    make_caller: Any,
) -> None:
    for kind in (OrganizationKind.CREDITOR, OrganizationKind.AGENCY):
        caller = await make_caller(kind, sandbox=True)
        endpoint_id = await _endpoint(caller)
        sent = (await _send(caller, endpoint_id, "payment.received"))["data"]["sendTestEvent"]
        assert sent["userErrors"] == []
        event = (await caller.data(EVENT, {"id": sent["eventId"]}))["node"]
        assert (event["type"], event["livemode"], event["account"]) == (
            "payment.received",
            False,
            None,
        )
        body = body_of(
            event["type"],
            dt.datetime.fromisoformat(event["occurredAt"]),
            event["data"],
            event["livemode"],
        )
        assert problems(body) == []


async def test_a_live_organization_is_forbidden_to_send_test_events(make_caller: Any) -> None:
    live = await make_caller(OrganizationKind.CREDITOR)
    endpoint_id = await _endpoint(live)
    refused = await _send(live, endpoint_id, "account.placed")
    assert refused["data"] is None
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["reason"] == "SANDBOX_ONLY"
    feed = await live.data("{ events(first: 10) { nodes { id } } }")
    assert feed["events"]["nodes"] == []


async def test_an_unknown_type_or_a_foreign_endpoint_is_refused(make_caller: Any) -> None:
    caller = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    other = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    endpoint_id = await _endpoint(caller)
    unknown = (await _send(caller, endpoint_id, "account.exploded"))["data"]["sendTestEvent"]
    assert [(e["code"], e["field"]) for e in unknown["userErrors"]] == [
        ("INVALID_EVENT_TYPE", ["type"])
    ]
    foreign = (await _send(other, endpoint_id, "account.placed"))["data"]["sendTestEvent"]
    assert foreign["eventId"] is None
    assert [e["code"] for e in foreign["userErrors"]] == ["NOT_FOUND"]
    assert (await other.data("{ events(first: 10) { nodes { id } } }"))["events"]["nodes"] == []
