"""Sample events: one event of any type the hub publishes, for ``sendTestEvent``.

A sample is a real domain event about a sample account (fresh ids, nothing stored: its
``account`` is a snapshot of no account in the hub), published by the code that publishes
real ones (``hub.domain.payloads``), so its body is what a receiver will get for a real
change of that type. The account is in the state such an event leaves it in (a payment
plan's for ``payment_plan.created``, closed for ``account.closed``…). Its audience is the
organization that asked, alone: the sample is on its feed and goes to one endpoint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from hub.domain import events as E
from hub.domain.account import Account, AccountStatus, Product
from hub.domain.contact_attempt import ContactAttempt
from hub.domain.contact_hours import ContactHours
from hub.domain.dispute import Dispute, DisputeStatus
from hub.domain.errors import DomainError
from hub.domain.hold import Hold, HoldStatus
from hub.domain.ids import new_id
from hub.domain.money import Money
from hub.domain.payloads import (
    Json,
    account_event_rows,
    hold_requested_row,
    organization_event_row,
    portal_code_requested_row,
    portal_payment_started_row,
    portal_visited_row,
)
from hub.domain.payment import Payment
from hub.domain.payment_plan import Cadence, Installment, PaymentPlan, PlanStatus
from hub.domain.portal import PortalLink
from hub.domain.portal_code import CODE_LIFETIME
from hub.domain.rehabilitation import Rehabilitation, Summary
from hub.domain.time import rfc3339
from hub.domain.vocabulary import (
    CloseReason,
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    DisputeOutcome,
    DisputeReason,
    HoldReason,
    PaymentChannel,
    PaymentMethod,
    PaymentStatus,
)

#: Refused: ``sendTestEvent`` of a type the hub does not publish.
UNKNOWN_EVENT_TYPE = "INVALID_EVENT_TYPE"

_CURRENCY = "SEK"
_ORIGINAL, _BALANCE = 125000, 100000


def _account(
    creditor_id: str, agency_id: str | None, status: AccountStatus, now: dt.datetime
) -> Account:
    closed = status in (AccountStatus.PAID, AccountStatus.SETTLED)
    return Account(
        id=new_id("acc"),
        creditor_id=creditor_id,
        reference=f"SAMPLE-{new_id('ref')[-10:]}",
        customer_id=new_id("cus"),
        product=Product.BNPL_INVOICE,
        currency=_CURRENCY,
        original_amount_minor=_ORIGINAL,
        balance_minor=0 if closed else _BALANCE,
        due_date=(now - dt.timedelta(days=30)).date(),
        status=status,
        resume_status=None,
        agency_id=agency_id,
        country="SE",
        metadata=None,
        placed_at=now - dt.timedelta(days=7),
        updated_at=now,
        version=1,
        closed_at=now if closed else None,
    )


def _plan(account: Account, status: PlanStatus, now: dt.datetime) -> PaymentPlan:
    start = now.date()
    half = account.original_amount_minor // 2
    return PaymentPlan(
        id=new_id("pln"),
        account_id=account.id,
        cadence=Cadence.MONTHLY,
        currency=_CURRENCY,
        total_minor=_BALANCE,
        start_date=start,
        installments=(
            Installment(start, half),
            Installment(start + dt.timedelta(days=30), _BALANCE - half),
        ),
        status=status,
        created_at=now,
    )


def _payment(account: Account, status: PaymentStatus, now: dt.datetime) -> Payment:
    reversed_ = status is PaymentStatus.REVERSED
    return Payment(
        id=new_id("pay"),
        account_id=account.id,
        amount=Money(25000, _CURRENCY),
        method=PaymentMethod.CARD,
        channel=PaymentChannel.PORTAL,
        status=status,
        plan_id=None,
        received_at=now,
        recorded_at=now,
        reversed_at=now if reversed_ else None,
        reversal_reason="chargeback" if reversed_ else None,
    )


def _dispute(account: Account, resolved: bool, now: dt.datetime) -> Dispute:
    return Dispute(
        id=new_id("dsp"),
        account_id=account.id,
        reason=DisputeReason.WRONG_AMOUNT,
        details=None,
        status=DisputeStatus.RESOLVED if resolved else DisputeStatus.OPEN,
        opened_at=now,
        outcome=DisputeOutcome.REJECTED if resolved else None,
        resolved_at=now if resolved else None,
    )


def _hold(account: Account, released: bool, now: dt.datetime) -> Hold:
    return Hold(
        id=new_id("hld"),
        account_id=account.id,
        reason=HoldReason.HARDSHIP,
        notes=None,
        until=None,
        status=HoldStatus.RELEASED if released else HoldStatus.ACTIVE,
        placed_at=now,
        released_at=now if released else None,
    )


def _rehabilitation(account: Account, returned: bool, now: dt.datetime) -> Rehabilitation:
    summary = Summary(
        amount_recovered_minor=_BALANCE,
        days_to_pay=7,
        days_to_first_payment=2,
        paid_on_plan=False,
        paid_in_full=True,
        contact_channels=(ContactChannel.SMS,),
        payment_channels=(PaymentChannel.PORTAL,),
        self_served=True,
    )
    return Rehabilitation(
        id=new_id("reh"),
        account_id=account.id,
        customer_id=account.customer_id,
        creditor_id=account.creditor_id,
        agency_id=account.agency_id,
        currency=_CURRENCY,
        summary=summary,
        rehabilitated_at=now,
        returned_at=now if returned else None,
        order_reference="ORDER-SAMPLE-1" if returned else None,
    )


def _contact(account: Account, now: dt.datetime) -> ContactAttempt:
    return ContactAttempt(
        id=new_id("cta"),
        account_id=account.id,
        channel=ContactChannel.SMS,
        direction=ContactDirection.OUTBOUND,
        outcome=ContactOutcome.DELIVERED,
        occurred_at=now,
        recorded_at=now,
    )


_Build = Callable[[Account, dt.datetime], E.DomainEvent]
_S = AccountStatus


def _payment_sample(event_type: str, status: PaymentStatus) -> _Build:
    return lambda account, now: E.PaymentChanged(event_type, _payment(account, status, now))


#: For each account event type: the account's state after it, and the event.
_ACCOUNT_SAMPLES: dict[str, tuple[AccountStatus, _Build]] = {
    E.ACCOUNT_PLACED: (_S.PLACED, lambda a, now: E.AccountPlaced()),
    E.ACCOUNT_ASSIGNED: (_S.PLACED, lambda a, now: E.AccountAssigned(a.agency_id or "")),
    E.ACCOUNT_ACKNOWLEDGED: (_S.ACKNOWLEDGED, lambda a, now: E.AccountAcknowledged("AG-1")),
    E.ACCOUNT_BALANCE_ADJUSTED: (
        _S.IN_COLLECTION,
        lambda a, now: E.BalanceAdjusted(
            Money(-2500, _CURRENCY), Money(_BALANCE + 2500, _CURRENCY), "late fee waived"
        ),
    ),
    E.CONTACT_ATTEMPTED: (_S.IN_COLLECTION, lambda a, now: E.ContactAttempted(_contact(a, now))),
    E.PAYMENT_PLAN_CREATED: (
        _S.PAYMENT_PLAN,
        lambda a, now: E.PlanChanged(E.PAYMENT_PLAN_CREATED, _plan(a, PlanStatus.ACTIVE, now)),
    ),
    E.PAYMENT_PLAN_COMPLETED: (
        _S.PAID,
        lambda a, now: E.PlanChanged(E.PAYMENT_PLAN_COMPLETED, _plan(a, PlanStatus.COMPLETED, now)),
    ),
    E.PAYMENT_PLAN_BROKEN: (
        _S.IN_COLLECTION,
        lambda a, now: E.PlanChanged(E.PAYMENT_PLAN_BROKEN, _plan(a, PlanStatus.BROKEN, now)),
    ),
    E.PAYMENT_PLAN_CANCELLED: (
        _S.RECALLED,
        lambda a, now: E.PlanChanged(E.PAYMENT_PLAN_CANCELLED, _plan(a, PlanStatus.CANCELLED, now)),
    ),
    E.PAYMENT_PENDING: (
        _S.IN_COLLECTION,
        _payment_sample(E.PAYMENT_PENDING, PaymentStatus.PENDING),
    ),
    E.PAYMENT_RECEIVED: (
        _S.IN_COLLECTION,
        _payment_sample(E.PAYMENT_RECEIVED, PaymentStatus.SUCCEEDED),
    ),
    E.PAYMENT_FAILED: (_S.IN_COLLECTION, _payment_sample(E.PAYMENT_FAILED, PaymentStatus.FAILED)),
    E.PAYMENT_REVERSED: (
        _S.IN_COLLECTION,
        _payment_sample(E.PAYMENT_REVERSED, PaymentStatus.REVERSED),
    ),
    E.DISPUTE_OPENED: (
        _S.DISPUTED,
        lambda a, now: E.DisputeChanged(E.DISPUTE_OPENED, _dispute(a, False, now)),
    ),
    E.DISPUTE_RESOLVED: (
        _S.IN_COLLECTION,
        lambda a, now: E.DisputeChanged(E.DISPUTE_RESOLVED, _dispute(a, True, now)),
    ),
    E.HOLD_PLACED: (
        _S.ON_HOLD,
        lambda a, now: E.HoldChanged(E.HOLD_PLACED, _hold(a, False, now)),
    ),
    E.HOLD_RELEASED: (
        _S.IN_COLLECTION,
        lambda a, now: E.HoldChanged(E.HOLD_RELEASED, _hold(a, True, now)),
    ),
    E.ACCOUNT_CLOSED: (_S.PAID, lambda a, now: E.AccountClosed(CloseReason.PAID, None)),
    E.ACCOUNT_RECALLED: (_S.RECALLED, lambda a, now: E.AccountRecalled("paid at checkout")),
    E.CUSTOMER_REHABILITATED: (
        _S.PAID,
        lambda a, now: E.RehabilitationChanged(
            E.CUSTOMER_REHABILITATED, _rehabilitation(a, False, now)
        ),
    ),
    E.CUSTOMER_RETURNED: (
        _S.PAID,
        lambda a, now: E.RehabilitationChanged(E.CUSTOMER_RETURNED, _rehabilitation(a, True, now)),
    ),
    E.CUSTOMER_CONSENT_CHANGED: (
        _S.IN_COLLECTION,
        lambda a, now: E.ConsentChanged(
            a.customer_id,
            ContactChannel.SMS,
            False,
            (ContactChannel.SMS,),
            ContactHours(dt.time(9), dt.time(17)),
        ),
    ),
}


def _sample_link(now: dt.datetime) -> PortalLink:
    """A sample link (of no stored account) for the portal's samples."""
    link = PortalLink(
        id=new_id("plk"),
        issuer_id=new_id("org"),
        creditor_id=new_id("org"),
        agency_id=None,
        customer_id=new_id("cus"),
        account_id=new_id("acc"),
        locale="sv-SE",
        created_at=now,
        expires_at=now + dt.timedelta(days=7),
        last_used_at=None,
        revoked_at=None,
    )
    return link


