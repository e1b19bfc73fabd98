"""Event payload schemas: one JSON Schema per catalogued type, and the hub's events fit them.

The schemas in schema/webhooks describe the whole webhook body ``{"type", "timestamp",
"livemode", "data"}``; the ``events`` feed carries the same ``data``, so events read from the feed and
wrapped by ``hub.delivery.sender.body_of`` must validate against the schema of their type.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from hub.delivery import policy
from hub.delivery.sender import body_of
from hub.domain.events import (
    ACCOUNT_ASSIGNED,
    ACCOUNT_BALANCE_ADJUSTED,
    EVENT_TYPES,
    HOLD_REQUESTED,
    ORGANIZATION_EVENT_TYPES,
    PORTAL_CODE_REQUESTED,
    PORTAL_PAYMENT_STARTED,
    PORTAL_VISITED,
    TEST_CLOCK_READY,
)
from hub.domain.ids import new_id
from hub.domain.money import Money
from hub.domain.payloads import portal_payment_started_row
from hub.domain.vocabulary import ContactChannel, HoldReason
from hub.services import portal as portal_service
from hub.services import portal_access, portal_prefs
from hub.services.maintenance import sweep
from tests.collection_ops import produce_collection_events
from tests.conftest import PLACE, Backend, Caller, placement
from tests.scenario import principal_of

SCHEMA_ROOT = Path(__file__).resolve().parents[2] / "schema"
WEBHOOK_SCHEMAS = SCHEMA_ROOT / "webhooks"
ASYNCAPI = SCHEMA_ROOT / "asyncapi.yaml"
ACCOUNT_TYPES = sorted(set(EVENT_TYPES) - ORGANIZATION_EVENT_TYPES)

RECALL = """mutation($input: RecallAccountInput!) {
  recallAccount(input: $input) { account { id status } userErrors { field code message } }
}"""
ADJUST = """mutation($input: AdjustBalanceInput!) {
  adjustBalance(input: $input) { account { id balance { amountMinor currency } } userErrors { field code message } }
}"""
CREATE_ENDPOINT = """mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { field code message } }
}"""
SEND_TEST = """mutation($id: ID!) {
  sendTestWebhook(input: {id: $id}) { eventId userErrors { field code message } }
}"""
FEED = """query($after: String) {
  events(first: 100, after: $after) {
    nodes { id type sequence occurredAt livemode data }
    pageInfo { hasNextPage endCursor }
  }
}"""


# --- loading and validating ---------------------------------------------------------------


def _date_time(value: object) -> bool:
    """RFC 3339 date-time with an offset (jsonschema checks it only with an extra package)."""
    if not isinstance(value, str):
        return True
    return dt.datetime.fromisoformat(value).tzinfo is not None


FORMATS = FormatChecker()
FORMATS.checks("date-time", raises=ValueError)(_date_time)


def schema_files() -> list[Path]:
    """Every schema file, the shared definitions (``_common.json``) included."""
    return sorted(WEBHOOK_SCHEMAS.glob("*.json"))


def type_of(path: Path) -> str:
    return path.name.removesuffix(".json")


def schema_types() -> set[str]:
    """The event types that have a schema file (files starting with ``_`` are shared)."""
    return {type_of(p) for p in schema_files() if not p.name.startswith("_")}


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@cache
def registry() -> Registry[Any]:
    """Every schema under its ``$id``, so ``$ref``s resolve locally, without a network."""
    resources = [Resource.from_contents(load(p)) for p in schema_files()]
    return Registry().with_resources((r.contents["$id"], r) for r in resources)


@cache
def validator(event_type: str) -> Draft202012Validator:
    """The validator of webhook bodies of ``event_type``, formats checked."""
    schema = load(WEBHOOK_SCHEMAS / f"{event_type}.json")
    return Draft202012Validator(schema, registry=registry(), format_checker=FORMATS)


def problems(body: Any, event_type: str | None = None) -> list[str]:
    """Why ``body`` (a dict, or raw bytes as sent) does not fit its type's schema; [] if it does."""
    if isinstance(body, bytes | str):
        body = json.loads(body)
    checked = validator(event_type or body["type"])
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in checked.iter_errors(body)
    ]


def example(event_type: str) -> dict[str, Any]:
    """A deep copy of the first example in the schema of ``event_type``."""
    examples = load(WEBHOOK_SCHEMAS / f"{event_type}.json")["examples"]
    return copy.deepcopy(examples[0])


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


# --- (a) the catalogue and the schema files -------------------------------------------------


def test_every_event_type_has_a_schema_and_every_schema_is_a_catalogued_type() -> None:
    assert schema_types() == set(EVENT_TYPES)


