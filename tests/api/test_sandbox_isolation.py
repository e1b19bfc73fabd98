"""Sandbox rows never reach live reads, whatever the sandbox does: a live creditor's and its
agency's accounts, account pages and totals, events feed, portfolioStatus,
agencyPerformance and rehabilitation lists read the same before and after a sandbox world
places, drives, advances and deletes its accounts (``test_sandbox_organizations.py``
checks each sandbox id is invisible; this checks the live figures do not move)."""

from __future__ import annotations

from typing import Any

from hub.auth.scopes import OrganizationKind
from tests.api.test_sandbox_cleanup import DELETE, _place, _reads, _routed
from tests.collection_ops import produce_collection_events
from tests.conftest import Backend

ADVANCE = """mutation($input: AdvanceTestAccountInput!) {
  advanceTestAccount(input: $input) { changed userErrors { code } } }"""
EVENTS_OF = "query($id: ID!) { account(id: $id) { id events(first: 5) { nodes { id } } } }"


async def test_live_reads_do_not_move_while_the_sandbox_works(
    make_caller: Any, backend: Backend
) -> None:
    live_creditor, live_agency = await _routed(make_caller, backend, sandbox=False)

    async def place_live() -> str:
        payload = await _place(live_creditor, None)
        assert payload["userErrors"] == []
        return str(payload["account"]["id"])

    await produce_collection_events(live_creditor.data, live_agency.data, place_live)
    live = await _reads(live_creditor, live_agency)
    assert live["creditor total"] == 4 and live["performance"] and live["rehabilitated"] == 1

    creditor, agency = await _routed(make_caller, backend)
    placed: list[str] = []

    async def place_sandbox() -> str:
        payload = await _place(creditor, "iso-run")
        assert payload["userErrors"] == []
        placed.append(payload["account"]["id"])
        return str(payload["account"]["id"])

    await produce_collection_events(creditor.data, agency.data, place_sandbox)
    assert await _reads(live_creditor, live_agency) == live
    for target in ("PAID", "DISPUTED", "UNCOLLECTABLE"):
        account_id = await place_sandbox()
        advanced = await agency.data(ADVANCE, {"input": {"accountId": account_id, "to": target}})
        assert advanced["advanceTestAccount"] == {"changed": True, "userErrors": []}
    assert await _reads(live_creditor, live_agency) == live
    # The sandbox sees its own, so the reads above could have moved.
    sandbox = await _reads(creditor, agency)
    assert sandbox["creditor total"] == len(placed) and sandbox["rehabilitated"] == 2
    for caller in (live_creditor, live_agency):
        for account_id in placed:
            assert (await caller.data(EVENTS_OF, {"id": account_id}))["account"] is None
    deleted = (await creditor.data(DELETE, {"tag": "iso-run"}))["deleteSandboxData"]
    assert deleted["deletedAccounts"] == len(placed)
    assert await _reads(live_creditor, live_agency) == live
    # A live organization's reset is refused and changes nothing either.
    refused = await live_creditor.graphql(DELETE, {"tag": "iso-run"})
    assert refused["errors"][0]["extensions"]["reason"] == "SANDBOX_ONLY"
    assert await _reads(live_creditor, live_agency) == live
    assert live_agency.kind is OrganizationKind.AGENCY
