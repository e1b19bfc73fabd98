"""GraphQL documents and small helpers for the agency side, shared by API and e2e tests.

``Run`` is any coroutine that sends a document with variables and returns its ``data``
(failing the test on GraphQL errors): ``Caller.data`` in-process, or an httpx client against
a real server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import holidays

Run = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

ACCOUNT_FIELDS = "id status version balance { amountMinor currency } agencyReference closedAt"
ERRORS = "userErrors { field code message }"

ACKNOWLEDGE = f"""mutation($input: AcknowledgePlacementInput!) {{
  acknowledgePlacement(input: $input) {{ account {{ {ACCOUNT_FIELDS} }} {ERRORS} }}
}}"""
LOG_CONTACT = f"""mutation($input: LogContactAttemptInput!) {{
  logContactAttempt(input: $input) {{
    contactAttempt {{ id channel direction outcome occurredAt }}
    account {{ {ACCOUNT_FIELDS} }} {ERRORS}
  }}
}}"""
CREATE_PLAN = f"""mutation($input: CreatePaymentPlanInput!) {{
  createPaymentPlan(input: $input) {{
    paymentPlan {{ id status cadence startDate total {{ amountMinor currency }}
      installments {{ dueDate amount {{ amountMinor currency }} }} }}
    account {{ {ACCOUNT_FIELDS} }} {ERRORS}
  }}
}}"""
PAYMENT_FIELDS = "id status channel method amount { amountMinor currency } paymentPlanId"
RECORD_PAYMENT = f"""mutation($input: RecordPaymentInput!) {{
  recordPayment(input: $input) {{ payment {{ {PAYMENT_FIELDS} }} account {{ {ACCOUNT_FIELDS} }} {ERRORS} }}
}}"""
REPORT_DIRECT = f"""mutation($input: ReportDirectPaymentInput!) {{
  reportDirectPayment(input: $input) {{ payment {{ {PAYMENT_FIELDS} }} account {{ {ACCOUNT_FIELDS} }} {ERRORS} }}
}}"""
SETTLE_PAYMENT = f"""mutation($input: SettlePaymentInput!) {{
  settlePayment(input: $input) {{ payment {{ {PAYMENT_FIELDS} }} account {{ {ACCOUNT_FIELDS} }} {ERRORS} }}
}}"""
REVERSE_PAYMENT = f"""mutation($input: ReversePaymentInput!) {{
  reversePayment(input: $input) {{ payment {{ {PAYMENT_FIELDS} reversalReason }} account {{ {ACCOUNT_FIELDS} }} {ERRORS} }}
}}"""
OPEN_DISPUTE = f"""mutation($input: OpenDisputeInput!) {{
  openDispute(input: $input) {{ dispute {{ id reason details open outcome }} account {{ {ACCOUNT_FIELDS} }} {ERRORS} }}
}}"""
RESOLVE_DISPUTE = f"""mutation($input: ResolveDisputeInput!) {{
  resolveDispute(input: $input) {{ dispute {{ id open outcome notes }} account {{ {ACCOUNT_FIELDS} }} {ERRORS} }}
}}"""
PLACE_HOLD = f"""mutation($input: PlaceOnHoldInput!) {{
  placeOnHold(input: $input) {{ hold {{ id reason active until notes }} account {{ {ACCOUNT_FIELDS} }} {ERRORS} }}
}}"""
RELEASE_HOLD = f"""mutation($input: ReleaseHoldInput!) {{
  releaseHold(input: $input) {{ hold {{ id active }} account {{ {ACCOUNT_FIELDS} }} {ERRORS} }}
}}"""
CLOSE = f"""mutation($input: CloseAccountInput!) {{
  closeAccount(input: $input) {{ account {{ {ACCOUNT_FIELDS} }} {ERRORS} }}
}}"""
RECALL = f"""mutation($input: RecallAccountInput!) {{
  recallAccount(input: $input) {{ account {{ {ACCOUNT_FIELDS} }} {ERRORS} }}
}}"""
SET_CONSENT = f"""mutation($input: SetChannelConsentInput!) {{
  setChannelConsent(input: $input) {{ customer {{ id optedOutChannels }} {ERRORS} }}
}}"""
CONTACT_PERMISSION = """query($id: ID!, $channel: ContactChannel!, $at: DateTime) {
  contactPermission(accountId: $id, channel: $channel, at: $at) {
    allowed reasons { ruleId message convention } nextAllowedAt rulePack { jurisdiction version } timezones
  }
}"""
COMPLIANCE_REPORT = """query($id: ID!) {
  complianceReport(accountId: $id) { contactAttempt { id channel direction occurredAt } rulePack { jurisdiction version } }
}"""
REHAB_FIELDS = """id amountRecovered { amountMinor currency } daysToPay daysToFirstPayment
  paidOnPlan paidInFull contactChannels paymentChannels selfServed rehabilitatedAt returnedAt
  orderReference account { id } agency { id }"""
RECORD_RETURN = f"""mutation($input: RecordCustomerReturnInput!) {{
  recordCustomerReturn(input: $input) {{ rehabilitation {{ {REHAB_FIELDS} }} {ERRORS} }}
}}"""
REHABILITATED = f"""query($first: Int!, $after: String, $since: DateTime) {{
  rehabilitatedCustomers(first: $first, after: $after, since: $since) {{
    totalCount nodes {{ {REHAB_FIELDS} }} pageInfo {{ hasNextPage endCursor }}
  }}
}}"""
PERFORMANCE = """query($from: DateTime!, $to: DateTime!, $country: CountryCode) {
  agencyPerformance(from: $from, to: $to, country: $country) {
    agency { id } currency accountsPlaced amountPlaced { amountMinor } amountRecovered { amountMinor }
    recoveryRate accountsRecovered recoveryRateByCount medianDaysToFirstPayment
    paymentPlanCompletionRate disputeRate selfServeShare customerReturnRate
  }
}"""
PORTFOLIO = """query($from: DateTime, $to: DateTime) {
  portfolioStatus(from: $from, to: $to) {
    creditor { id } agency { id } currency accounts { status count }
    outstanding { amountMinor } paymentsCount paymentsAmount { amountMinor }
  }
}"""
ACCOUNT_DETAIL = """query($id: ID!) {
  account(id: $id) {
    id status balance { amountMinor } acknowledgedAt agencyReference
    contactAttempts { id channel }
    paymentPlan { id status pausedDays }
    payments { id status amount { amountMinor } }
    disputes { id open }
    holds { id active }
  }
}"""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def working_hours() -> str:
    """A moment when Swedish contact rules allow calls and texts: the latest past weekday
    (not a public holiday) at 11:00 Stockholm time. Outbound contacts in tests use it, so
    they pass the compliance rules whatever the time of day the tests run."""
    stockholm = ZoneInfo("Europe/Stockholm")
    local = dt.datetime.now(stockholm)
    day = local.date() if local.hour >= 11 else local.date() - dt.timedelta(days=1)
    public = holidays.country_holidays("SE", years=range(day.year - 1, day.year + 1))
    while day.weekday() >= 5 or day in public:
        day -= dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(11), tzinfo=stockholm)
    return moment.astimezone(dt.UTC).isoformat()


def sek(amount_minor: int) -> dict[str, Any]:
    return {"amountMinor": amount_minor, "currency": "SEK"}


async def ok(run: Run, document: str, payload_input: dict[str, Any]) -> dict[str, Any]:
    """Run a mutation that must succeed; its payload."""
    data = await run(document, {"input": payload_input})
    [payload] = data.values()
    assert payload["userErrors"] == [], payload["userErrors"]
    result: dict[str, Any] = payload
    return result


async def refused(run: Run, document: str, payload_input: dict[str, Any]) -> list[str]:
    """Run a mutation that must be refused; the userError codes."""
    data = await run(document, {"input": payload_input})
    [payload] = data.values()
    assert payload["userErrors"], payload
    return [e["code"] for e in payload["userErrors"]]


async def pay(
    run: Run, account_id: str, amount_minor: int, channel: str = "AGENCY", **extra: Any
) -> dict[str, Any]:
    return await ok(
        run,
        RECORD_PAYMENT,
        {
            "accountId": account_id,
            "amount": sek(amount_minor),
            "method": "CARD",
            "channel": channel,
            "receivedAt": now(),
            **extra,
        },
    )


async def acknowledge(run: Run, account_id: str, reference: str = "AG-1") -> dict[str, Any]:
    return await ok(run, ACKNOWLEDGE, {"accountId": account_id, "agencyReference": reference})


async def contact(
    run: Run,
    account_id: str,
    channel: str = "SMS",
    direction: str = "OUTBOUND",
    outcome: str = "DELIVERED",
) -> dict[str, Any]:
    return await ok(
        run,
        LOG_CONTACT,
        {
            "accountId": account_id,
            "channel": channel,
            "direction": direction,
            "outcome": outcome,
            "occurredAt": working_hours(),
        },
    )


async def weekly_plan(run: Run, account_id: str, installment_minor: int) -> dict[str, Any]:
    return await ok(
        run,
        CREATE_PLAN,
        {
            "accountId": account_id,
            "cadence": "WEEKLY",
            "startDate": dt.datetime.now(dt.UTC).date().isoformat(),
            "installmentAmount": sek(installment_minor),
        },
    )


async def produce_collection_events(
    creditor: Run, agency: Run, place: Callable[[], Awaitable[str]]
) -> dict[str, str]:
    """Drive accounts through every agency-side event type but ``payment_plan.broken``
    (the maintenance sweep writes that one). ``place`` places a routed 1,000.00 SEK account
    and returns its id. Returns the account ids by role."""
    ids = {role: await place() for role in ("paid", "recalled", "disputed", "planned")}
    for account_id in ids.values():
        await acknowledge(agency, account_id)
    paid = ids["paid"]
    await contact(agency, paid, "CALL", "OUTBOUND", "CONVERSATION")
    await weekly_plan(agency, paid, 50000)
    pending = await pay(agency, paid, 10000, pending=True)
    await ok(agency, SETTLE_PAYMENT, {"paymentId": pending["payment"]["id"], "succeeded": False})
    first = await pay(agency, paid, 50000)
    await ok(agency, REVERSE_PAYMENT, {"paymentId": first["payment"]["id"], "reason": "chargeback"})
    await pay(agency, paid, 50000, "PORTAL")
    await pay(agency, paid, 50000, "PORTAL")
    customer = await creditor(
        "query($id: ID!) { account(id: $id) { customer { id } } }", {"id": paid}
    )
    await ok(
        creditor,
        RECORD_RETURN,
        {
            "customerId": customer["account"]["customer"]["id"],
            "returnedAt": now(),
            "orderReference": "ORD-2",
        },
    )
    await weekly_plan(agency, ids["recalled"], 50000)
    await ok(creditor, RECALL, {"accountId": ids["recalled"], "reason": "paid at checkout"})
    dispute = await ok(
        agency, OPEN_DISPUTE, {"accountId": ids["disputed"], "reason": "ALREADY_PAID"}
    )
    await ok(agency, RESOLVE_DISPUTE, {"disputeId": dispute["dispute"]["id"], "outcome": "UPHELD"})
    hold = await ok(agency, PLACE_HOLD, {"accountId": ids["disputed"], "reason": "BEREAVEMENT"})
    await ok(agency, RELEASE_HOLD, {"holdId": hold["hold"]["id"]})
    await ok(agency, CLOSE, {"accountId": ids["disputed"], "reason": "RETURNED"})
    await weekly_plan(agency, ids["planned"], 25000)
    planned = await creditor(
        "query($id: ID!) { account(id: $id) { customer { id } } }", {"id": ids["planned"]}
    )
    await ok(
        creditor,
        SET_CONSENT,
        {"customerId": planned["account"]["customer"]["id"], "channel": "SMS", "granted": False},
    )
    return ids
