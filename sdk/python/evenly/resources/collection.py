"""What an agency reports on the accounts assigned to it: ``client.agency``. What creditors do
and read of it is in ``evenly.resources.creditor_reports``.

Every mutation here takes an idempotency key; the SDK adds a random one per call (the same
for its retries) unless you pass yours, so all of them are retried safely.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from evenly._base_client import Call
from evenly._models import (
    Account,
    ContactAttemptResult,
    DisputeResult,
    HoldResult,
    PaymentPlanResult,
    PaymentResult,
)
from evenly._operations import (
    ACKNOWLEDGE_PLACEMENT,
    CLOSE_ACCOUNT,
    CREATE_PAYMENT_PLAN,
    LOG_CONTACT_ATTEMPT,
    OPEN_DISPUTE,
    PLACE_ON_HOLD,
    RECORD_PAYMENT,
    RELEASE_HOLD,
    RESOLVE_DISPUTE,
    REVERSE_PAYMENT,
    SETTLE_PAYMENT,
)
from evenly.resources._resource import (
    AsyncResource,
    Instant,
    MoneyLike,
    SyncResource,
    date_input,
    instant,
    keyed_mutation,
    money_input,
)

__all__ = ["Agency", "AsyncAgency"]


def _account(data: dict[str, Any]) -> Account:
    return Account.model_validate(data["account"])


def _acknowledge(account_id: str, agency_reference: str | None, key: str | None) -> Call[Account]:
    fields = {"accountId": account_id, "agencyReference": agency_reference}
    return keyed_mutation(ACKNOWLEDGE_PLACEMENT, "acknowledgePlacement", fields, key, _account)


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
        "occurredAt": instant(occurred_at),
    }
    return keyed_mutation(
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
        "startDate": date_input(start_date),
        "installmentAmount": money_input(installment_amount),
        "installments": None
        if installments is None
        else [
            {
                "dueDate": date_input(i.get("due_date", i.get("dueDate", ""))),
                "amount": money_input(i["amount"]),
            }
            for i in installments
        ],
    }
    return keyed_mutation(
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
        "amount": money_input(amount),
        "method": str(method),
        "channel": str(channel),
        "receivedAt": instant(received_at),
        "pending": pending,
    }
    return keyed_mutation(
        RECORD_PAYMENT, "recordPayment", fields, key, PaymentResult.model_validate
    )


def _settle_payment(payment_id: str, succeeded: bool, key: str | None) -> Call[PaymentResult]:
    fields = {"paymentId": payment_id, "succeeded": succeeded}
    return keyed_mutation(
        SETTLE_PAYMENT, "settlePayment", fields, key, PaymentResult.model_validate
    )


def _reverse_payment(payment_id: str, reason: str, key: str | None) -> Call[PaymentResult]:
    fields = {"paymentId": payment_id, "reason": reason}
    return keyed_mutation(
        REVERSE_PAYMENT, "reversePayment", fields, key, PaymentResult.model_validate
    )


def _open_dispute(
    account_id: str, reason: str, details: str | None, key: str | None
) -> Call[DisputeResult]:
    fields = {"accountId": account_id, "reason": str(reason), "details": details}
    return keyed_mutation(OPEN_DISPUTE, "openDispute", fields, key, DisputeResult.model_validate)


def _resolve_dispute(
    dispute_id: str, outcome: str, notes: str | None, key: str | None
) -> Call[DisputeResult]:
    fields = {"disputeId": dispute_id, "outcome": str(outcome), "notes": notes}
    return keyed_mutation(
        RESOLVE_DISPUTE, "resolveDispute", fields, key, DisputeResult.model_validate
    )


def _place_on_hold(
    account_id: str, reason: str, until: Instant | None, notes: str | None, key: str | None
) -> Call[HoldResult]:
    fields = {
        "accountId": account_id,
        "reason": str(reason),
        "until": instant(until),
        "notes": notes,
    }
    return keyed_mutation(PLACE_ON_HOLD, "placeOnHold", fields, key, HoldResult.model_validate)


def _release_hold(hold_id: str, key: str | None) -> Call[HoldResult]:
    return keyed_mutation(
        RELEASE_HOLD, "releaseHold", {"holdId": hold_id}, key, HoldResult.model_validate
    )


def _close(
    account_id: str, reason: str, settlement_amount: MoneyLike | None, key: str | None
) -> Call[Account]:
    fields = {
        "accountId": account_id,
        "reason": str(reason),
        "settlementAmount": money_input(settlement_amount),
    }
    return keyed_mutation(CLOSE_ACCOUNT, "closeAccount", fields, key, _account)


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
