"""No organization can read or change another's data: foreign IDs are simply not found."""

from __future__ import annotations

from typing import Any

from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from tests.collection_ops import RECALL, acknowledge, contact, ok, pay
from tests.conftest import PLACE_MANY, Backend, Caller, place, placement

READS = {
    "node": ("query($id: ID!) { node(id: $id) { id } }", lambda d: d["node"]),
    "nodes": ("query($id: ID!) { nodes(ids: [$id]) { id } }", lambda d: d["nodes"][0]),
    "account": ("query($id: ID!) { account(id: $id) { id } }", lambda d: d["account"]),
}


async def _foreign_world(make_caller: Any, backend: Backend) -> dict[str, Any]:
    """Creditor A with an account routed to agency A; creditor B and agency B are outsiders."""
    creditor_a = await make_caller(OrganizationKind.CREDITOR)
    agency_a = await make_caller(OrganizationKind.AGENCY)
    await organization_service.create_routing_rule(
        backend.services, creditor_id=creditor_a.organization_id, agency_id=agency_a.organization_id
    )
    account = (await place(creditor_a))["account"]
    events = await creditor_a.data("{ events { nodes { id } } }")
    return {
        "creditor_a": creditor_a,
        "agency_a": agency_a,
        "creditor_b": await make_caller(OrganizationKind.CREDITOR),
        "agency_b": await make_caller(OrganizationKind.AGENCY),
        "account": account,
        "event_id": events["events"]["nodes"][0]["id"],
    }


async def test_outsiders_cannot_read_foreign_objects(make_caller: Any, backend: Backend) -> None:
    world = await _foreign_world(make_caller, backend)
    account = world["account"]
    foreign_ids = [
        account["id"],
        account["customer"]["id"],
        world["event_id"],
        world["creditor_a"].organization_id,
    ]
    for outsider in (world["creditor_b"], world["agency_b"]):
        for name, (query, pick) in READS.items():
            for foreign in foreign_ids:
                if name == "account" and not foreign.startswith("acc_"):
                    continue
                assert pick(await outsider.data(query, {"id": foreign})) is None, (name, foreign)
        by_ref = await outsider.data(
            "query($r: String!) { account(reference: $r) { id } }", {"r": account["reference"]}
        )
        assert by_ref["account"] is None
        listing = await outsider.data(
            "{ accounts(first: 100) { totalCount } events(first: 100) { nodes { id } } }"
        )
        assert listing["accounts"]["totalCount"] == 0
        assert listing["events"]["nodes"] == []
        after = await outsider.graphql(
            "query($a: String) { events(after: $a) { nodes { id } } }", {"a": world["event_id"]}
        )
        assert after["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_the_assigned_agency_sees_the_account_and_its_customer(
    make_caller: Any, backend: Backend
) -> None:
    world = await _foreign_world(make_caller, backend)
    agency = world["agency_a"]
    account = world["account"]
    data = await agency.data(
        "query($id: ID!) { account(id: $id) { id creditor { id } customer { id name } } }",
        {"id": account["id"]},
    )
    assert data["account"]["customer"]["id"] == account["customer"]["id"]
    assert data["account"]["creditor"]["id"] == world["creditor_a"].organization_id
    listing = await agency.data("{ accounts { totalCount } }")
    assert listing["accounts"]["totalCount"] == 1


