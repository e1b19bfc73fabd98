"""The simulated sandbox agency: the hub plays an agency flagged ``simulated``.

Every account routed to such an agency gets the steps of its scenario
(``hub.domain.sandbox_scenarios``) as rows (``hub.store.sandbox_steps``); ``run_due``, called
by the worker's maintenance loop, takes each due step once and performs it through the same
use cases a real agency calls (acknowledge, ``contactPermission`` then a contact on an allowed
channel, plans, payments, disputes, holds, closing; a recall through the creditor's), with a
clock at the step's instant on the account's days, so every event and webhook is the real one
(the webhooks of a step's events are sent at once, not when the wall clock reaches the
account's day).

An account placed on a test clock (``hub.domain.test_clocks``) is left alone by ``run_due``:
its steps are due at their instant on the clock and performed (``perform_steps``) as the
clock advances (``hub.services.clock_advance``).

A contact that ``contactPermission`` refuses now is put off to the compliance pack's next
allowed time on any channel, and the account's later steps with it (so the scenario keeps its
order); one that no channel will allow within ``MAX_CONTACT_DEFERRAL`` is skipped. Any other
step the account's state refuses is skipped and logged. A step is claimed before it acts, so
a worker stopped between the two loses that step rather than running it twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.collection_state import ItemKind
from hub.domain.errors import DomainError
from hub.domain.ids import new_id
from hub.domain.money import Money
from hub.domain.payment import Payment
from hub.domain.payment_plan import Cadence
from hub.domain.sandbox_scenarios import (
    DEFAULT_SCENARIO,
    MAX_CONTACT_DEFERRAL,
    Step,
    choose_scenario,
    plan_steps,
    scenarios,
    step_clock,
    wall_delay,
)
from hub.domain.vocabulary import (
    CloseReason,
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    DisputeReason,
    HoldReason,
    PaymentChannel,
    PaymentMethod,
    PaymentStatus,
)
from hub.services import accounts as account_service
from hub.services import closing, compliance, contacts, disputes, holds, items, payments, plans
from hub.services.context import ServiceContext, utcnow
from hub.store.sandbox_steps import StoredStep, Unscheduled

log = logging.getLogger("evenly.sandbox_agency")

#: Channels the simulated agency tries, in order, asking ``contactPermission`` for each.
CHANNELS = (ContactChannel.EMAIL, ContactChannel.SMS, ContactChannel.CALL)
BATCH = 200
_SECOND = dt.timedelta(seconds=1)


class Deferred(Exception):
    """The step cannot act yet: it will at ``until`` (on the account's clock)."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(until)
        self.until = until


def _scenario_name(account: Unscheduled) -> str:
    """``metadata.sandboxScenario``, else the customer's email tag, else the default (a
    name the placement checks let through is known; one that is not falls back)."""
    try:
        return choose_scenario(account.metadata, account.email).name
    except DomainError:
        return DEFAULT_SCENARIO


async def schedule_new(ctx: ServiceContext, now: dt.datetime) -> int:
    """Give every newly routed account of a simulated agency its scenario's steps."""
    seconds_per_day = ctx.settings.sandbox_seconds_per_day
    async with ctx.store.transaction() as uow:
        found = await uow.sandbox_steps.unscheduled(BATCH)
        rows: list[StoredStep] = []
        for account in found:
            name = _scenario_name(account)
            clocked = account.test_clock_id is not None
            start = account.placed_at if clocked else max(account.placed_at, now - _SECOND)
            planned = plan_steps(scenarios()[name], start, seconds_per_day)
            for p in planned:
                acts_at = step_clock(account.placed_at, p.step.day)
                # On a test clock a step is due when the clock reaches it.
                due_at = acts_at if clocked else p.due_at
                rows.append(
                    StoredStep(
                        new_id("sst"),
                        account.account_id,
                        account.agency_id,
                        name,
                        p.position,
                        due_at,
                        acts_at,
                    )
                )
            if not planned:  # a marker, already claimed: the account is scheduled
                marker = StoredStep(
                    new_id("sst"), account.account_id, account.agency_id, name, -1, now, now
                )
                rows.append(marker)
        await uow.sandbox_steps.add(rows)
        for row in rows:
            if row.position < 0:
                await uow.sandbox_steps.claim(row.id, now)
    return len(found)


async def run_due(ctx: ServiceContext, now: dt.datetime | None = None) -> int:
    """Schedule new accounts, then perform every due step once; how many were performed."""
    now = now or ctx.clock()
    await schedule_new(ctx, now)
    async with ctx.store.read() as uow:
        due = await uow.sandbox_steps.due(now, BATCH)
    return await perform_steps(ctx, due, now)


async def perform_steps(
    ctx: ServiceContext, due: list[StoredStep], now: dt.datetime | None = None
) -> int:
    """Claim and perform each step in turn (at its ``acts_at``); how many were performed.
    ``now`` is the wall time, for claiming and sending the webhooks at once; a step on a
    test clock is claimed at its own instant and its webhooks go out at the hub's time."""
    done = 0
    for stored in due:
        claim_at = stored.acts_at if stored.clock_id else (now or ctx.clock())
        async with ctx.store.transaction() as uow:
            if not await uow.sandbox_steps.claim(stored.id, claim_at):
                continue
        step = scenarios()[stored.scenario].steps[stored.position]
        try:
            await _perform(ctx, stored, step)
            done += 1
            async with ctx.store.transaction() as uow:  # its webhooks go out now
                await uow.sandbox_steps.deliver_now(stored.account_id, now or utcnow())
        except Deferred as later:
            await _defer(ctx, stored, later.until)
        except DomainError as e:
            log.info(
                "sandbox step skipped",
                extra={"account": stored.account_id, "action": step.action, "code": e.code},
            )
    return done


async def _defer(ctx: ServiceContext, stored: StoredStep, until: dt.datetime) -> None:
    """Put the step back to act at ``until``, and the account's later steps with it."""
    delay = wall_delay(until - stored.acts_at, ctx.settings.sandbox_seconds_per_day)
    due_at = until if stored.clock_id else stored.due_at + delay
    async with ctx.store.transaction() as uow:
        await uow.sandbox_steps.defer(stored, until, due_at)
    log.info(
        "sandbox step deferred to the next allowed time",
        extra={"account": stored.account_id, "position": stored.position},
    )


async def _perform(ctx: ServiceContext, stored: StoredStep, step: Step) -> None:
    at = stored.acts_at
    here = dataclasses.replace(ctx, clock=lambda: at, account_time=True)
    agency = Principal("sandbox-agency", stored.agency_id, OrganizationKind.AGENCY, frozenset())
    account_id = stored.account_id
    opts: dict[str, Any] = dict(step.options)
    action = step.action
    if action == "acknowledge":
        await account_service.acknowledge_placement(
            here, agency, account_id, agency_reference=f"SIM-{account_id[-8:]}"
        )
    elif action == "contact":
        await _contact(here, agency, account_id, at, ContactOutcome(opts["outcome"]))
    elif action == "dispute":
        await disputes.open_dispute(
            here, agency, account_id, reason=DisputeReason.WRONG_AMOUNT, details=None
        )
    elif action == "hold":
        await holds.place_on_hold(
            here, agency, account_id, reason=HoldReason(opts["reason"]), until=None, notes=None
        )
    elif action == "close":
        await _close(here, agency, account_id, CloseReason(opts["reason"]))
    elif action == "recall":
        account = await _account(here, agency, account_id)
        creditor = Principal(
            "sandbox-creditor", account.creditor_id, OrganizationKind.CREDITOR, frozenset()
        )
        await account_service.recall_account(here, creditor, account_id, reason="sandbox scenario")
    elif action == "release":
        hold_id = await _latest(here, ItemKind.HOLD, account_id)
        await holds.release_hold(here, agency, hold_id)
    elif action == "reverse":
        payment_id = await _latest(here, ItemKind.PAYMENT, account_id)
        await payments.reverse_payment(here, agency, payment_id, reason="sandbox chargeback")
    else:
        await _perform_money(here, agency, account_id, action, opts, at)


async def _perform_money(
    here: ServiceContext,
    agency: Principal,
    account_id: str,
    action: str,
    opts: dict[str, Any],
    at: dt.datetime,
) -> None:
    """The steps about plans and payments."""
    if action == "plan":
        account = await _account(here, agency, account_id)
        n = int(opts["installments"])
        each = -(-account.balance_minor // n)
        await plans.create_payment_plan(
            here,
            agency,
            account_id,
            cadence=Cadence.WEEKLY,
            start_date=at.date() + dt.timedelta(days=7),
            installment_amount=Money(each, account.currency),
            installments=None,
        )
    elif action == "pay":
        account = await _account(here, agency, account_id)
        amount = (
            account.balance_minor if opts["amount"] == "balance" else account.balance_minor // 2
        )
        await payments.record_payment(
            here,
            agency,
            account_id,
            amount=Money(amount, account.currency),
            method=PaymentMethod.CARD,
            channel=PaymentChannel.AGENCY,
            received_at=at,
        )
    else:  # miss: the customer paid nothing; past the grace period the plan breaks
        if not await plans.break_overdue_plans(here, at, account_id):
            raise DomainError.of(
                "PLAN_NOT_OVERDUE", "no running plan is overdue past its grace period", "plan"
            )


async def _latest(ctx: ServiceContext, kind: ItemKind, account_id: str) -> str:
    """The id of the account's newest item of ``kind`` (the one the scenario made)."""
    found = (await items.items_of(ctx, kind, [account_id])).get(account_id, [])
    if not found:
        raise DomainError.of("NOT_FOUND", f"no {kind.name.lower()} to act on", "account")
    return str(found[-1].id)


async def _account(ctx: ServiceContext, agency: Principal, account_id: str) -> Any:
    account = await account_service.get_account(ctx, agency, account_id)
    if account is None:
        raise DomainError.of("NOT_FOUND", "no such account", "account")
    return account


async def _contact(
    ctx: ServiceContext,
    agency: Principal,
    account_id: str,
    at: dt.datetime,
    outcome: ContactOutcome,
) -> None:
    """Contact on the first channel ``contactPermission`` allows; none allowed now: put off
    to the earliest time one is (``Deferred``), or skip if none will be soon."""
    later: list[dt.datetime] = []
    for channel in CHANNELS:
        decision = await compliance.contact_permission(ctx, agency, account_id, channel, at)
        if decision.next_allowed_at is not None and decision.next_allowed_at > at:
            later.append(decision.next_allowed_at)
        if decision.allowed:
            await contacts.log_contact_attempt(
                ctx,
                agency,
                account_id,
                channel=channel,
                direction=ContactDirection.OUTBOUND,
                outcome=outcome,
                occurred_at=at,
            )
            return
    if later and min(later) <= at + MAX_CONTACT_DEFERRAL:
        raise Deferred(min(later))
    raise DomainError.of("CONTACT_NOT_PERMITTED", "no channel allowed now", "channel")


async def _close(
    ctx: ServiceContext, agency: Principal, account_id: str, reason: CloseReason
) -> None:
    settlement = None
    if reason is CloseReason.SETTLED:  # settled for what the customer paid
        account = await _account(ctx, agency, account_id)
        found = (await items.items_of(ctx, ItemKind.PAYMENT, [account_id])).get(account_id, [])
        paid = sum(
            p.amount.amount_minor
            for p in found
            if isinstance(p, Payment) and p.status is PaymentStatus.SUCCEEDED
        )
        settlement = Money(paid, account.currency)
    await closing.close_account(
        ctx, agency, account_id, reason=reason, settlement_amount=settlement
    )