@pytest.mark.parametrize("path", schema_files(), ids=type_of)
def test_each_schema_is_a_valid_draft_2020_12_schema_with_id_title_and_description(
    path: Path,
) -> None:
    schema = load(path)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/webhooks/{path.name}")
    assert schema["title"].strip() and schema["description"].strip()


@pytest.mark.parametrize("path", schema_files(), ids=type_of)
def test_every_ref_in_a_schema_resolves(path: Path) -> None:
    schema = load(path)
    resolver = registry().resolver(base_uri=schema["$id"])
    for ref in refs_in(schema):
        assert resolver.lookup(ref).contents is not None, ref


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_each_body_schema_pins_its_type_and_the_body_shape(event_type: str) -> None:
    schema = load(WEBHOOK_SCHEMAS / f"{event_type}.json")
    assert schema["title"] == event_type
    assert schema["properties"]["type"]["const"] == event_type
    assert schema["required"] == ["type", "timestamp", "livemode", "data"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["data"]["additionalProperties"] is False
    about_an_account = "account" in schema["properties"]["data"]["required"]
    assert about_an_account == (event_type not in ORGANIZATION_EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_the_examples_in_each_schema_are_valid(event_type: str) -> None:
    examples = load(WEBHOOK_SCHEMAS / f"{event_type}.json")["examples"]
    assert examples
    for body in examples:
        assert body["type"] == event_type
        assert problems(body) == []


def test_asyncapi_describes_one_post_with_standard_webhooks_headers_and_a_message_per_type() -> (
    None
):
    document = yaml.safe_load(ASYNCAPI.read_text())
    assert document["asyncapi"].startswith("3.")
    messages = document["components"]["messages"]
    assert {m["name"] for m in messages.values()} == set(EVENT_TYPES)
    for message in messages.values():
        ref = message["payload"]["schema"]["$ref"]
        target = (ASYNCAPI.parent / ref).resolve()
        assert target.parent == WEBHOOK_SCHEMAS.resolve(), ref
        assert type_of(target) == message["name"]
        assert message["payload"]["schemaFormat"].endswith("version=draft-2020-12")
    [channel] = document["channels"].values()
    assert len(channel["messages"]) == len(EVENT_TYPES)
    [operation] = document["operations"].values()
    assert operation["action"] == "send"
    assert operation["bindings"]["http"]["method"] == "POST"
    assert len(operation["messages"]) == len(EVENT_TYPES)
    headers = document["components"]["schemas"]["StandardWebhookHeaders"]
    Draft7Validator.check_schema(headers)
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(headers["required"])
    assert "v1a?," in headers["properties"]["webhook-signature"]["pattern"]


# --- (b) the events the hub writes fit their schemas -----------------------------------------


async def feed(caller: Caller) -> list[dict[str, Any]]:
    """Every event the caller may see, oldest first, through the ``events`` query."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await caller.data(FEED, {"after": after}))["events"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def as_webhook_body(event: dict[str, Any]) -> bytes:
    """The body the delivery worker would send for an event read from the feed."""
    occurred_at = dt.datetime.fromisoformat(event["occurredAt"])
    return body_of(event["type"], occurred_at, event["data"], event["livemode"])


Run = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
"""Runs a GraphQL operation for the creditor, returns its ``data`` (fails on errors)."""


async def produce_account_events(run: Run) -> dict[str, str]:
    """Place four routed accounts, recall two (with and without a reason), adjust one.

    Returns the account ids by role: ``kept``, ``recalled``, ``recalled_silently``,
    ``adjusted``. Writes every ``account.*`` type: 4 placed, 4 assigned, 2 recalled, 1 adjusted.
    """
    ids: dict[str, str] = {}
    for role in ("kept", "recalled", "recalled_silently", "adjusted"):
        placed = (await run(PLACE, {"input": placement()}))["placeAccount"]
        assert placed["userErrors"] == [], placed
        ids[role] = placed["account"]["id"]
    for role, reason in (("recalled", "paid at checkout"), ("recalled_silently", None)):
        recalled = await run(RECALL, {"input": {"accountId": ids[role], "reason": reason}})
        assert recalled["recallAccount"]["userErrors"] == [], recalled
    adjustment = {"amountMinor": -2500, "currency": "SEK"}
    adjusted = await run(
        ADJUST,
        {
            "input": {
                "accountId": ids["adjusted"],
                "amount": adjustment,
                "reason": "late fee waived",
            }
        },
    )
    assert adjusted["adjustBalance"]["userErrors"] == [], adjusted
    return ids


ACCOUNT_EVENTS = 4 + 4 + 2 + 1


async def send_test_webhook(run: Run, endpoint_id: str) -> str:
    """Ask for a ``webhook.test`` delivery to the endpoint; the event's id."""
    sent = (await run(SEND_TEST, {"id": endpoint_id}))["sendTestWebhook"]
    assert sent["userErrors"] == [], sent
    event_id: str = sent["eventId"]
    return event_id


def check_event(body: dict[str, Any], creditor_id: str) -> None:
    """What the schemas cannot say: the fields of a body that must agree with each other."""
    account = body["data"].get("account")
    if account is not None:
        assert account["creditorId"] == creditor_id
    if body["type"] == ACCOUNT_ASSIGNED:
        assert body["data"]["agencyId"] == account["agencyId"]
    if body["type"] == ACCOUNT_BALANCE_ADJUSTED:
        before = body["data"]["previousBalance"]
        change = body["data"]["adjustment"]
        assert account["balance"]["currency"] == before["currency"] == change["currency"]
        assert account["balance"]["amountMinor"] == before["amountMinor"] + change["amountMinor"]


async def test_every_event_on_the_feed_validates_as_a_webhook_body(
    routed: tuple[Caller, Caller], backend: Backend
) -> None:
    creditor, agency = routed
    ids = await produce_account_events(creditor.data)

    async def place_routed() -> str:
        placed = await creditor.data(PLACE, {"input": placement()})
        account_id: str = placed["placeAccount"]["account"]["id"]
        return account_id

    collected = await produce_collection_events(creditor.data, agency.data, place_routed)
    # The maintenance sweep breaks the plan once its first installment is overdue.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    assert (await sweep(backend.services, now=later)).plans_broken >= 1
    created = await creditor.data(
        CREATE_ENDPOINT, {"input": {"url": "https://8.8.8.8/hooks", "eventTypes": []}}
    )
    endpoint_id = created["createWebhookEndpoint"]["webhookEndpoint"]["id"]
    test_event_id = await send_test_webhook(creditor.data, endpoint_id)
    # endpoint.disabled comes from the delivery worker only: write it the way the worker does
    # when a receiver answers 410 (tests/e2e/test_event_schemas_e2e.py does it for real).
    async with backend.services.store.transaction() as uow:
        await uow.endpoints.disable(endpoint_id, policy.GONE, dt.datetime.now(dt.UTC))

    # portal.code_requested goes to the link's issuer alone: here the agency.
    issued = await portal_service.create_portal_link(
        backend.services, principal_of(agency.organization_id, agency.kind), ids["kept"]
    )
    await portal_access.request_code(backend.services, issued.token)
    # portal.payment_started likewise; the sandbox provider pays for sandbox organizations
    # only (tests/api/test_portal_pay.py), so it is written the way the portal writes it.
    started = portal_payment_started_row(
        issued.link, ids["kept"], new_id("pay"), Money(100, "SEK"), dt.datetime.now(dt.UTC)
    )
    async with backend.services.store.transaction() as uow:
        await uow.events.append([started])
    # portal.visited and hold.requested likewise, the way the portal's pages make them.
    await portal_prefs.record_visit(backend.services, issued.token, ContactChannel.SMS)
    await portal_prefs.request_hold(backend.services, issued.link, ids["kept"], HoldReason.HARDSHIP)
    portal_only = {PORTAL_CODE_REQUESTED, PORTAL_PAYMENT_STARTED, PORTAL_VISITED, HOLD_REQUESTED}
    # A test clock is a sandbox creditor's, and this one is live: tests/api/test_test_clocks.py
    # validates test_clock.ready from a sandbox creditor's feed.
    sandbox_only = {TEST_CLOCK_READY}

    events = await feed(creditor)
    assert {e["type"] for e in events} == set(EVENT_TYPES) - portal_only - sandbox_only
    for event in events:
        body = json.loads(as_webhook_body(event))
        assert problems(body) == [], (event["type"], event["data"])
        assert body["timestamp"] == event["occurredAt"]
        check_event(body, creditor.organization_id)
    account_events = [
        e
        for e in events
        if e["type"].startswith("account.") and e["data"]["account"]["id"] in ids.values()
    ]
    assert len(account_events) == ACCOUNT_EVENTS
    assert {e["data"]["account"]["id"] for e in account_events} == set(ids.values())
    assert {e["data"]["agencyId"] for e in account_events if e["type"] == ACCOUNT_ASSIGNED} == {
        agency.organization_id
    }
    reasons = {
        e["data"]["account"]["id"]: e["data"]["reason"]
        for e in account_events
        if "reason" in e["data"]
    }
    assert reasons == {
        ids["recalled"]: "paid at checkout",
        ids["recalled_silently"]: None,
        ids["adjusted"]: "late fee waived",
    }
    [test_send] = [e for e in events if e["type"] == "webhook.test"]
    assert test_send["id"] == test_event_id and test_send["data"]["endpointId"] == endpoint_id
    [disabled] = [e for e in events if e["type"] == "endpoint.disabled"]
    assert disabled["data"]["endpointId"] == endpoint_id

    # The agency's feed carries the same account events, with the same data, and every
    # collection event but the creditor's own win-back ones.
    agency_feed = await feed(agency)
    [code_requested] = [e for e in agency_feed if e["type"] == PORTAL_CODE_REQUESTED]
    assert problems(json.loads(as_webhook_body(code_requested))) == []
    assert code_requested["data"]["portalLinkId"] == issued.link.id
    [payment_started] = [e for e in agency_feed if e["type"] == PORTAL_PAYMENT_STARTED]
    assert problems(json.loads(as_webhook_body(payment_started))) == []
    for own in (PORTAL_VISITED, HOLD_REQUESTED):
        [event] = [e for e in agency_feed if e["type"] == own]
        assert problems(json.loads(as_webhook_body(event))) == [], event
    agency_feed = [e for e in agency_feed if e["type"] not in portal_only]
    assert [e for e in agency_feed if e["data"]["account"]["id"] in ids.values()] == (
        account_events
    )
    creditor_only = {"customer.rehabilitated", "customer.returned"}
    assert [
        e
        for e in events
        if e.get("data", {}).get("account", {}).get("id") in collected.values()
        and e["type"] not in creditor_only
    ] == [e for e in agency_feed if e["data"]["account"]["id"] in collected.values()]


# --- (c) the schemas are strict enough to fail ----------------------------------------------

_DELETE = object()


def _changed(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    *parents, last = path
    node = changed
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return changed


ANY_TYPE = sorted(EVENT_TYPES)
# (what is wrong, where, the new value or _DELETE)
BROKEN: list[tuple[str, tuple[str, ...], Any]] = [
    ("no data", ("data",), _DELETE),
    ("data that is not an object", ("data",), []),
    ("no type", ("type",), _DELETE),
    ("no timestamp", ("timestamp",), _DELETE),
    ("an unexpected top-level field", ("id",), "evt_01M8ANXP8Z3DJ5BCHT92JA645W"),
    ("an unexpected data field", ("data", "customer"), {"name": "Astrid Lindqvist"}),
    ("a timestamp with an offset instead of Z", ("timestamp",), "2026-03-01T10:30:00+01:00"),
    ("a timestamp that is no date", ("timestamp",), "2026-02-30T09:30:00Z"),
    ("a date-only timestamp", ("timestamp",), "2026-03-01"),
    ("a timestamp in epoch seconds", ("timestamp",), 1772357400),
]
BROKEN_ACCOUNT: list[tuple[str, tuple[str, ...], Any]] = [
    ("no account id", ("data", "account", "id"), _DELETE),
    ("no account", ("data", "account"), _DELETE),
    ("customer PII in the snapshot", ("data", "account", "customerName"), "Astrid Lindqvist"),
    ("an unknown status", ("data", "account", "status"), "OPEN"),
    ("an unknown product", ("data", "account", "product"), "MORTGAGE"),
    ("a lower-case country", ("data", "account", "country"), "se"),
    ("an id of another kind", ("data", "account", "id"), "cus_01JQ4N6Z8R0A1B2C3D4E5F6G7H"),
    ("a due date with a time", ("data", "account", "dueDate"), "2026-01-31T00:00:00Z"),
    ("a fractional amount", ("data", "account", "balance", "amountMinor"), 1000.5),
    ("an amount as a string", ("data", "account", "balance", "amountMinor"), "1000"),
    ("a negative balance", ("data", "account", "balance", "amountMinor"), -1),
    ("an amount beyond 32 bits", ("data", "account", "balance", "amountMinor"), 2**31),
    ("a lower-case currency", ("data", "account", "balance", "currency"), "sek"),
    ("money without currency", ("data", "account", "originalAmount", "currency"), _DELETE),
    ("money with an extra field", ("data", "account", "balance", "display"), "1 000 kr"),
    ("no agencyId key", ("data", "account", "agencyId"), _DELETE),
]
BROKEN_FOR_TYPE: list[tuple[str, str, tuple[str, ...], Any]] = [
    (
        "account.placed",
        "an agency already on the placed snapshot",
        ("data", "account", "agencyId"),
        "org_01JPZX4B2N8S5K1D7F3G9H6J0K",
    ),
    (
        "account.placed",
        "a placed account that is not PLACED",
        ("data", "account", "status"),
        "RECALLED",
    ),
    ("account.assigned", "no agencyId in data", ("data", "agencyId"), _DELETE),
    ("account.assigned", "a null agencyId in data", ("data", "agencyId"), None),
    ("account.assigned", "an unassigned snapshot", ("data", "account", "agencyId"), None),
    ("account.recalled", "no reason key", ("data", "reason"), _DELETE),
    ("account.recalled", "a reason that is not a string", ("data", "reason"), 42),
    (
        "account.recalled",
        "a recalled account that is not RECALLED",
        ("data", "account", "status"),
        "PLACED",
    ),
    ("account.balance_adjusted", "no reason", ("data", "reason"), _DELETE),
    ("account.balance_adjusted", "an empty reason", ("data", "reason"), ""),
    ("account.balance_adjusted", "a reason over 500 characters", ("data", "reason"), "x" * 501),
    ("account.balance_adjusted", "a null reason", ("data", "reason"), None),
    ("account.balance_adjusted", "no previous balance", ("data", "previousBalance"), _DELETE),
    ("account.balance_adjusted", "no adjustment", ("data", "adjustment"), _DELETE),
    ("account.balance_adjusted", "a zero adjustment", ("data", "adjustment", "amountMinor"), 0),
    (
        "account.balance_adjusted",
        "an adjustment without currency",
        ("data", "adjustment", "currency"),
        _DELETE,
    ),
    (
        "account.balance_adjusted",
        "an adjusted account that is closed",
        ("data", "account", "status"),
        "PAID",
    ),
    ("endpoint.disabled", "no endpointId", ("data", "endpointId"), _DELETE),
    (
        "endpoint.disabled",
        "an account id for the endpoint",
        ("data", "endpointId"),
        "acc_01JQ4N6Z8R3YF5X2W7K9M1B0CD",
    ),
    ("endpoint.disabled", "no reason", ("data", "reason"), _DELETE),
    ("endpoint.disabled", "an empty reason", ("data", "reason"), ""),
    ("endpoint.disabled", "an account in data", ("data", "account"), {}),
    ("webhook.test", "no endpointId", ("data", "endpointId"), _DELETE),
    ("webhook.test", "a null endpointId", ("data", "endpointId"), None),
    ("webhook.test", "no message", ("data", "message"), _DELETE),
    ("webhook.test", "a message that is not a string", ("data", "message"), {"text": "hi"}),
]


@pytest.mark.parametrize("event_type", ANY_TYPE)
@pytest.mark.parametrize(("wrong", "path", "value"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_body_that_is_wrong_anywhere_is_invalid(
    event_type: str, wrong: str, path: tuple[str, ...], value: Any
) -> None:
    body = example(event_type)
    assert problems(body) == []
    assert problems(_changed(body, path, value), event_type) != [], wrong


@pytest.mark.parametrize("event_type", ACCOUNT_TYPES)
@pytest.mark.parametrize(
    ("wrong", "path", "value"), BROKEN_ACCOUNT, ids=[b[0] for b in BROKEN_ACCOUNT]
)
def test_an_account_snapshot_that_is_wrong_anywhere_is_invalid(
    event_type: str, wrong: str, path: tuple[str, ...], value: Any
) -> None:
    body = example(event_type)
    assert problems(body) == []
    assert problems(_changed(body, path, value), event_type) != [], wrong


@pytest.mark.parametrize(
    ("event_type", "wrong", "path", "value"), BROKEN_FOR_TYPE, ids=[b[1] for b in BROKEN_FOR_TYPE]
)
def test_a_body_that_breaks_its_type_is_invalid(
    event_type: str, wrong: str, path: tuple[str, ...], value: Any
) -> None:
    body = example(event_type)
    assert problems(body) == []
    assert problems(_changed(body, path, value), event_type) != [], wrong


@pytest.mark.parametrize("event_type", ANY_TYPE)
def test_a_body_with_another_type_is_invalid_both_ways(event_type: str) -> None:
    body = example(event_type)
    for other in sorted(set(EVENT_TYPES) - {event_type}):
        relabelled = {**body, "type": other}
        # The type const fails against the body's own schema ...
        assert problems(relabelled, event_type) != [], f"{other} passes as {event_type}"
        # ... and the data fails against the other type's: the shapes are distinct.
        assert problems(relabelled, other) != [], f"{event_type} data passes as {other}"
