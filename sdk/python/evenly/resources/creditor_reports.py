"""What creditors do and read of the collection: ``client.payments``, ``client.customers``,
``client.rehabilitation`` and ``client.performance``.

Every mutation here takes an idempotency key; the SDK adds a random one per call (the same
for its retries) unless you pass yours, so all of them are retried safely.
"""

from __future__ import annotations

from collections.abc import Callable

from evenly._base_client import Call
from evenly._models import AgencyPerformance, PaymentResult, PortfolioStatus, Rehabilitation
from evenly._operations import (
    AGENCY_PERFORMANCE,
    PORTFOLIO_STATUS,
    RECORD_CUSTOMER_RETURN,
    REHABILITATED_CUSTOMERS,
    REPORT_DIRECT_PAYMENT,
)
from evenly._pagination import MAX_PAGE_SIZE, AsyncPaginator, Page, SyncPaginator, connection
from evenly.resources._resource import (
    AsyncResource,
    Instant,
    MoneyLike,
    SyncResource,
    instant,
    keyed_mutation,
    money_input,
)

__all__ = [
    "AsyncCustomers",
    "AsyncPayments",
    "AsyncPerformance",
    "AsyncRehabilitations",
    "Customers",
    "Payments",
    "Performance",
    "Rehabilitations",
]


def _report_direct(
    account_id: str, amount: MoneyLike, method: str, received_at: Instant, key: str | None
) -> Call[PaymentResult]:
    fields = {
        "accountId": account_id,
        "amount": money_input(amount),
        "method": str(method),
        "receivedAt": instant(received_at),
    }
    return keyed_mutation(
        REPORT_DIRECT_PAYMENT, "reportDirectPayment", fields, key, PaymentResult.model_validate
    )


def _record_return(
    customer_id: str, returned_at: Instant, order_reference: str, key: str | None
) -> Call[Rehabilitation]:
    fields = {
        "customerId": customer_id,
        "returnedAt": instant(returned_at),
        "orderReference": order_reference,
    }
    return keyed_mutation(
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
    since_text = instant(since)

    def make(after: str | None, first: int) -> Call[Page[Rehabilitation]]:
        variables = {"first": first, "after": after, "since": since_text}
        return Call(REHABILITATED_CUSTOMERS, variables, parse)

    return make


def _by_agency(start: Instant, end: Instant, country: str | None) -> Call[list[AgencyPerformance]]:
    variables = {"from": instant(start), "to": instant(end), "country": country}
    return Call(
        AGENCY_PERFORMANCE,
        variables,
        lambda data, _: [AgencyPerformance.model_validate(r) for r in data["agencyPerformance"]],
    )


def _portfolio(start: Instant | None, end: Instant | None) -> Call[list[PortfolioStatus]]:
    variables = {"from": instant(start), "to": instant(end)}
    return Call(
        PORTFOLIO_STATUS,
        variables,
        lambda data, _: [PortfolioStatus.model_validate(r) for r in data["portfolioStatus"]],
    )


# --- sync ---------------------------------------------------------------------------------


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
