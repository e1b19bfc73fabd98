"""sandboxTag and deleteSandboxData: a sandbox creditor tags a test run's placements and
deletes the run with everything written about it, in one transaction; the counts and KPIs
read as if the run had never been placed; nothing else is touched."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from hub.store import counts, kpis
from hub.store.tables import (
    account_facts,
    accounts,
    contact_attempts,
    customers,
    disputes,
    events,
    holds,
    idempotency_keys,
    payment_plans,
    payments,
    rehabilitations,
    webhook_attempts,
    webhook_messages,
)
from tests.api.test_kpi_rollups_equivalence import _normal
from tests.collection_ops import PERFORMANCE, PORTFOLIO, REHABILITATED, produce_collection_events
from tests.conftest import PLACE, Backend, Caller, placement

DELETE = """mutation($tag: String!) {
  deleteSandboxData(input: {tag: $tag}) {
    deletedAccounts deletedEvents deletedDeliveries deletedCustomers
    userErrors { field code message } } }"""
TOTAL = "{ accounts(first: 100) { totalCount nodes { id } } }"
FEED = """query($after: String) {
  events(first: 100, after: $after) { nodes { id type } pageInfo { endCursor } } }"""
CREATE_ENDPOINT = """mutation($url: String!) {
  createWebhookEndpoint(input: {url: $url}) { webhookEndpoint { id } userErrors { code } } }"""
WINDOW = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}


async def _routed(make_caller: Any, backend: Backend, *, sandbox: bool = True) -> list[Caller]:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=sandbox)
    agency = await make_caller(OrganizationKind.AGENCY, sandbox=sandbox)
    await organization_service.create_routing_rule(
        backend.services, creditor_id=creditor.organization_id, agency_id=agency.organization_id
    )
    return [creditor, agency]


async def _place(caller: Caller, tag: str | None, **overrides: Any) -> dict[str, Any]:
    extra = {"sandboxTag": tag} if tag is not None else {}
    data = await caller.data(PLACE, {"input": placement(**extra, **overrides)})
    payload: dict[str, Any] = data["placeAccount"]
    return payload


async def _reads(creditor: Caller, agency: Caller) -> dict[str, Any]:
    """What the read models say, to both sides."""
    out: dict[str, Any] = {}
    for name, caller in (("creditor", creditor), ("agency", agency)):
        listing = (await caller.data(TOTAL))["accounts"]
        out[f"{name} total"] = listing["totalCount"]
        out[f"{name} ids"] = sorted(n["id"] for n in listing["nodes"])
        out[f"{name} portfolio"] = (await caller.data(PORTFOLIO, {}))["portfolioStatus"]
        out[f"{name} portfolio window"] = (await caller.data(PORTFOLIO, WINDOW))["portfolioStatus"]
        out[f"{name} feed"] = [n["id"] for n in (await caller.data(FEED))["events"]["nodes"]]
    out["performance"] = (await creditor.data(PERFORMANCE, WINDOW))["agencyPerformance"]
    out["rehabilitated"] = (await creditor.data(REHABILITATED, {"first": 100}))[
        "rehabilitatedCustomers"
    ]["totalCount"]
    return out


async def _rows_about(backend: Backend, ids: list[str]) -> dict[str, int]:
    """How many rows of each table are about these accounts."""
    found: dict[str, int] = {}
    of_events = sa.select(events.c.id).where(events.c.account_id.in_(ids))
    messages = sa.select(webhook_messages.c.id).where(webhook_messages.c.event_id.in_(of_events))
    wheres = {
        "accounts": sa.select(sa.func.count()).where(accounts.c.id.in_(ids)),
        "events": sa.select(sa.func.count()).select_from(of_events.subquery()),
        "webhook_messages": sa.select(sa.func.count()).select_from(messages.subquery()),
        "webhook_attempts": sa.select(sa.func.count()).where(
            webhook_attempts.c.message_id.in_(messages)
        ),
        "idempotency_keys": sa.select(sa.func.count()).where(
            idempotency_keys.c.result["account_id"].as_string().in_(ids)
        ),
    }
    for table in (
        account_facts,
        contact_attempts,
        payment_plans,
        payments,
        disputes,
        holds,
        rehabilitations,
    ):
        wheres[table.name] = sa.select(sa.func.count()).where(table.c.account_id.in_(ids))
    async with backend.services.store.read() as uow:
        for name, query in wheres.items():
            found[name] = int(await uow.conn.scalar(query) or 0)
    return found


async def _kpis_agree(backend: Backend, creditor_id: str) -> None:
    """The rollups' agencyPerformance is still the facts' (its definition)."""
    start = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    async with backend.services.store.read() as uow:
        rolled = await kpis.agency_performance(
            uow.conn, creditor_id, start=start, end=end, country=None
        )
        facts = await kpis.agency_performance_from_facts(
            uow.conn, uow.dialect, creditor_id, start=start, end=end, country=None
        )
    assert _normal(rolled) == _normal(facts)
    assert rolled, "the kept accounts are still counted"


async def test_a_run_is_deleted_with_everything_written_about_it_and_the_reads_agree(
    make_caller: Any, backend: Backend
) -> None:
    creditor, agency = await _routed(make_caller, backend)
    # What stays: an untagged account and another run's, driven the same way.
    kept: dict[str, str] = {}
    for tag in (None, "run-2"):

        async def place_kept(tag: str | None = tag) -> str:
            payload = await _place(creditor, tag)
            assert payload["userErrors"] == []
            return str(payload["account"]["id"])

        kept.update(
            {
                f"{tag}-{role}": account_id
                for role, account_id in (
                    await produce_collection_events(creditor.data, agency.data, place_kept)
                ).items()
            }
        )
    before = await _reads(creditor, agency)
    cursor = (await creditor.data(FEED))["events"]["pageInfo"]["endCursor"]
    # Endpoints from here (deleted at the end: the session's queue is shared by other tests).
    endpoints: list[tuple[Caller, str]] = []
    for caller in (creditor, agency):
        made = await caller.data(CREATE_ENDPOINT, {"url": "sink://ok"})
        assert made["createWebhookEndpoint"]["userErrors"] == []
        endpoints.append((caller, made["createWebhookEndpoint"]["webhookEndpoint"]["id"]))

    async def place_run() -> str:
        payload = await _place(creditor, "ci-run.1", idempotencyKey=f"k-{len(run)}")
        assert payload["userErrors"] == []
        run.append(payload["account"]["id"])
        return str(payload["account"]["id"])

    run: list[str] = []
    await produce_collection_events(creditor.data, agency.data, place_run)
    during = await _reads(creditor, agency)
    assert during["creditor total"] == before["creditor total"] + len(run)
    assert during["performance"] != before["performance"]
    # The last event the creditor saw before the deletion is one of the run's.
    cursor_in_run = (await creditor.data(FEED, {"after": cursor}))["events"]["pageInfo"][
        "endCursor"
    ]
    rows = await _rows_about(backend, run)
    assert all(rows[name] > 0 for name in ("events", "webhook_messages", "payments"))

    deleted = (await creditor.data(DELETE, {"tag": "ci-run.1"}))["deleteSandboxData"]
    assert deleted["userErrors"] == []
    assert deleted["deletedAccounts"] == len(run)
    assert deleted["deletedEvents"] == rows["events"]
    assert deleted["deletedDeliveries"] == rows["webhook_messages"]
    assert deleted["deletedCustomers"] == len(run)
    assert await _rows_about(backend, run) == dict.fromkeys(rows, 0)
    assert await _reads(creditor, agency) == before
    await _kpis_agree(backend, creditor.organization_id)
    for caller in (creditor, agency):
        for account_id in run:
            found = await caller.data(
                "query($id: ID!) { account(id: $id) { id } }", {"id": account_id}
            )
            assert found["account"] is None
    # Folded, the sums are the same.
    async with backend.services.store.transaction() as uow:
        await counts.fold(uow.conn, uow.dialect)
    assert await _reads(creditor, agency) == before
    await _kpis_agree(backend, creditor.organization_id)
    # A cursor that pointed at a deleted event resumes after its place (PostgreSQL: its
    # positions come from a sequence; SQLite reuses the positions of deleted last rows,
    # see hub/store/sandbox_cleanup.py). A cursor before the run resumes on either.
    assert (await creditor.data(FEED, {"after": cursor_in_run}))["events"]["nodes"] == []
    later = await _place(creditor, None)
    new_types = ["account.placed", "account.assigned"]
    resumed = (await creditor.data(FEED, {"after": cursor}))["events"]["nodes"]
    assert [n["type"] for n in resumed] == new_types
    if backend.name == "postgresql":
        resumed = (await creditor.data(FEED, {"after": cursor_in_run}))["events"]["nodes"]
        assert [n["type"] for n in resumed] == new_types
    # So does the id of a deleted event, for those who saw it, and no one else.
    deleted_id = during["creditor feed"][-1]
    assert deleted_id not in before["creditor feed"]
    by_id = (await creditor.data(FEED, {"after": deleted_id}))["events"]["nodes"]
    assert [n["type"] for n in by_id] == (new_types if backend.name == "postgresql" else [])
    stranger, _ = await _routed(make_caller, backend)
    refused = await stranger.graphql(FEED, {"after": deleted_id})
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    # The same idempotency key places anew: the deleted result is not replayed.
    again = await _place(creditor, "ci-run.1", idempotencyKey="k-0")
    assert (again["userErrors"], again["replayed"]) == ([], False)
    assert again["account"]["id"] not in run and later["account"]["id"] != again["account"]["id"]
    # The other run and the untagged account are still there, and a second reset of the
    # run removes only what was placed since.
    ids = set((await _reads(creditor, agency))["creditor ids"])
    assert set(kept.values()) <= ids
    second = (await creditor.data(DELETE, {"tag": "ci-run.1"}))["deleteSandboxData"]
    assert second["deletedAccounts"] == 1
    third = (await creditor.data(DELETE, {"tag": "ci-run.1"}))["deleteSandboxData"]
    assert (third["deletedAccounts"], third["deletedEvents"], third["userErrors"]) == (0, 0, [])
    for caller, endpoint_id in endpoints:
        await caller.data(
            "mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { userErrors { code } } }",
            {"id": endpoint_id},
        )


async def test_another_organizations_tag_deletes_nothing(
    make_caller: Any, backend: Backend
) -> None:
    creditor, agency = await _routed(make_caller, backend)
    other, _other_agency = await _routed(make_caller, backend)
    placed = await _place(creditor, "shared-name")
    mine = await _place(other, "shared-name")
    before = await _reads(creditor, agency)
    foreign = (await other.data(DELETE, {"tag": "shared-name"}))["deleteSandboxData"]
    assert (foreign["deletedAccounts"], foreign["userErrors"]) == (1, [])
    assert await _reads(creditor, agency) == before
    assert placed["account"]["id"] in before["creditor ids"]
    assert mine["account"]["id"] not in before["creditor ids"]
    by_agency = await agency.graphql(DELETE, {"tag": "shared-name"})
    assert by_agency["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _reads(creditor, agency) == before


async def test_live_creditors_may_not_tag_or_delete_and_tags_are_checked(
    make_caller: Any, backend: Backend
) -> None:
    live, _agency = await _routed(make_caller, backend, sandbox=False)
    tagged = await _place(live, "run-1")
    assert [(e["code"], e["field"]) for e in tagged["userErrors"]] == [
        ("SANDBOX_ONLY", ["sandboxTag"])
    ]
    assert tagged["account"] is None
    refused = await live.graphql(DELETE, {"tag": "run-1"})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["errors"][0]["extensions"]["reason"] == "SANDBOX_ONLY"
    sandbox, _ = await _routed(make_caller, backend)
    for bad in ("", "has space", "x" * 65, "ü"):
        placed = await _place(sandbox, bad)
        assert [e["code"] for e in placed["userErrors"]] == ["INVALID_SANDBOX_TAG"], bad
        deleted = (await sandbox.data(DELETE, {"tag": bad}))["deleteSandboxData"]
        assert [(e["code"], e["field"]) for e in deleted["userErrors"]] == [
            ("INVALID_SANDBOX_TAG", ["tag"])
        ]
    untagged = await _place(live, None)
    assert untagged["userErrors"] == []
    async with backend.services.store.read() as uow:
        tag = await uow.conn.scalar(
            sa.select(accounts.c.sandbox_tag).where(accounts.c.id == untagged["account"]["id"])
        )
        orphans = await uow.conn.scalar(
            sa.select(sa.func.count()).where(customers.c.creditor_id == live.organization_id)
        )
    assert (tag, orphans) == (None, 1)


async def test_a_customer_another_account_still_has_is_kept(
    make_caller: Any, backend: Backend
) -> None:
    creditor, _agency = await _routed(make_caller, backend)
    shared = {"reference": "CUST-SHARED", "name": "Ada Lund"}
    kept = await _place(creditor, None, customer=shared)
    await _place(creditor, "run-shared", customer=shared)
    deleted = (await creditor.data(DELETE, {"tag": "run-shared"}))["deleteSandboxData"]
    assert (deleted["deletedAccounts"], deleted["deletedCustomers"]) == (1, 0)
    found = await creditor.data(
        "query($id: ID!) { account(id: $id) { customer { id name } } }",
        {"id": kept["account"]["id"]},
    )
    assert found["account"]["customer"] == kept["account"]["customer"]
