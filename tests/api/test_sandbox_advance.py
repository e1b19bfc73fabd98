"""advanceTestAccount: a sandbox agency takes an account it collects to any state its machine
can reach, through the real moves and their events; refusals, the no-op and isolation."""

from __future__ import annotations

from typing import Any

import pytest

from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from tests.conftest import Backend, Caller, place

ADVANCE = """mutation($input: AdvanceTestAccountInput!) {
  advanceTestAccount(input: $input) {
    account { id status } changed steps message userErrors { field code message } } }"""
TYPES = """query($id: ID!) { account(id: $id) { events(first: 50) { nodes { type livemode } } } }"""
EXPECTED = {
    "ACKNOWLEDGED": ["ACKNOWLEDGE"],
    "IN_COLLECTION": ["ACKNOWLEDGE", "LOG_CONTACT"],
    "PAYMENT_PLAN": ["ACKNOWLEDGE", "CREATE_PLAN"],
    "PAID": ["ACKNOWLEDGE", "LOG_CONTACT", "PAY_IN_FULL"],
    "SETTLED": ["ACKNOWLEDGE", "LOG_CONTACT", "SETTLE"],
    "DISPUTED": ["ACKNOWLEDGE", "LOG_CONTACT", "OPEN_DISPUTE"],
    "ON_HOLD": ["ACKNOWLEDGE", "LOG_CONTACT", "PLACE_HOLD"],
    "UNCOLLECTABLE": ["ACKNOWLEDGE", "LOG_CONTACT", "WRITE_OFF"],
}


async def _pair(make_caller: Any, backend: Backend, *, sandbox: bool = True) -> list[Caller]:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=sandbox)
    agency = await make_caller(OrganizationKind.AGENCY, sandbox=sandbox)
    await organization_service.create_routing_rule(
        backend.services, creditor_id=creditor.organization_id, agency_id=agency.organization_id
    )
    return [creditor, agency]


async def _advance(caller: Caller, account_id: str, to: str) -> dict[str, Any]:
    body = await caller.graphql(ADVANCE, {"input": {"accountId": account_id, "to": to}})
    return body


@pytest.mark.parametrize("to", sorted(EXPECTED))
async def test_a_sandbox_agency_takes_an_account_to_each_state_by_real_moves(
    make_caller: Any, backend: Backend, to: str
) -> None:
    creditor, agency = await _pair(make_caller, backend)
    account_id = (await place(creditor))["account"]["id"]
    payload = (await _advance(agency, account_id, to))["data"]["advanceTestAccount"]
    assert payload["userErrors"] == []
    assert (payload["account"]["status"], payload["changed"]) == (to, True)
    assert payload["steps"] == EXPECTED[to]
    events = (await creditor.data(TYPES, {"id": account_id}))["account"]["events"]["nodes"]
    types = [e["type"] for e in events]
    assert {e["livemode"] for e in events} == {False}
    assert "account.acknowledged" in types
    if to == "PAID":
        assert "payment.received" in types and "account.closed" in types
    # The same state again: nothing changes, and the answer says so.
    again = (await _advance(agency, account_id, to))["data"]["advanceTestAccount"]
    assert (again["changed"], again["steps"], again["userErrors"]) == (False, [], [])
    assert "nothing changed" in again["message"]
    after = (await creditor.data(TYPES, {"id": account_id}))["account"]["events"]["nodes"]
    assert len(after) == len(events)


async def test_what_the_machine_cannot_reach_is_refused(make_caller: Any, backend: Backend) -> None:
    creditor, agency = await _pair(make_caller, backend)
    account_id = (await place(creditor))["account"]["id"]
    await _advance(agency, account_id, "PAID")
    refused = (await _advance(agency, account_id, "IN_COLLECTION"))["data"]["advanceTestAccount"]
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_STATE_TRANSITION"]
    assert (refused["account"], refused["changed"]) == (None, False)


async def test_another_organizations_account_is_not_found_and_the_creditor_may_not(
    make_caller: Any, backend: Backend
) -> None:
    creditor, _agency = await _pair(make_caller, backend)
    _other_creditor, other_agency = await _pair(make_caller, backend)
    account_id = (await place(creditor))["account"]["id"]
    foreign = (await _advance(other_agency, account_id, "PAID"))["data"]["advanceTestAccount"]
    assert [e["code"] for e in foreign["userErrors"]] == ["NOT_FOUND"]
    by_creditor = await _advance(creditor, account_id, "PAID")
    assert by_creditor["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_live_agency_is_forbidden(make_caller: Any, backend: Backend) -> None:
    creditor, agency = await _pair(make_caller, backend, sandbox=False)
    account_id = (await place(creditor))["account"]["id"]
    refused = await _advance(agency, account_id, "ACKNOWLEDGED")
    [error] = refused["errors"]
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "FORBIDDEN",
        "SANDBOX_ONLY",
    )
    account = await creditor.data(
        "query($id: ID!) { account(id: $id) { status } }", {"id": account_id}
    )
    assert account["account"]["status"] == "PLACED"
