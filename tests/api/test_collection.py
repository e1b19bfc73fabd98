"""The agency side through the API: each move, its rules, and what the creditor sees."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from hub.store.tables import rehabilitations
from tests.api.test_event_schemas import as_webhook_body, feed, problems
from tests.collection_ops import (
    ACCOUNT_DETAIL,
    CLOSE,
    CREATE_PLAN,
    LOG_CONTACT,
    OPEN_DISPUTE,
    PLACE_HOLD,
    RECALL,
    RECORD_PAYMENT,
    RECORD_RETURN,
    REHABILITATED,
    RELEASE_HOLD,
    REPORT_DIRECT,
    RESOLVE_DISPUTE,
    REVERSE_PAYMENT,
    SETTLE_PAYMENT,
    acknowledge,
    contact,
    now,
    ok,
    pay,
    refused,
    sek,
    weekly_plan,
    working_hours,
)
from tests.conftest import Backend, Caller, place

FEED_TYPES = """query($after: String) { events(first: 100, after: $after) { nodes { type sequence data } } }"""


async def placed(creditor: Caller, balance: int = 100000) -> str:
    payload = await place(creditor, balance=sek(balance), originalAmount=sek(125000))
    account_id: str = payload["account"]["id"]
    return account_id


async def types_seen(caller: Caller) -> list[str]:
    data = await caller.data(FEED_TYPES)
    return [n["type"] for n in data["events"]["nodes"]]


async def sent_events_fit_their_schemas(caller: Caller) -> list[dict[str, Any]]:
    """Every event on the caller's feed, each checked as the webhook body it is sent as."""
    events = await feed(caller)
    for event in events:
        assert problems(json.loads(as_webhook_body(event))) == [], (event["type"], event["data"])
    return events


