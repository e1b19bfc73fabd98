"""Sandbox organizations: credentials that say so, ``livemode: false`` on everything they
see, and sandbox and live data that never meet, in routing or in any query of the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

from hub.auth.scopes import OrganizationKind
from hub.delivery.sender import body_of
from hub.domain.errors import DomainError
from hub.domain.ids import new_id
from hub.domain.routing import Weight
from hub.services import organizations as organization_service
from hub.store.tables import routing_rules
from tests.collection_ops import PERFORMANCE, PORTFOLIO, REHABILITATED, acknowledge, contact, pay
from tests.conftest import Backend, Caller, place

FEED = "{ events(first: 100) { nodes { id type livemode data } } }"
VIEWER = "{ viewer { clientId organization { id sandbox } } }"
ENDPOINTS = "{ webhookEndpoints(first: 100) { nodes { id } } }"
CREATE_ENDPOINT = """mutation($url: String!) {
  createWebhookEndpoint(input: {url: $url}) {
    webhookEndpoint { id } userErrors { code message } } }"""
READS = {
    "node": ("query($id: ID!) { node(id: $id) { id } }", lambda d: d["node"]),
    "nodes": ("query($id: ID!) { nodes(ids: [$id]) { id } }", lambda d: d["nodes"][0]),
}


async def _routed_pair(make_caller: Any, backend: Backend, *, sandbox: bool) -> list[Caller]:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=sandbox)
    agency = await make_caller(OrganizationKind.AGENCY, sandbox=sandbox)
    await organization_service.create_routing_rule(
        backend.services, creditor_id=creditor.organization_id, agency_id=agency.organization_id
    )
    return [creditor, agency]


async def test_sandbox_credentials_are_marked_test_and_live_ones_are_not(
    make_caller: Any,
) -> None:
    sandbox = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    live = await make_caller(OrganizationKind.AGENCY)
    assert sandbox.client_id.startswith("cli_test_")
    assert sandbox.client_secret.startswith("sk_test_")
    assert live.client_id.startswith("cli_") and not live.client_id.startswith("cli_test_")
    assert live.client_secret.startswith("sk_") and not live.client_secret.startswith("sk_test_")
    for caller, flag in ((sandbox, True), (live, False)):
        viewer = (await caller.data(VIEWER))["viewer"]
        assert viewer["clientId"] == caller.client_id
        assert viewer["organization"] == {"id": caller.organization_id, "sandbox": flag}


async def test_another_client_of_a_sandbox_organization_is_a_test_client(
    make_caller: Any, backend: Backend
) -> None:
    sandbox = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    creds = await organization_service.create_client(
        backend.services, sandbox.organization_id, name="ci", scopes=None
    )
    assert creds.client_id.startswith("cli_test_")
    assert creds.client_secret.startswith("sk_test_")


async def test_a_routing_rule_between_sandbox_and_live_is_refused(
    make_caller: Any, backend: Backend
) -> None:
    for creditor_sandbox in (True, False):
        creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=creditor_sandbox)
        agency = await make_caller(OrganizationKind.AGENCY, sandbox=not creditor_sandbox)
        with pytest.raises(DomainError) as refused:
            await organization_service.create_routing_rule(
                backend.services,
                creditor_id=creditor.organization_id,
                agency_id=agency.organization_id,
            )
        assert refused.value.code == "SANDBOX_MISMATCH"
        assert not await organization_service.routes_to(
            backend.services, creditor.organization_id, agency.organization_id
        )


async def test_events_say_livemode_false_in_the_sandbox_and_true_live(
    make_caller: Any, backend: Backend
) -> None:
    for sandbox in (True, False):
        creditor, agency = await _routed_pair(make_caller, backend, sandbox=sandbox)
        await place(creditor)
        for caller in (creditor, agency):
            nodes = (await caller.data(FEED))["events"]["nodes"]
            assert nodes, caller
            assert {node["livemode"] for node in nodes} == {not sandbox}
            one = await caller.data(
                "query($id: ID!) { node(id: $id) { ... on Event { livemode } } }",
                {"id": nodes[0]["id"]},
            )
            assert one["node"]["livemode"] is (not sandbox)


async def test_a_rule_across_modes_written_past_the_refusal_routes_nothing(
    make_caller: Any, backend: Backend
) -> None:
    """Routing itself skips an agency of the other mode, whatever the table holds."""
    creditor = await make_caller(OrganizationKind.CREDITOR)
    sandbox_agency = await make_caller(OrganizationKind.AGENCY, sandbox=True)
    async with backend.services.db.transaction() as conn:
        await conn.execute(
            routing_rules.insert().values(
                id=new_id("rr"),
                creditor_id=creditor.organization_id,
                agency_id=sandbox_agency.organization_id,
                priority=1,
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    placed = await place(creditor)
    assert placed["account"]["status"] == "PLACED"
    listing = await sandbox_agency.data("{ accounts { totalCount } }")
    assert listing["accounts"]["totalCount"] == 0
    assert (await sandbox_agency.data(FEED))["events"]["nodes"] == []


async def _world(make_caller: Any, backend: Backend, *, sandbox: bool) -> dict[str, Any]:
    """A routed creditor and agency of one mode with a paid (rehabilitated) account, an open
    one and a webhook endpoint each; the ids of everything they made."""
    creditor, agency = await _routed_pair(make_caller, backend, sandbox=sandbox)
    paid = (await place(creditor))["account"]
    open_ = (await place(creditor))["account"]
    await acknowledge(agency.data, paid["id"])
    await contact(agency.data, paid["id"], "SMS", "INBOUND", "CONVERSATION")
    await pay(agency.data, paid["id"], 100000)
    endpoints = []
    for caller in (creditor, agency):
        made = await caller.data(CREATE_ENDPOINT, {"url": "https://8.8.8.8/hook"})
        assert made["createWebhookEndpoint"]["userErrors"] == [], made
        endpoints.append(made["createWebhookEndpoint"]["webhookEndpoint"]["id"])
    events = (await creditor.data(FEED))["events"]["nodes"]
    ids = [paid["id"], open_["id"], paid["customer"]["id"], events[0]["id"], *endpoints]
    ids += [creditor.organization_id, agency.organization_id]
    return {"callers": [creditor, agency], "ids": ids, "reference": open_["reference"]}


async def _sees_nothing_of(caller: Caller, other: dict[str, Any]) -> None:
    for name, (query, pick) in READS.items():
        for foreign in other["ids"]:
            assert pick(await caller.data(query, {"id": foreign})) is None, (name, foreign)
    by_ref = await caller.data(
        "query($r: String!) { account(reference: $r) { id } }", {"r": other["reference"]}
    )
    assert by_ref["account"] is None
    own = {caller.organization_id}
    listing = await caller.data(
        "{ accounts(first: 100) { nodes { id creditor { id } agency { id } } } }"
    )
    for account in listing["accounts"]["nodes"]:
        assert account["id"] not in other["ids"]
        sides = {account["creditor"]["id"], (account["agency"] or {}).get("id")}
        assert own & sides and not sides & set(other["ids"])
    feed_ids = {n["id"] for n in (await caller.data(FEED))["events"]["nodes"]}
    assert not feed_ids & set(other["ids"])
    rehabilitated = (await caller.data(REHABILITATED, {"first": 100}))["rehabilitatedCustomers"]
    for node in rehabilitated["nodes"]:
        assert node["account"]["id"] not in other["ids"]
        assert (node["agency"] or {}).get("id") not in other["ids"]
    endpoints = (await caller.data(ENDPOINTS))["webhookEndpoints"]["nodes"]
    assert all(e["id"] not in other["ids"] for e in endpoints)
    portfolio = (await caller.data(PORTFOLIO, {}))["portfolioStatus"]
    sides = {(p["creditor"] or {}).get("id") for p in portfolio}
    sides |= {(p["agency"] or {}).get("id") for p in portfolio}
    assert not sides & set(other["ids"])
    if caller.kind is OrganizationKind.CREDITOR:
        window = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}
        rows = (await caller.data(PERFORMANCE, window))["agencyPerformance"]
        assert all(r["agency"]["id"] not in other["ids"] for r in rows)


async def test_no_query_of_a_live_organization_returns_sandbox_rows_or_the_reverse(
    make_caller: Any, backend: Backend
) -> None:
    sandbox = await _world(make_caller, backend, sandbox=True)
    live = await _world(make_caller, backend, sandbox=False)
    for mine, theirs in ((live, sandbox), (sandbox, live)):
        for caller in mine["callers"]:
            await _sees_nothing_of(caller, theirs)
    # Each side sees its own: the checks above can fail.
    creditor = live["callers"][0]
    rehabilitated = (await creditor.data(REHABILITATED, {"first": 100}))["rehabilitatedCustomers"]
    assert rehabilitated["totalCount"] == 1


async def test_webhook_deliveries_carry_the_livemode_of_their_organization(
    make_caller: Any, backend: Backend
) -> None:
    endpoints: dict[str, bool] = {}
    for sandbox in (True, False):
        creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=sandbox)
        made = await creditor.data(CREATE_ENDPOINT, {"url": "https://8.8.8.8/hook"})
        endpoints[made["createWebhookEndpoint"]["webhookEndpoint"]["id"]] = not sandbox
        await place(creditor)
    store = backend.services.store
    async with store.transaction() as uow:
        claimed = await uow.delivery_queue.claim(
            limit=100, closed=[], now=backend.services.clock(), lease=dt.timedelta(seconds=60)
        )
    mine = [d for d in claimed if d.endpoint_id in endpoints]
    assert {d.endpoint_id for d in mine} == set(endpoints)
    for delivery in mine:
        body = orjson.loads(
            body_of(delivery.event_type, delivery.occurred_at, delivery.data, delivery.livemode)
        )
        assert body["livemode"] is delivery.livemode is endpoints[delivery.endpoint_id]
        assert list(body) == ["type", "timestamp", "livemode", "data"]


async def test_a_split_rule_with_an_arm_of_the_other_mode_is_refused(
    make_caller: Any, backend: Backend
) -> None:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=False)
    live = await make_caller(OrganizationKind.AGENCY, sandbox=False)
    sandbox = await make_caller(OrganizationKind.AGENCY, sandbox=True)
    with pytest.raises(DomainError) as refused:
        await organization_service.create_split_rule(
            backend.services,
            creditor_id=creditor.organization_id,
            weights=[Weight(live.organization_id, 50), Weight(sandbox.organization_id, 50)],
        )
    assert refused.value.code == "SANDBOX_MISMATCH"
