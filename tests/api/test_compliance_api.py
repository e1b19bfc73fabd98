"""Compliance through the API: permission, enforcement on logContactAttempt, consent, the
report of which rule pack allowed each contact, and the packs themselves."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from tests.collection_ops import (
    COMPLIANCE_REPORT,
    CONTACT_PERMISSION,
    LOG_CONTACT,
    SET_CONSENT,
    acknowledge,
    ok,
)
from tests.conftest import Caller, place

NEW_YORK = ZoneInfo("America/New_York")


async def us_account(creditor: Caller, agency: Caller) -> str:
    placed = await place(
        creditor,
        customer={
            "country": "US",
            "phone": "+12125550123",
            "timezone": "America/New_York",
            "language": "en-US",
        },
        originalAmount={"amountMinor": 50_000, "currency": "USD"},
        balance={"amountMinor": 50_000, "currency": "USD"},
    )
    account_id: str = placed["account"]["id"]
    await acknowledge(agency.data, account_id)
    return account_id


def ny(days_ago: int, hour: int) -> str:
    """``hour``:00 New York time, ``days_ago`` days before today (in New York)."""
    day = dt.datetime.now(NEW_YORK).date() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=NEW_YORK).astimezone(dt.UTC).isoformat()


def call(account_id: str, at: str, outcome: str = "NO_ANSWER") -> dict[str, Any]:
    return {
        "accountId": account_id,
        "channel": "CALL",
        "direction": "OUTBOUND",
        "outcome": outcome,
        "occurredAt": at,
    }


async def log(agency: Caller, attempt: dict[str, Any]) -> list[dict[str, Any]]:
    data = await agency.data(LOG_CONTACT, {"input": attempt})
    errors: list[dict[str, Any]] = data["logContactAttempt"]["userErrors"]
    return errors


async def test_the_eighth_call_in_seven_days_is_refused_and_the_report_shows_the_pack(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account_id = await us_account(creditor, agency)
    for days_ago, hour in ((6, 10), (6, 11), (6, 12), (5, 10), (5, 11), (4, 10), (4, 11)):
        assert await log(agency, call(account_id, ny(days_ago, hour))) == []
    errors = await log(agency, call(account_id, ny(3, 10)))
    assert [e["code"] for e in errors] == ["CONTACT_NOT_PERMITTED"]
    assert errors[0]["message"].startswith("US-REGF-CALL-CAP")
    # An inbound call is always recorded, and does not count toward the cap.
    assert await log(agency, {**call(account_id, ny(3, 10)), "direction": "INBOUND"}) == []

    report = (await creditor.data(COMPLIANCE_REPORT, {"id": account_id}))["complianceReport"]
    assert len(report) == 8
    outbound = [r for r in report if r["contactAttempt"]["direction"] == "OUTBOUND"]
    assert [r["rulePack"] for r in outbound] == [
        {"jurisdiction": "US", "version": "2021-11-30"}
    ] * 7
    assert [r["rulePack"] for r in report if r not in outbound] == [None]


async def test_permission_outside_hours_names_the_rule_and_when_it_opens(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account_id = await us_account(creditor, agency)
    at = ny(1, 6)  # 6:00 in New York
    answer = (
        await agency.data(CONTACT_PERMISSION, {"id": account_id, "channel": "CALL", "at": at})
    )["contactPermission"]
    assert answer["allowed"] is False
    assert [r["ruleId"] for r in answer["reasons"]] == ["US-REGF-HOURS"]
    assert answer["rulePack"] == {"jurisdiction": "US", "version": "2021-11-30"}
    assert answer["timezones"] == ["America/New_York"]
    assert dt.datetime.fromisoformat(answer["nextAllowedAt"]) == dt.datetime.fromisoformat(ny(1, 8))
    # The same question at the answer's moment is allowed; the agency may not log at 6:00.
    again = (
        await agency.data(
            CONTACT_PERMISSION,
            {"id": account_id, "channel": "CALL", "at": answer["nextAllowedAt"]},
        )
    )["contactPermission"]
    assert again["allowed"] is True and again["reasons"] == []
    errors = await log(agency, call(account_id, at))
    assert [e["code"] for e in errors] == ["CONTACT_NOT_PERMITTED"]


async def test_a_call_three_days_after_a_conversation_is_refused(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account_id = await us_account(creditor, agency)
    assert await log(agency, call(account_id, ny(5, 10), "CONVERSATION")) == []
    errors = await log(agency, call(account_id, ny(2, 10)))
    assert [e["message"].split(":")[0] for e in errors] == ["US-REGF-CALL-AFTER-CONVERSATION"]
    # An email is another medium: allowed.
    assert await log(agency, {**call(account_id, ny(2, 10)), "channel": "EMAIL"}) == []


async def test_an_email_opt_out_stops_email_but_not_inbound_or_other_channels(
    routed: tuple[Caller, Caller], make_caller: Any
) -> None:
    creditor, agency = routed
    account_id = await us_account(creditor, agency)
    customer = (
        await creditor.data(
            "query($id: ID!) { account(id: $id) { customer { id } } }", {"id": account_id}
        )
    )["account"]["customer"]["id"]
    # The agency records the opt-out (the customer told it); both sides get the event.
    changed = await ok(
        agency.data, SET_CONSENT, {"customerId": customer, "channel": "EMAIL", "granted": False}
    )
    assert changed["customer"]["optedOutChannels"] == ["EMAIL"]
    email = {**call(account_id, ny(1, 10)), "channel": "EMAIL", "outcome": "DELIVERED"}
    errors = await log(agency, email)
    assert [e["code"] for e in errors] == ["CONTACT_NOT_PERMITTED"]
    answer = (await creditor.data(CONTACT_PERMISSION, {"id": account_id, "channel": "EMAIL"}))[
        "contactPermission"
    ]
    assert answer["allowed"] is False and answer["nextAllowedAt"] is None
    assert await log(agency, {**email, "direction": "INBOUND"}) == []
    assert await log(agency, call(account_id, ny(1, 10))) == []
    feed = await creditor.data(
        'query { events(first: 100, types: ["customer.consent_changed"]) { nodes { data } } }'
    )
    assert [n["data"]["optedOutChannels"] for n in feed["events"]["nodes"]][-1] == ["EMAIL"]
    # Consent given back: email allowed again.
    await ok(
        creditor.data, SET_CONSENT, {"customerId": customer, "channel": "EMAIL", "granted": True}
    )
    assert await log(agency, {**email, "occurredAt": ny(1, 11)}) == []
    # Another agency cannot touch this customer.
    outsider: Caller = await make_caller(agency.kind)
    data = await outsider.data(
        SET_CONSENT,
        {"input": {"customerId": customer, "channel": "SMS", "granted": False}},
    )
    assert [e["code"] for e in data["setChannelConsent"]["userErrors"]] == ["NOT_FOUND"]


async def test_opt_outs_given_at_placement_stick_when_the_customer_is_placed_again(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, _ = routed
    first = await place(
        creditor, customer={"reference": "CUST-OPTOUT", "optedOutChannels": ["SMS", "CALL"]}
    )
    query = "query($id: ID!) { account(id: $id) { customer { optedOutChannels } } }"
    shown = await creditor.data(query, {"id": first["account"]["id"]})
    assert shown["account"]["customer"]["optedOutChannels"] == ["SMS", "CALL"]
    second = await place(creditor, customer={"reference": "CUST-OPTOUT"})
    shown = await creditor.data(query, {"id": second["account"]["id"]})
    assert shown["account"]["customer"]["optedOutChannels"] == ["SMS", "CALL"]


async def test_rule_packs_list_every_jurisdiction_and_version(creditor: Caller) -> None:
    data = await creditor.data(
        "{ rulePacks { jurisdiction version effectiveFrom rules { id convention } sources { id } } }"
    )
    versions = {(p["jurisdiction"], p["version"]) for p in data["rulePacks"]}
    assert {
        ("US", "1978-03-20"),
        ("US", "2021-11-30"),
        ("GB", "2021-05-04"),
        ("SE", "2024-01-01"),
    } <= versions
    assert {p["jurisdiction"] for p in data["rulePacks"]} >= {
        "US",
        "GB",
        "SE",
        "DE",
        "ES",
        "FR",
        "NL",
    }
    assert all(p["rules"] and p["sources"] for p in data["rulePacks"])
