"""Payment plans: the agency agrees installments with the customer for the whole balance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.collection_state import Item
from hub.domain.money import Money
from hub.domain.payment_plan import Cadence
from hub.services.account_changes import Applied, change_account
from hub.services.context import ServiceContext
from hub.store.accounts import Loaded
from hub.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class CreatePaymentPlan:
    account_id: str
    cadence: Cadence
    start_date: dt.date
    #: Either the amount of each installment (the hub cuts the schedule) ...
    installment_amount: Money | None
    #: ... or the installments themselves (the hub checks them).
    installments: Sequence[tuple[dt.date, Money]] | None


async def create_payment_plan(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    cadence: Cadence,
    start_date: dt.date,
    installment_amount: Money | None,
    installments: Sequence[tuple[dt.date, Money]] | None,
    idempotency_key: str | None = None,
) -> Applied:
    """Agree a plan for the whole balance; the hub computes or checks the schedule."""
    command = CreatePaymentPlan(account_id, cadence, start_date, installment_amount, installments)

    async def move(_uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> Item:
        return loaded.collection.create_plan(
            cadence=command.cadence,
            start_date=command.start_date,
            installment_amount=command.installment_amount,
            installments=command.installments,
            now=now,
        )

    return await change_account(ctx, principal, command, idempotency_key, command.account_id, move)
