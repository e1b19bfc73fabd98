"""Every agency-side mutation and object is tenant-isolated.

Another agency gets NOT_FOUND for an account (or payment, dispute, hold) that is not
assigned to it; a creditor token lacks the `agency:write` scope (FORBIDDEN); an agency
cannot use the creditor's mutations; nodes of other tenants read as null.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from tests.collection_ops import (
    ACCOUNT_DETAIL,
    ACKNOWLEDGE,
    CLOSE,
    CREATE_PLAN,
    LOG_CONTACT,
    OPEN_DISPUTE,
    PLACE_HOLD,
    RECORD_PAYMENT,
    RECORD_RETURN,
    RELEASE_HOLD,
    REPORT_DIRECT,
    RESOLVE_DISPUTE,
    REVERSE_PAYMENT,
    SETTLE_PAYMENT,
    acknowledge,
    now,
    ok,
    pay,
    sek,
)
from tests.conftest import Backend, Caller, place


@pytest.fixture
async def world(make_caller: Any, backend: Backend) -> dict[str, Any]:
    creditor: Caller = await make_caller(OrganizationKind.CREDITOR)
    agency: Caller = await make_caller(OrganizationKind.AGENCY)
    other_agency: Caller = await make_caller(OrganizationKind.AGENCY)
    other_creditor: Caller = await make_caller(OrganizationKind.CREDITOR)
    await organization_service.create_routing_rule(
        backend.services, creditor_id=creditor.organization_id, agency_id=agency.organization_id
    )
    account_id = (await place(creditor))["account"]["id"]
    await acknowledge(agency.data, account_id)
    payment = await pay(agency.data, account_id, 1000)
    pending = await pay(agency.data, account_id, 1000, pending=True)
    dispute = await ok(agency.data, OPEN_DISPUTE, {"accountId": account_id, "reason": "OTHER"})
    # A second account carries an active hold.
    held_id = (await place(creditor))["account"]["id"]
    await acknowledge(agency.data, held_id)
    hold = await ok(agency.data, PLACE_HOLD, {"accountId": held_id, "reason": "HARDSHIP"})
    customer = await creditor.data(
        "query($id: ID!) { account(id: $id) { customer { id } } }", {"id": account_id}
    )
    return {
        "creditor": creditor,
        "agency": agency,
        "other_agency": other_agency,
        "other_creditor": other_creditor,
        "account": account_id,
        "held": held_id,
        "payment": payment["payment"]["id"],
        "pending": pending["payment"]["id"],
        "dispute": dispute["dispute"]["id"],
        "hold": hold["hold"]["id"],
        "customer": customer["account"]["customer"]["id"],
    }


def agency_mutations(w: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    a = w["account"]
    return [
        (ACKNOWLEDGE, {"accountId": a}),
        (
            LOG_CONTACT,
            {
                "accountId": a,
                "channel": "SMS",
                "direction": "INBOUND",
                "outcome": "DELIVERED",
                "occurredAt": now(),
            },
        ),
        (
            CREATE_PLAN,
            {
                "accountId": a,
                "cadence": "WEEKLY",
                "startDate": "2030-01-01",
                "installmentAmount": sek(1000),
            },
        ),
        (
            RECORD_PAYMENT,
            {
                "accountId": a,
                "amount": sek(100),
                "method": "CASH",
                "channel": "AGENCY",
                "receivedAt": now(),
            },
        ),
        (SETTLE_PAYMENT, {"paymentId": w["pending"], "succeeded": True}),
        (REVERSE_PAYMENT, {"paymentId": w["payment"], "reason": "x"}),
        (OPEN_DISPUTE, {"accountId": w["held"], "reason": "FRAUD"}),
        (RESOLVE_DISPUTE, {"disputeId": w["dispute"], "outcome": "WITHDRAWN"}),
        (PLACE_HOLD, {"accountId": a, "reason": "OTHER"}),
        (RELEASE_HOLD, {"holdId": w["hold"]}),
        (CLOSE, {"accountId": a, "reason": "UNCOLLECTABLE"}),
    ]


async def snapshot(w: dict[str, Any]) -> dict[str, Any]:
    detail: dict[str, Any] = await w["creditor"].data(ACCOUNT_DETAIL, {"id": w["account"]})
    held: dict[str, Any] = await w["creditor"].data(ACCOUNT_DETAIL, {"id": w["held"]})
    return {"account": detail["account"], "held": held["account"]}


async def test_another_agency_finds_nothing_to_change(world: dict[str, Any]) -> None:
    before = await snapshot(world)
    outsider: Caller = world["other_agency"]
    for document, payload_input in agency_mutations(world):
        data = await outsider.data(document, {"input": payload_input})
        [payload] = data.values()
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], document
        assert payload.get("account") is None
    assert await snapshot(world) == before


async def test_a_creditor_token_cannot_use_agency_mutations(world: dict[str, Any]) -> None:
    before = await snapshot(world)
    for caller in (world["creditor"], world["other_creditor"]):
        for document, payload_input in agency_mutations(world):
            body = await caller.graphql(document, {"input": payload_input})
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", document
    assert await snapshot(world) == before


async def test_agencies_cannot_use_creditor_mutations_and_other_creditors_find_nothing(
    world: dict[str, Any],
) -> None:
    before = await snapshot(world)
    direct = {
        "accountId": world["account"],
        "amount": sek(100),
        "method": "CARD",
        "receivedAt": now(),
    }
    returned = {"customerId": world["customer"], "returnedAt": now(), "orderReference": "O-1"}
    for document, payload_input in ((REPORT_DIRECT, direct), (RECORD_RETURN, returned)):
        body = await world["agency"].graphql(document, {"input": payload_input})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    data = await world["other_creditor"].data(REPORT_DIRECT, {"input": direct})
    assert [e["code"] for e in data["reportDirectPayment"]["userErrors"]] == ["NOT_FOUND"]
    data = await world["other_creditor"].data(RECORD_RETURN, {"input": returned})
    assert [e["code"] for e in data["recordCustomerReturn"]["userErrors"]] == [
        "CUSTOMER_NOT_REHABILITATED"
    ]
    assert await snapshot(world) == before


async def test_collection_objects_of_other_tenants_are_not_nodes(world: dict[str, Any]) -> None:
    ids = [world["payment"], world["pending"], world["dispute"], world["hold"]]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    for insider in (world["creditor"], world["agency"]):
        found = (await insider.data(query, {"ids": ids}))["nodes"]
        assert [n["id"] for n in found] == ids
    for outsider in (world["other_agency"], world["other_creditor"]):
        assert (await outsider.data(query, {"ids": ids}))["nodes"] == [None] * len(ids)
