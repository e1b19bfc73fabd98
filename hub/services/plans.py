"""Payment plans: the agency agrees installments with the customer for the whole balance;
the hub breaks a plan whose installment is overdue past the grace period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.collection_state import Item
from hub.domain.money import Money
from hub.domain.payment_plan import Cadence
from hub.services.account_changes import Applied, change_account, system_change
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


async def break_overdue_plans(
    ctx: ServiceContext,
    now: dt.datetime,
    account_id: str | None = None,
    clock_id: str | None = None,
) -> int:
    """Break every running plan (of one account, if given; else of the accounts on test
    clock ``clock_id``, or on none) whose installment is overdue past ``plan_grace_days``
    on ``now``'s day, each with its ``payment_plan.broken``; how many broke. The
    maintenance sweep calls it with the hub's clock, the simulated sandbox agency's missed
    installment with the account's, a test clock's advance with the clock's."""
    async with ctx.store.read() as uow:
        running = await uow.items.running_plans(account_id, clock_id)
    grace = ctx.settings.plan_grace_days
    broken = 0
    for due in running:
        if not due.plan.broken_by(due.paid_minor, today=now.date(), grace_days=grace):
            continue
        plan_id = due.plan.id

        async def break_plan(
            _uow: UnitOfWork, loaded: Loaded, at: dt.datetime, plan_id: str = plan_id
        ) -> Item:
            return loaded.collection.break_plan(plan_id, at)

        if await system_change(ctx, due.agency_id, due.plan.account_id, now, break_plan):
            broken += 1
    return broken