async def test_outsiders_cannot_change_foreign_accounts(make_caller: Any, backend: Backend) -> None:
    world = await _foreign_world(make_caller, backend)
    account_id = world["account"]["id"]
    recall = "mutation($id: ID!) { recallAccount(input: {accountId: $id}) { account { id } userErrors { code } } }"
    adjust = """mutation($id: ID!) { adjustBalance(input: {accountId: $id, amount: {amountMinor: -1, currency: "SEK"}, reason: "x"}) {
      account { id } userErrors { code } } }"""
    outsider = world["creditor_b"]
    for mutation, name in ((recall, "recallAccount"), (adjust, "adjustBalance")):
        payload = (await outsider.data(mutation, {"id": account_id}))[name]
        assert payload["account"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
    # The assigned agency may read but not use creditor mutations (it lacks the scope).
    body = await world["agency_a"].graphql(recall, {"id": account_id})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    status = await world["creditor_a"].data(
        "query($id: ID!) { account(id: $id) { status balance { amountMinor } } }",
        {"id": account_id},
    )
    assert status["account"]["status"] == "PLACED"
    assert status["account"]["balance"]["amountMinor"] == world["account"]["balance"]["amountMinor"]


async def test_idempotency_keys_are_scoped_to_the_organization(
    creditor: Caller, make_caller: Any
) -> None:
    other = await make_caller(OrganizationKind.CREDITOR)
    item = placement(idempotencyKey="shared-key")
    mine = (await creditor.data(PLACE_MANY, {"input": {"items": [item]}}))["placeAccounts"]
    theirs = (await other.data(PLACE_MANY, {"input": {"items": [item]}}))["placeAccounts"]
    assert mine["placedCount"] == theirs["placedCount"] == 1
    assert theirs["results"][0]["replayed"] is False
    assert mine["results"][0]["account"]["id"] != theirs["results"][0]["account"]["id"]


CUSTOMER = """query($id: ID!) { node(id: $id) { ... on Customer {
  id reference personalDataVisible name email phone country optedOutChannels } } }"""
HISTORY = """query($id: ID!) { account(id: $id) {
  id status customer { id name email phone personalDataVisible }
  payments { id status } contactAttempts { id } } }"""


async def test_an_agency_reads_customer_pii_only_while_it_collects_one_of_the_accounts(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    person = {"reference": "CUST-PII-1", "name": "Greta Lind", "email": "greta@example.com"}
    recalled = (await place(creditor, customer=person))["account"]
    paid = (await place(creditor, customer=person))["account"]
    customer_id = recalled["customer"]["id"]
    assert paid["customer"]["id"] == customer_id

    async def seen_by(caller: Caller) -> dict[str, Any]:
        node: dict[str, Any] = (await caller.data(CUSTOMER, {"id": customer_id}))["node"]
        return node

    pii = {"name": "Greta Lind", "email": "greta@example.com", "phone": "+46701234567"}
    assert (await seen_by(agency)).items() >= {**pii, "personalDataVisible": True}.items()

    # Recalled, but the agency still collects the customer's other account.
    await ok(creditor.data, RECALL, {"accountId": recalled["id"], "reason": "paid at checkout"})
    assert (await seen_by(agency))["name"] == "Greta Lind"

    # The last open account is paid: collection is over, and so is the agency's access.
    await acknowledge(agency.data, paid["id"])
    await contact(agency.data, paid["id"], "SMS", "INBOUND", "CONVERSATION")
    closed = await pay(agency.data, paid["id"], 100000)
    assert closed["account"]["status"] == "PAID"
    after = await seen_by(agency)
    assert after == {
        "id": customer_id,
        "reference": "CUST-PII-1",
        "personalDataVisible": False,
        "name": None,
        "email": None,
        "phone": None,
        "country": "SE",
        "optedOutChannels": [],
    }
    # It keeps the ids and the history it reported.
    for account_id, status in ((recalled["id"], "RECALLED"), (paid["id"], "PAID")):
        account = (await agency.data(HISTORY, {"id": account_id}))["account"]
        assert account["status"] == status
        assert account["customer"] == {
            "id": customer_id,
            "name": None,
            "email": None,
            "phone": None,
            "personalDataVisible": False,
        }
    history = (await agency.data(HISTORY, {"id": paid["id"]}))["account"]
    assert [p["status"] for p in history["payments"]] == ["SUCCEEDED"]
    assert len(history["contactAttempts"]) == 1

    # The creditor always reads its customer.
    assert (await seen_by(creditor)).items() >= {**pii, "personalDataVisible": True}.items()


async def test_a_new_placement_gives_the_agency_the_customer_pii_back(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    person = {"reference": "CUST-PII-2", "name": "Olle Berg"}
    first = (await place(creditor, customer=person))["account"]
    await ok(creditor.data, RECALL, {"accountId": first["id"]})
    hidden = (await agency.data(CUSTOMER, {"id": first["customer"]["id"]}))["node"]
    assert (hidden["personalDataVisible"], hidden["name"]) == (False, None)
    await place(creditor, customer=person)
    shown = (await agency.data(CUSTOMER, {"id": first["customer"]["id"]}))["node"]
    assert (shown["personalDataVisible"], shown["name"]) == (True, "Olle Berg")