def _portal_code(_endpoint_id: str, now: dt.datetime) -> Json:
    """A code asked for on a sample link, as the portal publishes it."""
    link = _sample_link(now)
    data: Json = portal_code_requested_row(link, "123456", now + CODE_LIFETIME, now)["data"]
    return data


def _portal_payment(_endpoint_id: str, now: dt.datetime) -> Json:
    """A payment started on a sample link (no payment is made)."""
    link = _sample_link(now)
    row = portal_payment_started_row(link, link.account_id, new_id("pay"), Money(25000, "SEK"), now)
    data: Json = row["data"]
    return data


def _portal_visit(_endpoint_id: str, now: dt.datetime) -> Json:
    """A visit on a sample link, from a link sent by SMS."""
    data: Json = portal_visited_row(_sample_link(now), "SMS", 18, "Europe/Stockholm", now)["data"]
    return data


def _hold_request(_endpoint_id: str, now: dt.datetime) -> Json:
    """A hold asked for on a sample link (for an account of no organization)."""
    link = _sample_link(now)
    account = _account(link.creditor_id, link.issuer_id, _S.IN_COLLECTION, now)
    row = hold_requested_row(link, account, HoldReason.HARDSHIP.value, now)
    data: Json = row["data"]
    return data


#: The ``data`` of each organization event type's sample, given the endpoint.
_ORGANIZATION_SAMPLES: dict[str, Callable[[str, dt.datetime], Json]] = {
    E.ENDPOINT_DISABLED: lambda endpoint_id, _: {
        "endpointId": endpoint_id,
        "reason": "a sample: the endpoint is not disabled",
    },
    E.WEBHOOK_TEST: lambda endpoint_id, _: {
        "endpointId": endpoint_id,
        "message": "This is a test delivery from Evenly.",
    },
    E.PORTAL_CODE_REQUESTED: _portal_code,
    E.PORTAL_PAYMENT_STARTED: _portal_payment,
    E.PORTAL_VISITED: _portal_visit,
    E.HOLD_REQUESTED: _hold_request,
    E.TEST_CLOCK_READY: lambda _endpoint_id, now: {
        "testClockId": new_id("clk"),
        "name": "a sample clock",
        "status": "READY",
        "frozenTime": rfc3339(now),
    },
}

