"""What an account holds, as GraphQL objects: contacts, payment plans, payments, disputes
and holds (rehabilitations are ``hub.api.rehabilitation``'s)."""

from __future__ import annotations

import datetime as dt

import strawberry

from hub.api.enums import (
    Cadence,
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    DisputeOutcome,
    DisputeReason,
    HoldReason,
    PaymentChannel,
    PaymentMethod,
    PaymentStatus,
    PlanStatus,
)
from hub.api.objects import Money
from hub.api.relay import Node
from hub.api.scalars import CountryCode, DateTime
from hub.domain import contact_attempt, dispute, hold, payment, payment_plan


@strawberry.type(description="A version of a jurisdiction's contact rules.")
class RulePackRef:
    jurisdiction: CountryCode = strawberry.field(description="The country the pack covers.")
    version: str = strawberry.field(description="The pack's version (its effective date).")


@strawberry.type(description="One contact between the agency and the customer.")
class ContactAttempt(Node):
    channel: ContactChannel = strawberry.field(description="How.")
    direction: ContactDirection = strawberry.field(description="Who started it.")
    outcome: ContactOutcome = strawberry.field(description="What came of it.")
    occurred_at: DateTime = strawberry.field(description="When it happened.")
    recorded_at: DateTime = strawberry.field(description="When the agency logged it.")
    rule_pack: RulePackRef | None = strawberry.field(
        description="The compliance rule pack in force that allowed this outbound contact; null for inbound contacts and where no pack covers the country."
    )

    @classmethod
    def from_record(cls, c: contact_attempt.ContactAttempt) -> ContactAttempt:
        pack = c.rule_pack
        return cls(
            id=strawberry.ID(c.id),
            channel=c.channel,
            direction=c.direction,
            outcome=c.outcome,
            occurred_at=c.occurred_at,
            recorded_at=c.recorded_at,
            rule_pack=RulePackRef(jurisdiction=CountryCode(pack.jurisdiction), version=pack.version)
            if pack is not None
            else None,
        )


@strawberry.type(description="One installment of a payment plan.")
class Installment:
    due_date: dt.date = strawberry.field(
        description="When it falls due (before any pause for disputes or holds)."
    )
    amount: Money = strawberry.field(description="How much falls due.")


@strawberry.type(description="Installments agreed with the customer for the whole balance.")
class PaymentPlan(Node):
    status: PlanStatus = strawberry.field(description="Where the plan stands.")
    cadence: Cadence = strawberry.field(description="How often installments fall due.")
    start_date: dt.date = strawberry.field(description="The first due date.")
    total: Money = strawberry.field(description="The balance the plan covers.")
    installments: list[Installment] = strawberry.field(description="The schedule, in order.")
    paused_days: int = strawberry.field(
        description="Days the plan clock stood still for disputes and holds; due dates move by as much."
    )
    created_at: DateTime = strawberry.field(description="When the plan was agreed.")
    ended_at: DateTime | None = strawberry.field(
        description="When it completed, broke or was cancelled."
    )

    @classmethod
    def from_record(cls, p: payment_plan.PaymentPlan) -> PaymentPlan:
        return cls(
            id=strawberry.ID(p.id),
            status=p.status,
            cadence=p.cadence,
            start_date=p.start_date,
            total=Money.of(p.total_minor, p.currency),
            installments=[
                Installment(due_date=i.due_date, amount=Money.of(i.amount_minor, p.currency))
                for i in p.installments
            ],
            paused_days=p.paused_days,
            created_at=p.created_at,
            ended_at=p.ended_at,
        )


@strawberry.type(description="Money received for an account.")
class Payment(Node):
    amount: Money = strawberry.field(description="How much.")
    method: PaymentMethod = strawberry.field(description="How the customer paid.")
    channel: PaymentChannel = strawberry.field(description="Who took the payment.")
    status: PaymentStatus = strawberry.field(description="Where the payment stands.")
    payment_plan_id: strawberry.ID | None = strawberry.field(
        description="The plan the payment counted toward, if one was running."
    )
    received_at: DateTime = strawberry.field(description="When the money was received.")
    recorded_at: DateTime = strawberry.field(description="When it was reported to the hub.")
    reversed_at: DateTime | None = strawberry.field(description="When it was reversed, if it was.")
    reversal_reason: str | None = strawberry.field(description="Why it was reversed.")

    @classmethod
    def from_record(cls, p: payment.Payment) -> Payment:
        return cls(
            id=strawberry.ID(p.id),
            amount=Money.from_domain(p.amount),
            method=p.method,
            channel=p.channel,
            status=p.status,
            payment_plan_id=strawberry.ID(p.plan_id) if p.plan_id else None,
            received_at=p.received_at,
            recorded_at=p.recorded_at,
            reversed_at=p.reversed_at,
            reversal_reason=p.reversal_reason,
        )


@strawberry.type(description="The customer contests the debt; contact and the plan pause.")
class Dispute(Node):
    reason: DisputeReason = strawberry.field(description="Why.")
    details: str | None = strawberry.field(description="The customer's account of it.")
    open: bool = strawberry.field(description="True until resolved.")
    outcome: DisputeOutcome | None = strawberry.field(description="How it ended.")
    notes: str | None = strawberry.field(description="Notes on the resolution.")
    opened_at: DateTime = strawberry.field(description="When it was opened.")
    resolved_at: DateTime | None = strawberry.field(description="When it was resolved.")

    @classmethod
    def from_record(cls, d: dispute.Dispute) -> Dispute:
        return cls(
            id=strawberry.ID(d.id),
            reason=d.reason,
            details=d.details,
            open=d.is_open,
            outcome=d.outcome,
            notes=d.notes,
            opened_at=d.opened_at,
            resolved_at=d.resolved_at,
        )


@strawberry.type(description="A pause on collection: no outbound contact, plan clock stopped.")
class Hold(Node):
    reason: HoldReason = strawberry.field(description="Why.")
    notes: str | None = strawberry.field(description="Notes.")
    until: DateTime | None = strawberry.field(
        description="When it ends by itself; null for open-ended."
    )
    active: bool = strawberry.field(description="True until released or expired.")
    placed_at: DateTime = strawberry.field(description="When it started.")
    released_at: DateTime | None = strawberry.field(description="When it ended.")

    @classmethod
    def from_record(cls, h: hold.Hold) -> Hold:
        return cls(
            id=strawberry.ID(h.id),
            reason=h.reason,
            notes=h.notes,
            until=h.until,
            active=h.is_active,
            placed_at=h.placed_at,
            released_at=h.released_at,
        )
