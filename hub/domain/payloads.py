"""What receivers get: the one place that turns domain events into published JSON.

An event's ``data`` is what webhooks and the ``events`` feed carry (JSON Schema per type in
``schema/webhooks/``). Account events show the account as it is after the whole change
(``data.account``); none carries the customer's personal data, nor dispute details or
notes: receivers fetch those through the API. Keys are written in a fixed order, so bodies
are byte-for-byte stable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from hub.domain import events as E
from hub.domain.account import Account
from hub.domain.contact_attempt import ContactAttempt
from hub.domain.dispute import Dispute
from hub.domain.hold import Hold
from hub.domain.ids import new_id
from hub.domain.money import Money
from hub.domain.payment import Payment
from hub.domain.payment_plan import PaymentPlan
from hub.domain.portal import PortalLink
from hub.domain.rehabilitation import Rehabilitation, summary_json
from hub.domain.time import rfc3339

Json = dict[str, Any]


def money(amount_minor: int, currency: str) -> Json:
    return {"amountMinor": amount_minor, "currency": currency}


def _money(value: Money) -> Json:
    return money(value.amount_minor, value.currency)


def _opt_time(value: dt.datetime | None) -> str | None:
    return rfc3339(value) if value is not None else None


def account_snapshot(account: Account) -> Json:
    """The account as events show it (ids are the API's global ids)."""
    return {
        "id": account.id,
        "reference": account.reference,
        "status": account.status.value,
        "product": account.product.value,
        "country": account.country,
        "customerId": account.customer_id,
        "creditorId": account.creditor_id,
        "agencyId": account.agency_id,
        "originalAmount": money(account.original_amount_minor, account.currency),
        "balance": money(account.balance_minor, account.currency),
        "dueDate": account.due_date.isoformat(),
        "placedAt": rfc3339(account.placed_at),
    }


def payment_view(p: Payment) -> Json:
    return {
        "id": p.id,
        "amount": _money(p.amount),
        "method": p.method.value,
        "channel": p.channel.value,
        "status": p.status.value,
        "paymentPlanId": p.plan_id,
        "receivedAt": rfc3339(p.received_at),
        "reversedAt": _opt_time(p.reversed_at),
        "reversalReason": p.reversal_reason,
    }


def plan_view(p: PaymentPlan) -> Json:
    return {
        "id": p.id,
        "status": p.status.value,
        "cadence": p.cadence.value,
        "startDate": p.start_date.isoformat(),
        "total": money(p.total_minor, p.currency),
        "installments": [
            {"dueDate": i.due_date.isoformat(), "amount": money(i.amount_minor, p.currency)}
            for i in p.installments
        ],
        "pausedDays": p.paused_days,
    }


def dispute_view(d: Dispute) -> Json:
    """Without details or notes: those may hold PII and stay behind the API."""
    return {
        "id": d.id,
        "reason": d.reason.value,
        "status": d.status.value,
        "outcome": d.outcome.value if d.outcome else None,
        "openedAt": rfc3339(d.opened_at),
        "resolvedAt": _opt_time(d.resolved_at),
    }


def hold_view(h: Hold) -> Json:
    return {
        "id": h.id,
        "reason": h.reason.value,
        "status": h.status.value,
        "until": _opt_time(h.until),
        "placedAt": rfc3339(h.placed_at),
        "releasedAt": _opt_time(h.released_at),
    }


def contact_view(c: ContactAttempt) -> Json:
    return {
        "id": c.id,
        "channel": c.channel.value,
        "direction": c.direction.value,
        "outcome": c.outcome.value,
        "occurredAt": rfc3339(c.occurred_at),
        "rulePack": {"jurisdiction": c.rule_pack.jurisdiction, "version": c.rule_pack.version}
        if c.rule_pack is not None
        else None,
    }


def rehabilitation_view(r: Rehabilitation) -> Json:
    return {
        "id": r.id,
        "customerId": r.customer_id,
        **summary_json(r.summary, r.currency),
        "rehabilitatedAt": rfc3339(r.rehabilitated_at),
        "returnedAt": _opt_time(r.returned_at),
        "orderReference": r.order_reference,
    }


def event_data(event: E.DomainEvent) -> Json:
    """The fields an event adds to ``data`` beside ``account``."""
    match event:
        case E.AccountPlaced():
            return {}
        case E.AccountAssigned(agency_id=agency_id, experiment_id=experiment_id):
            split = {"experimentId": experiment_id} if experiment_id is not None else {}
            return {"agencyId": agency_id, **split}
        case E.AccountAcknowledged(agency_reference=reference):
            return {"agencyReference": reference}
        case E.BalanceAdjusted(adjustment=adjustment, previous_balance=previous, reason=reason):
            return {
                "adjustment": _money(adjustment),
                "previousBalance": _money(previous),
                "reason": reason,
            }
        case E.ContactAttempted(contact=contact):
            return {"contactAttempt": contact_view(contact)}
        case E.PlanChanged(plan=plan):
            return {"paymentPlan": plan_view(plan)}
        case E.PaymentChanged(payment=payment):
            return {"payment": payment_view(payment)}
        case E.DisputeChanged(dispute=dispute):
            return {"dispute": dispute_view(dispute)}
        case E.HoldChanged(hold=hold):
            return {"hold": hold_view(hold)}
        case E.AccountClosed(reason=reason, settlement=settlement):
            return {
                "reason": reason.value,
                "settlementAmount": _money(settlement) if settlement is not None else None,
            }
        case E.AccountRecalled(reason=reason):
            return {"reason": reason}
        case E.RehabilitationChanged(rehabilitation=rehabilitation):
            return {"rehabilitation": rehabilitation_view(rehabilitation)}
        case E.ConsentChanged():
            hours = event.contact_hours
            return {
                "customerId": event.customer_id,
                "channel": event.channel.value if event.channel is not None else None,
                "granted": event.granted,
                "optedOutChannels": [c.value for c in event.opted_out],
                "contactHours": hours.json() if hours is not None else None,
            }
    raise TypeError(f"no payload for {event!r}")


def account_event_rows(
    account: Account, first_sequence: int, events: Sequence[E.DomainEvent], now: dt.datetime
) -> list[Json]:
    """The event rows of one change: sequence numbers from ``first_sequence``, each showing
    ``account`` as it is after the change, visible to its creditor and its agency (but win-back
    news, which only the creditor sees)."""
    snapshot = account_snapshot(account)
    return [
        {
            "id": new_id("evt"),
            "type": event.type,
            "account_id": account.id,
            "sequence": first_sequence + offset,
            "creditor_id": account.creditor_id,
            "agency_id": None if event.type in E.CREDITOR_ONLY else account.agency_id,
            "data": {"account": snapshot, **event_data(event)},
            "occurred_at": now,
        }
        for offset, event in enumerate(events)
    ]


def webhook_body(event_type: str, occurred_at: dt.datetime, data: Any, livemode: bool) -> Json:
    """A webhook's body: ``{"type", "timestamp", "livemode", "data"}``. ``livemode`` is
    false for events of sandbox organizations (``hub.domain.sandbox``)."""
    return {
        "type": event_type,
        "timestamp": rfc3339(occurred_at),
        "livemode": livemode,
        "data": data,
    }


def organization_event_row(
    type_: str, organization_id: str, is_agency: bool, now: dt.datetime, data: Json
) -> Json:
    """An event about an organization itself (not an account), visible to it alone.

    The audience columns say who sees an event: ``creditor_id`` for a creditor,
    ``agency_id`` for an agency (``creditor_id`` then names the agency too, as it must not
    be empty; no creditor has that id, so no creditor sees it).
    """
    return {
        "id": new_id("evt"),
        "type": type_,
        "account_id": None,
        "sequence": None,
        "creditor_id": organization_id,
        "agency_id": organization_id if is_agency else None,
        "data": data,
        "occurred_at": now,
    }


def portal_code_requested_row(
    link: PortalLink, code: str, expires_at: dt.datetime, now: dt.datetime
) -> Json:
    """``portal.code_requested``, for the link's issuer alone: the code it is to deliver to
    the debtor through its own channel (the hub sends no messages to debtors). It names the
    customer and account by id only, like every event."""
    data = {
        "portalLinkId": link.id,
        "customerId": link.customer_id,
        "accountId": link.account_id,
        "code": code,
        "expiresAt": rfc3339(expires_at),
        "locale": link.locale,
    }
    return organization_event_row(
        E.PORTAL_CODE_REQUESTED, link.issuer_id, link.issuer_id == link.agency_id, now, data
    )


def portal_payment_started_row(
    link: PortalLink, account_id: str, payment_id: str, amount: Money, now: dt.datetime
) -> Json:
    """``portal.payment_started``, for the link's issuer alone: an engagement event (when
    its customer acts); the payment itself follows as ``payment.pending`` and its outcome."""
    data = {
        "portalLinkId": link.id,
        "customerId": link.customer_id,
        "accountId": account_id,
        "paymentId": payment_id,
        "amount": {"amountMinor": amount.amount_minor, "currency": amount.currency},
    }
    return organization_event_row(
        E.PORTAL_PAYMENT_STARTED, link.issuer_id, link.issuer_id == link.agency_id, now, data
    )


def portal_visited_row(
    link: PortalLink, channel: str | None, hour: int, timezone: str, now: dt.datetime
) -> Json:
    """``portal.visited``, for the link's issuer alone: a debtor opened the portal (once per
    visit: a browser's first page of the link), at ``hour`` of their local day in
    ``timezone``, from a link sent on ``channel`` (None: not said)."""
    data = {
        "portalLinkId": link.id,
        "customerId": link.customer_id,
        "accountId": link.account_id,
        "channel": channel,
        "localHour": hour,
        "timezone": timezone,
    }
    return organization_event_row(
        E.PORTAL_VISITED, link.issuer_id, link.issuer_id == link.agency_id, now, data
    )


def hold_requested_row(link: PortalLink, account: Account, reason: str, now: dt.datetime) -> Json:
    """``hold.requested``, for the organization collecting ``account`` alone: the debtor
    asked for a hold (``reason``, a ``HoldReason``) that it must decide on (``placeOnHold``
    or not). Nothing the debtor wrote is in it."""
    collector = account.agency_id or account.creditor_id
    data = {
        "portalLinkId": link.id,
        "customerId": link.customer_id,
        "accountId": account.id,
        "reason": reason,
    }
    return organization_event_row(
        E.HOLD_REQUESTED, collector, collector == account.agency_id, now, data
    )


def test_clock_ready_row(
    organization_id: str,
    is_agency: bool,
    clock_id: str,
    name: str | None,
    frozen_time: dt.datetime,
    now: dt.datetime,
) -> Json:
    """``test_clock.ready``, for the clock's organization alone: the clock finished
    advancing and is at ``frozen_time`` (also the event's time)."""
    data = {
        "testClockId": clock_id,
        "name": name,
        "status": "READY",
        "frozenTime": rfc3339(frozen_time),
    }
    return organization_event_row(E.TEST_CLOCK_READY, organization_id, is_agency, now, data)
