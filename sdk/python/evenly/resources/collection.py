"""The collection itself: the agency's reports (``client.agency``) and what creditors do and
read of them (``client.payments``, ``client.customers``, ``client.rehabilitation``,
``client.performance``).

Every mutation here takes an idempotency key; the SDK adds a random one per call (the same
for its retries) unless you pass yours, so all of them are retried safely.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from evenly._base_client import Call, new_idempotency_key
from evenly._models import (
    Account,
    AgencyPerformance,
    ContactAttemptResult,
    DisputeResult,
    HoldResult,
    Money,
    PaymentPlanResult,
    PaymentResult,
    PortfolioStatus,
    Rehabilitation,
)
from evenly._operations import (
    ACKNOWLEDGE_PLACEMENT,
    AGENCY_PERFORMANCE,
    CLOSE_ACCOUNT,
    CREATE_PAYMENT_PLAN,
    LOG_CONTACT_ATTEMPT,
    OPEN_DISPUTE,
    PLACE_ON_HOLD,
    PORTFOLIO_STATUS,
    RECORD_CUSTOMER_RETURN,
    RECORD_PAYMENT,
    REHABILITATED_CUSTOMERS,
    RELEASE_HOLD,
    REPORT_DIRECT_PAYMENT,
    RESOLVE_DISPUTE,
    REVERSE_PAYMENT,
    SETTLE_PAYMENT,
)
from evenly._pagination import MAX_PAGE_SIZE, AsyncPaginator, Page, SyncPaginator, connection
from evenly.resources._resource import AsyncResource, SyncResource, drop_none, payload

__all__ = [
    "Agency",
    "AsyncAgency",
    "AsyncCustomers",
    "AsyncPayments",
    "AsyncPerformance",
    "AsyncRehabilitations",
    "Customers",
    "Payments",
    "Performance",
    "Rehabilitations",
]

M = TypeVar("M", bound=BaseModel)
MoneyLike = Money | Mapping[str, Any]
Instant = dt.datetime | str


def _money(value: MoneyLike | None) -> dict[str, Any] | None:
    return None if value is None else Money.model_validate(value).model_dump(by_alias=True)


def _instant(value: Instant | None) -> str | None:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        return value.isoformat()
    return value


def _date(value: dt.date | str) -> str:
    return value.isoformat() if isinstance(value, dt.date) else value


def _mutation(
    document: str,
    field: str,
    fields: Mapping[str, Any],
    idempotency_key: str | None,
    read: Callable[[dict[str, Any]], M],
) -> Call[M]:
    """A keyed mutation whose payload (after its ``userErrors``) is read by ``read``."""
    check = payload(field)
    variables = {
        "input": {**drop_none(fields), "idempotencyKey": idempotency_key or new_idempotency_key()}
    }
    return Call(document, variables, lambda data, rid: read(check(data, rid)))


def _account(data: dict[str, Any]) -> Account:
    return Account.model_validate(data["account"])


def _acknowledge(account_id: str, agency_reference: str | None, key: str | None) -> Call[Account]:
    fields = {"accountId": account_id, "agencyReference": agency_reference}
    return _mutation(ACKNOWLEDGE_PLACEMENT, "acknowledgePlacement", fields, key, _account)


def _log_contact(
    account_id: str,
    channel: str,
    direction: str,
    outcome: str,
    occurred_at: Instant,
    key: str | None,
) -> Call[ContactAttemptResult]:
    fields = {
        "accountId": account_id,
        "channel": str(channel),
        "direction": str(direction),
        "outcome": str(outcome),
        "occurredAt": _instant(occurred_at),
    }
    return _mutation(
        LOG_CONTACT_ATTEMPT,
        "logContactAttempt",
        fields,
        key,
        ContactAttemptResult.model_validate,
    )


def _create_plan(
    account_id: str,
    cadence: str,
    start_date: dt.date | str,
    installment_amount: MoneyLike | None,
    installments: Sequence[Mapping[str, Any]] | None,
    key: str | None,
) -> Call[PaymentPlanResult]:
    fields = {
        "accountId": account_id,
        "cadence": str(cadence),
        "startDate": _date(start_date),
        "installmentAmount": _money(installment_amount),
        "installments": None
        if installments is None
        else [
            {
                "dueDate": _date(i.get("due_date", i.get("dueDate", ""))),
                "amount": _money(i["amount"]),
            }
            for i in installments
        ],
    }
    return _mutation(
        CREATE_PAYMENT_PLAN, "createPaymentPlan", fields, key, PaymentPlanResult.model_validate
    )


def _record_payment(
    account_id: str,
    amount: MoneyLike,
    method: str,
    channel: str,
    received_at: Instant,
    pending: bool,
    key: str | None,
) -> Call[PaymentResult]:
    fields = {
        "accountId": account_id,
        "amount": _money(amount),
        "method": str(method),
        "channel": str(channel),
        "receivedAt": _instant(received_at),
        "pending": pending,
    }
    return _mutation(RECORD_PAYMENT, "recordPayment", fields, key, PaymentResult.model_validate)


def _settle_payment(payment_id: str, succeeded: bool, key: str | None) -> Call[PaymentResult]:
    fields = {"paymentId": payment_id, "succeeded": succeeded}
    return _mutation(SETTLE_PAYMENT, "settlePayment", fields, key, PaymentResult.model_validate)


def _reverse_payment(payment_id: str, reason: str, key: str | None) -> Call[PaymentResult]:
    fields = {"paymentId": payment_id, "reason": reason}
    return _mutation(REVERSE_PAYMENT, "reversePayment", fields, key, PaymentResult.model_validate)


def _report_direct(
    account_id: str, amount: MoneyLike, method: str, received_at: Instant, key: str | None
) -> Call[PaymentResult]:
    fields = {
        "accountId": account_id,
        "amount": _money(amount),
        "method": str(method),
        "receivedAt": _instant(received_at),
    }
    return _mutation(
        REPORT_DIRECT_PAYMENT, "reportDirectPayment", fields, key, PaymentResult.model_validate
    )


def _open_dispute(
    account_id: str, reason: str, details: str | None, key: str | None
) -> Call[DisputeResult]:
    fields = {"accountId": account_id, "reason": str(reason), "details": details}
    return _mutation(OPEN_DISPUTE, "openDispute", fields, key, DisputeResult.model_validate)


def _resolve_dispute(
    dispute_id: str, outcome: str, notes: str | None, key: str | None
) -> Call[DisputeResult]:
    fields = {"disputeId": dispute_id, "outcome": str(outcome), "notes": notes}
    return _mutation(RESOLVE_DISPUTE, "resolveDispute", fields, key, DisputeResult.model_validate)


def _place_on_hold(
    account_id: str, reason: str, until: Instant | None, notes: str | None, key: str | None
) -> Call[HoldResult]:
    fields = {
        "accountId": account_id,
        "reason": str(reason),
        "until": _instant(until),
        "notes": notes,
    }
    return _mutation(PLACE_ON_HOLD, "placeOnHold", fields, key, HoldResult.model_validate)


def _release_hold(hold_id: str, key: str | None) -> Call[HoldResult]:
    return _mutation(
        RELEASE_HOLD, "releaseHold", {"holdId": hold_id}, key, HoldResult.model_validate
    )


def _close(
    account_id: str, reason: str, settlement_amount: MoneyLike | None, key: str | None
) -> Call[Account]:
    fields = {
        "accountId": account_id,
        "reason": str(reason),
        "settlementAmount": _money(settlement_amount),
    }
    return _mutation(CLOSE_ACCOUNT, "closeAccount", fields, key, _account)


def _record_return(
    customer_id: str, returned_at: Instant, order_reference: str, key: str | None
) -> Call[Rehabilitation]:
    fields = {
        "customerId": customer_id,
        "returnedAt": _instant(returned_at),
        "orderReference": order_reference,
    }
    return _mutation(
        RECORD_CUSTOMER_RETURN,
        "recordCustomerReturn",
        fields,
        key,
        lambda data: Rehabilitation.model_validate(data["rehabilitation"]),
    )


def _rehabilitations(
    since: Instant | None,
) -> Callable[[str | None, int], Call[Page[Rehabilitation]]]:
    parse = connection(["rehabilitatedCustomers"], Rehabilitation)
    since_text = _instant(since)

    def make(after: str | None, first: int) -> Call[Page[Rehabilitation]]:
        variables = {"first": first, "after": after, "since": since_text}
        return Call(REHABILITATED_CUSTOMERS, variables, parse)

    return make


def _by_agency(start: Instant, end: Instant, country: str | None) -> Call[list[AgencyPerformance]]:
    variables = {"from": _instant(start), "to": _instant(end), "country": country}
    return Call(
        AGENCY_PERFORMANCE,
        variables,
        lambda data, _: [AgencyPerformance.model_validate(r) for r in data["agencyPerformance"]],
    )


def _portfolio(start: Instant | None, end: Instant | None) -> Call[list[PortfolioStatus]]:
    variables = {"from": _instant(start), "to": _instant(end)}
    return Call(
        PORTFOLIO_STATUS,
        variables,
        lambda data, _: [PortfolioStatus.model_validate(r) for r in data["portfolioStatus"]],
    )


# --- sync ---------------------------------------------------------------------------------


class Agency(SyncResource):
    """What an agency reports on the accounts assigned to it: ``client.agency``."""

    def acknowledge(
        self,
        account_id: str,
        *,
        agency_reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> Account:
        """Take a placed account on (status ``ACKNOWLEDGED``), with your own reference."""
        return self._client.execute(_acknowledge(account_id, agency_reference, idempotency_key))

    def log_contact(
        self,
        account_id: str,
        *,
        channel: str,
        direction: str,
        outcome: str,
        occurred_at: Instant,
        idempotency_key: str | None = None,
    ) -> ContactAttemptResult:
        """Record a contact attempt; refused (``UserError``) when compliance forbids it."""
        return self._client.execute(
            _log_contact(account_id, channel, direction, outcome, occurred_at, idempotency_key)
        )

    def create_payment_plan(
        self,
        account_id: str,
        *,
        cadence: str,
        start_date: dt.date | str,
        installment_amount: MoneyLike | None = None,
        installments: Sequence[Mapping[str, Any]] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentPlanResult:
        """Agree a plan: equal ``installment_amount`` every ``cadence``, or explicit
        ``installments`` (``[{"due_date": …, "amount": …}]``)."""
        return self._client.execute(
            _create_plan(
                account_id, cadence, start_date, installment_amount, installments, idempotency_key
            )
        )

    def record_payment(
        self,
        account_id: str,
        *,
        amount: MoneyLike,
        method: str,
        received_at: Instant,
        channel: str = "AGENCY",
        pending: bool = False,
        idempotency_key: str | None = None,
    ) -> PaymentResult:
        """Record a payment the agency (or its portal) took; ``pending`` until settled."""
        return self._client.execute(
            _record_payment(
                account_id, amount, method, channel, received_at, pending, idempotency_key
            )
        )

    def settle_payment(
        self, payment_id: str, *, succeeded: bool, idempotency_key: str | None = None
    ) -> PaymentResult:
        """End a pending payment: it succeeded, or it failed."""
        return self._client.execute(_settle_payment(payment_id, succeeded, idempotency_key))

    def reverse_payment(
        self, payment_id: str, *, reason: str, idempotency_key: str | None = None
    ) -> PaymentResult:
        """Reverse a payment (chargeback, bounced transfer); the balance goes back up."""
        return self._client.execute(_reverse_payment(payment_id, reason, idempotency_key))

    def open_dispute(
        self,
        account_id: str,
        *,
        reason: str,
        details: str | None = None,
        idempotency_key: str | None = None,
    ) -> DisputeResult:
        """The customer disputes the debt: outbound contact stops until it is resolved."""
        return self._client.execute(_open_dispute(account_id, reason, details, idempotency_key))

    def resolve_dispute(
        self,
        dispute_id: str,
        *,
        outcome: str,
        notes: str | None = None,
        idempotency_key: str | None = None,
    ) -> DisputeResult:
        """Close a dispute as ``UPHELD``, ``REJECTED`` or ``WITHDRAWN``."""
        return self._client.execute(_resolve_dispute(dispute_id, outcome, notes, idempotency_key))

    def place_on_hold(
        self,
        account_id: str,
        *,
        reason: str,
        until: Instant | None = None,
        notes: str | None = None,
        idempotency_key: str | None = None,
    ) -> HoldResult:
        """Pause collection for hardship or vulnerability (until a time, or released)."""
        return self._client.execute(
            _place_on_hold(account_id, reason, until, notes, idempotency_key)
        )

    def release_hold(self, hold_id: str, *, idempotency_key: str | None = None) -> HoldResult:
        """End a hold; collection (and a paused plan) resumes."""
        return self._client.execute(_release_hold(hold_id, idempotency_key))

    def close(
        self,
        account_id: str,
        *,
        reason: str,
        settlement_amount: MoneyLike | None = None,
        idempotency_key: str | None = None,
    ) -> Account:
        """Close an account: ``PAID``, ``SETTLED`` (with the amount), ``UNCOLLECTABLE``,
        ``RETURNED``."""
        return self._client.execute(_close(account_id, reason, settlement_amount, idempotency_key))


class Payments(SyncResource):
    """Payments the creditor took itself: ``client.payments``."""

    def report_direct(
        self,
        account_id: str,
        *,
        amount: MoneyLike,
        method: str,
        received_at: Instant,
        idempotency_key: str | None = None,
    ) -> PaymentResult:
        """Report a payment made to you directly; the agency learns of it at once."""
        return self._client.execute(
            _report_direct(account_id, amount, method, received_at, idempotency_key)
        )


class Customers(SyncResource):
    """``client.customers``."""

    def record_return(
        self,
        customer_id: str,
        *,
        returned_at: Instant,
        order_reference: str,
        idempotency_key: str | None = None,
    ) -> Rehabilitation:
        """A rehabilitated customer bought again: counts toward the agency's return rate."""
        return self._client.execute(
            _record_return(customer_id, returned_at, order_reference, idempotency_key)
        )