async def test_a_plan_paid_on_time_closes_the_account_and_rehabilitates_the_customer(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account_id = await placed(creditor)
    await acknowledge(agency.data, account_id, "AG-42")
    contacted = await contact(agency.data, account_id, "SMS", "OUTBOUND", "PROMISE_TO_PAY")
    assert contacted["account"]["status"] == "IN_COLLECTION"
    plan = await weekly_plan(agency.data, account_id, 25000)
    assert plan["account"]["status"] == "PAYMENT_PLAN"
    assert [i["amount"]["amountMinor"] for i in plan["paymentPlan"]["installments"]] == [25000] * 4
    first = await pay(agency.data, account_id, 25000, "PORTAL")
    assert first["payment"]["paymentPlanId"] == plan["paymentPlan"]["id"]
    assert first["account"]["balance"]["amountMinor"] == 75000
    reversed_ = await ok(
        agency.data,
        REVERSE_PAYMENT,
        {"paymentId": first["payment"]["id"], "reason": "chargeback"},
    )
    assert reversed_["account"]["balance"]["amountMinor"] == 100000
    for _ in range(4):
        last = await pay(agency.data, account_id, 25000, "PORTAL")
    assert last["account"]["status"] == "PAID"
    assert last["account"]["balance"]["amountMinor"] == 0

    rehabilitated = (await creditor.data(REHABILITATED, {"first": 10}))["rehabilitatedCustomers"]
    [rehab] = rehabilitated["nodes"]
    assert rehab["account"]["id"] == account_id
    assert rehab["amountRecovered"] == sek(100000)
    assert rehab["paidOnPlan"] is True and rehab["paidInFull"] is True
    assert rehab["selfServed"] is True
    assert rehab["contactChannels"] == ["SMS"]
    assert rehab["paymentChannels"] == ["PORTAL"]
    assert rehab["agency"]["id"] == agency.organization_id
    # The agency does not see the creditor's win-back list.
    assert (await agency.data(REHABILITATED, {"first": 10}))["rehabilitatedCustomers"][
        "totalCount"
    ] == 0

    creditor_types = await types_seen(creditor)
    agency_types = await types_seen(agency)
    assert "customer.rehabilitated" in creditor_types
    assert "customer.rehabilitated" not in agency_types
    assert creditor_types[-4:] == [
        "payment.received",
        "payment_plan.completed",
        "account.closed",
        "customer.rehabilitated",
    ]
    detail = (await creditor.data(ACCOUNT_DETAIL, {"id": account_id}))["account"]
    assert detail["agencyReference"] == "AG-42"
    assert [p["status"] for p in detail["payments"]] == ["REVERSED"] + ["SUCCEEDED"] * 4
    assert detail["paymentPlan"]["status"] == "COMPLETED"
    for caller in (creditor, agency):
        await sent_events_fit_their_schemas(caller)


async def test_overpayment_is_refused_counting_payments_in_flight(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account_id = await placed(creditor, balance=10000)
    await acknowledge(agency.data, account_id)
    assert await refused(
        agency.data,
        RECORD_PAYMENT,
        {
            "accountId": account_id,
            "amount": sek(10001),
            "method": "CARD",
            "channel": "AGENCY",
            "receivedAt": now(),
        },
    ) == ["OVERPAYMENT"]
    pending = await pay(agency.data, account_id, 6000, "AGENCY", pending=True)
    assert pending["payment"]["status"] == "PENDING"
    assert pending["account"]["balance"]["amountMinor"] == 10000
    assert await refused(
        agency.data,
        RECORD_PAYMENT,
        {
            "accountId": account_id,
            "amount": sek(5000),
            "method": "CARD",
            "channel": "AGENCY",
            "receivedAt": now(),
        },
    ) == ["OVERPAYMENT"]
    # Recall and close wait for the payment in flight.
    assert await refused(creditor.data, RECALL, {"accountId": account_id}) == ["PAYMENT_IN_FLIGHT"]
    assert await refused(
        agency.data, CLOSE, {"accountId": account_id, "reason": "UNCOLLECTABLE"}
    ) == ["PAYMENT_IN_FLIGHT"]
    settled = await ok(
        agency.data, SETTLE_PAYMENT, {"paymentId": pending["payment"]["id"], "succeeded": True}
    )
    assert settled["account"]["balance"]["amountMinor"] == 4000
    recalled = await ok(creditor.data, RECALL, {"accountId": account_id})
    assert recalled["account"]["status"] == "RECALLED"


async def test_a_dispute_stops_outbound_contact_but_not_inbound(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account_id = await placed(creditor)
    await acknowledge(agency.data, account_id)
    opened = await ok(
        agency.data,
        OPEN_DISPUTE,
        {"accountId": account_id, "reason": "WRONG_AMOUNT", "details": "billed twice"},
    )
    assert opened["account"]["status"] == "DISPUTED"
    assert opened["dispute"]["details"] == "billed twice"
    attempt = {
        "accountId": account_id,
        "channel": "CALL",
        "direction": "OUTBOUND",
        "outcome": "NO_ANSWER",
        "occurredAt": working_hours(),
    }
    data = await agency.data(LOG_CONTACT, {"input": attempt})
    errors = data["logContactAttempt"]["userErrors"]
    assert [e["code"] for e in errors] == ["CONTACT_NOT_PERMITTED"]
    assert errors[0]["message"].startswith("HUB-DISPUTE")
    inbound = await ok(agency.data, LOG_CONTACT, {**attempt, "direction": "INBOUND"})
    assert inbound["contactAttempt"]["direction"] == "INBOUND"
    resolved = await ok(
        agency.data,
        RESOLVE_DISPUTE,
        {"disputeId": opened["dispute"]["id"], "outcome": "REJECTED", "notes": "one charge"},
    )
    assert resolved["account"]["status"] == "ACKNOWLEDGED"
    assert resolved["dispute"]["open"] is False
    await ok(agency.data, LOG_CONTACT, attempt)


async def test_a_hold_pauses_the_plan_and_release_resumes_it(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account_id = await placed(creditor)
    await acknowledge(agency.data, account_id)
    await weekly_plan(agency.data, account_id, 50000)
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    held = await ok(
        agency.data,
        PLACE_HOLD,
        {"accountId": account_id, "reason": "HARDSHIP", "until": until, "notes": "lost job"},
    )
    assert held["account"]["status"] == "ON_HOLD"
    assert held["hold"]["notes"] == "lost job"
    released = await ok(agency.data, RELEASE_HOLD, {"holdId": held["hold"]["id"]})
    assert released["account"]["status"] == "PAYMENT_PLAN"
    assert released["hold"]["active"] is False


async def test_a_direct_payment_reaches_the_agency_and_settling_rehabilitates(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account_id = await placed(creditor, balance=50000)
    await acknowledge(agency.data, account_id)
    direct = await ok(
        creditor.data,
        REPORT_DIRECT,
        {
            "accountId": account_id,
            "amount": sek(30000),
            "method": "BANK_TRANSFER",
            "receivedAt": now(),
        },
    )
    assert direct["payment"]["channel"] == "CREDITOR_DIRECT"
    assert "payment.received" in await types_seen(agency)
    assert await refused(
        agency.data,
        CLOSE,
        {"accountId": account_id, "reason": "SETTLED", "settlementAmount": sek(25000)},
    ) == ["SETTLEMENT_NOT_PAID"]
    closed = await ok(
        agency.data,
        CLOSE,
        {"accountId": account_id, "reason": "SETTLED", "settlementAmount": sek(30000)},
    )
    assert closed["account"]["status"] == "SETTLED"
    [rehab] = (await creditor.data(REHABILITATED, {"first": 5}))["rehabilitatedCustomers"]["nodes"]
    assert rehab["paidInFull"] is False and rehab["selfServed"] is True
    detail: dict[str, Any] = (
        await creditor.data(
            "query($id: ID!) { account(id: $id) { customer { id } } }", {"id": account_id}
        )
    )["account"]
    returned = await ok(
        creditor.data,
        RECORD_RETURN,
        {"customerId": detail["customer"]["id"], "returnedAt": now(), "orderReference": "ORD-9"},
    )
    assert returned["rehabilitation"]["orderReference"] == "ORD-9"
    assert await refused(
        creditor.data,
        RECORD_RETURN,
        {"customerId": detail["customer"]["id"], "returnedAt": now(), "orderReference": "ORD-10"},
    ) == ["ALREADY_RETURNED"]
    await sent_events_fit_their_schemas(creditor)


async def test_a_payment_received_before_the_placement_counts_as_day_zero(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account_id = await placed(creditor, balance=50000)
    read = await creditor.data(
        "query($id: ID!) { account(id: $id) { placedAt } }", {"id": account_id}
    )
    placed_at = dt.datetime.fromisoformat(read["account"]["placedAt"])
    await acknowledge(agency.data, account_id)
    # Received by bank transfer two days before the placement, reconciled only now.
    early = (placed_at - dt.timedelta(days=2, hours=1)).isoformat()
    paid = await pay(agency.data, account_id, 50000, receivedAt=early)
    assert paid["account"]["status"] == "PAID"
    [rehab] = (await creditor.data(REHABILITATED, {"first": 5}))["rehabilitatedCustomers"]["nodes"]
    assert rehab["daysToFirstPayment"] == 0 and rehab["daysToPay"] == 0
    events = await sent_events_fit_their_schemas(creditor)
    [sent] = [e for e in events if e["type"] == "customer.rehabilitated"]
    assert sent["data"]["rehabilitation"]["daysToFirstPayment"] == 0


async def test_a_summary_stored_with_a_negative_day_reads_and_is_sent_as_day_zero(
    routed: tuple[Caller, Caller], backend: Backend
) -> None:
    creditor, agency = routed
    account_id = await placed(creditor, balance=50000)
    await acknowledge(agency.data, account_id)
    await pay(agency.data, account_id, 50000)
    # What an older hub stored for a payment received the day before the placement.
    async with backend.services.db.transaction() as conn:
        row = (
            await conn.execute(
                sa.select(rehabilitations).where(rehabilitations.c.account_id == account_id)
            )
        ).one()
        summary = {**row.summary, "daysToFirstPayment": -1}
        await conn.execute(
            rehabilitations.update().where(rehabilitations.c.id == row.id).values(summary=summary)
        )
    [rehab] = (await creditor.data(REHABILITATED, {"first": 5}))["rehabilitatedCustomers"]["nodes"]
    assert rehab["daysToFirstPayment"] == 0
    returned = await ok(
        creditor.data,
        RECORD_RETURN,
        {"customerId": row.customer_id, "returnedAt": now(), "orderReference": "ORD-11"},
    )
    assert returned["rehabilitation"]["daysToFirstPayment"] == 0
    events = await sent_events_fit_their_schemas(creditor)
    [sent] = [e for e in events if e["type"] == "customer.returned"]
    assert sent["data"]["rehabilitation"]["daysToFirstPayment"] == 0


async def test_plan_schedule_rules(routed: tuple[Caller, Caller]) -> None:
    creditor, agency = routed
    account_id = await placed(creditor, balance=10050)
    await acknowledge(agency.data, account_id)
    today = dt.datetime.now(dt.UTC).date()
    base = {"accountId": account_id, "cadence": "MONTHLY", "startDate": today.isoformat()}
    assert await refused(agency.data, CREATE_PLAN, base) == ["PLAN_TERMS_REQUIRED"]
    assert await refused(agency.data, CREATE_PLAN, {**base, "installmentAmount": sek(99)}) == [
        "INSTALLMENT_BELOW_FLOOR"
    ]
    assert await refused(
        agency.data,
        CREATE_PLAN,
        {**base, "installmentAmount": {"amountMinor": 5000, "currency": "EUR"}},
    ) == ["CURRENCY_MISMATCH"]
    assert await refused(
        agency.data,
        CREATE_PLAN,
        {**base, "installments": [{"dueDate": today.isoformat(), "amount": sek(10000)}]},
    ) == ["PLAN_TOTAL_MISMATCH"]
    plan = await ok(agency.data, CREATE_PLAN, {**base, "installmentAmount": sek(5000)})
    # 10,050 in 50.00 installments: the 0.50 remainder joins the last one.
    assert [i["amount"]["amountMinor"] for i in plan["paymentPlan"]["installments"]] == [5000, 5050]