#: Every type a sample can be made of: every type the hub publishes.
SAMPLE_TYPES = frozenset(_ACCOUNT_SAMPLES) | frozenset(_ORGANIZATION_SAMPLES)


def sample_event_row(
    event_type: str, organization_id: str, is_agency: bool, endpoint_id: str, now: dt.datetime
) -> dict[str, Any]:
    """The event row of a sample of ``event_type`` for the organization (the creditor or
    agency of its sample account), to go to ``endpoint_id``; a refusal with a code for a
    type the hub does not publish."""
    if event_type in _ORGANIZATION_SAMPLES:
        data = _ORGANIZATION_SAMPLES[event_type](endpoint_id, now)
        return organization_event_row(event_type, organization_id, is_agency, now, data)
    if event_type not in _ACCOUNT_SAMPLES:
        raise DomainError.of(
            UNKNOWN_EVENT_TYPE,
            f"unknown event type; known: {', '.join(sorted(SAMPLE_TYPES))}",
            "type",
        )
    status, build = _ACCOUNT_SAMPLES[event_type]
    creditor_id = new_id("org") if is_agency else organization_id
    # ``account.placed`` shows the account before routing, to its agency too.
    routed = event_type != E.ACCOUNT_PLACED
    agency_id = (organization_id if is_agency else new_id("org")) if routed else None
    account = _account(creditor_id, agency_id, status, now)
    [published] = account_event_rows(account, 1, [build(account, now)], now)
    # About no stored account: the organization alone sees it, as its own events.
    return organization_event_row(event_type, organization_id, is_agency, now, published["data"])