class Rehabilitations(SyncResource):
    """Customers who paid off their debt: ``client.rehabilitation``."""

    def list(
        self,
        *,
        since: Instant | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> SyncPaginator[Rehabilitation]:
        """Rehabilitated customers, with how collection went, page by page."""
        return SyncPaginator(
            self._client.execute, _rehabilitations(since), page_size=page_size, limit=limit
        )


class Performance(SyncResource):
    """KPIs: ``client.performance``."""

    def by_agency(
        self, *, start: Instant, end: Instant, country: str | None = None
    ) -> list[AgencyPerformance]:
        """Per agency and currency: recovery, time to first payment, disputes, returns…"""
        return self._client.execute(_by_agency(start, end, country))

    def portfolio(
        self, *, start: Instant | None = None, end: Instant | None = None
    ) -> list[PortfolioStatus]:
        """Accounts by status, outstanding and payments, per counterparty and currency."""
        return self._client.execute(_portfolio(start, end))


# --- async --------------------------------------------------------------------------------


class AsyncAgency(AsyncResource):
    """``client.agency`` of ``AsyncEvenly``; see ``Agency``."""

    async def acknowledge(
        self,
        account_id: str,
        *,
        agency_reference: str | None = None,
        idempotency_key: str | None = None,
    ) -> Account:
        return await self._client.execute(
            _acknowledge(account_id, agency_reference, idempotency_key)
        )

    async def log_contact(
        self,
        account_id: str,
        *,
        channel: str,
        direction: str,
        outcome: str,
        occurred_at: Instant,
        idempotency_key: str | None = None,
    ) -> ContactAttemptResult:
        return await self._client.execute(
            _log_contact(account_id, channel, direction, outcome, occurred_at, idempotency_key)
        )

    async def create_payment_plan(
        self,
        account_id: str,
        *,
        cadence: str,
        start_date: dt.date | str,
        installment_amount: MoneyLike | None = None,
        installments: Sequence[Mapping[str, Any]] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentPlanResult:
        return await self._client.execute(
            _create_plan(
                account_id, cadence, start_date, installment_amount, installments, idempotency_key
            )
        )

    async def record_payment(
        self,
        account_id: str,
        *,
        amount: MoneyLike,
        method: str,
        received_at: Instant,
        channel: str = "AGENCY",
        pending: bool = False,
        idempotency_key: str | None = None,
    ) -> PaymentResult:
        return await self._client.execute(
            _record_payment(
                account_id, amount, method, channel, received_at, pending, idempotency_key
            )
        )

    async def settle_payment(
        self, payment_id: str, *, succeeded: bool, idempotency_key: str | None = None
    ) -> PaymentResult:
        return await self._client.execute(_settle_payment(payment_id, succeeded, idempotency_key))

    async def reverse_payment(
        self, payment_id: str, *, reason: str, idempotency_key: str | None = None
    ) -> PaymentResult:
        return await self._client.execute(_reverse_payment(payment_id, reason, idempotency_key))

    async def open_dispute(
        self,
        account_id: str,
        *,
        reason: str,
        details: str | None = None,
        idempotency_key: str | None = None,
    ) -> DisputeResult:
        return await self._client.execute(
            _open_dispute(account_id, reason, details, idempotency_key)
        )

    async def resolve_dispute(
        self,
        dispute_id: str,
        *,
        outcome: str,
        notes: str | None = None,
        idempotency_key: str | None = None,
    ) -> DisputeResult:
        return await self._client.execute(
            _resolve_dispute(dispute_id, outcome, notes, idempotency_key)
        )

    async def place_on_hold(
        self,
        account_id: str,
        *,
        reason: str,
        until: Instant | None = None,
        notes: str | None = None,
        idempotency_key: str | None = None,
    ) -> HoldResult:
        return await self._client.execute(
            _place_on_hold(account_id, reason, until, notes, idempotency_key)
        )

    async def release_hold(self, hold_id: str, *, idempotency_key: str | None = None) -> HoldResult:
        return await self._client.execute(_release_hold(hold_id, idempotency_key))

    async def close(
        self,
        account_id: str,
        *,
        reason: str,
        settlement_amount: MoneyLike | None = None,
        idempotency_key: str | None = None,
    ) -> Account:
        return await self._client.execute(
            _close(account_id, reason, settlement_amount, idempotency_key)
        )


class AsyncPayments(AsyncResource):
    """``client.payments`` of ``AsyncEvenly``; see ``Payments``."""

    async def report_direct(
        self,
        account_id: str,
        *,
        amount: MoneyLike,
        method: str,
        received_at: Instant,
        idempotency_key: str | None = None,
    ) -> PaymentResult:
        return await self._client.execute(
            _report_direct(account_id, amount, method, received_at, idempotency_key)
        )


class AsyncCustomers(AsyncResource):
    """``client.customers`` of ``AsyncEvenly``; see ``Customers``."""

    async def record_return(
        self,
        customer_id: str,
        *,
        returned_at: Instant,
        order_reference: str,
        idempotency_key: str | None = None,
    ) -> Rehabilitation:
        return await self._client.execute(
            _record_return(customer_id, returned_at, order_reference, idempotency_key)
        )


class AsyncRehabilitations(AsyncResource):
    """``client.rehabilitation`` of ``AsyncEvenly``; see ``Rehabilitations``."""

    def list(
        self,
        *,
        since: Instant | None = None,
        page_size: int = MAX_PAGE_SIZE,
        limit: int | None = None,
    ) -> AsyncPaginator[Rehabilitation]:
        return AsyncPaginator(
            self._client.execute, _rehabilitations(since), page_size=page_size, limit=limit
        )


class AsyncPerformance(AsyncResource):
    """``client.performance`` of ``AsyncEvenly``; see ``Performance``."""

    async def by_agency(
        self, *, start: Instant, end: Instant, country: str | None = None
    ) -> list[AgencyPerformance]:
        return await self._client.execute(_by_agency(start, end, country))

    async def portfolio(
        self, *, start: Instant | None = None, end: Instant | None = None
    ) -> list[PortfolioStatus]:
        return await self._client.execute(_portfolio(start, end))
