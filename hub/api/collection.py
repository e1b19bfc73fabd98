"""The agency side in GraphQL: contacts, plans, payments, disputes, holds, closing, and
the creditor's direct payments, customer returns, rehabilitations and KPIs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.api.context import RequestContext, request_context, run_write
from hub.api.enums import (
    AccountStatus,
    Cadence,
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
    PlanStatus,
)
from hub.api.errors import ApiError, UserError
from hub.api.inputs import IDEMPOTENCY, MoneyInput
from hub.api.scalars import CountryCode, CurrencyCode, DateTime
from hub.api.types import Account, After, Edge, First, Money, Node, Organization, PageInfo, page_of
from hub.auth.scopes import Scope
from hub.domain.collection import MAX_TEXT
from hub.services import collection as service
from hub.services import performance as performance_service
from hub.services.accounts import Applied

Row = Mapping[Any, Any]


def _money(amount_minor: int, currency: str) -> Money:
    return Money(amount_minor=amount_minor, currency=CurrencyCode(currency))


# --- objects --------------------------------------------------------------------------------


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
    def from_row(cls, row: Row) -> ContactAttempt:
        return cls(
            id=strawberry.ID(row["id"]),
            channel=ContactChannel(row["channel"]),
            direction=ContactDirection(row["direction"]),
            outcome=ContactOutcome(row["outcome"]),
            occurred_at=row["occurred_at"],
            recorded_at=row["recorded_at"],
            rule_pack=RulePackRef(
                jurisdiction=row["rule_pack_jurisdiction"], version=row["rule_pack_version"]
            )
            if row.get("rule_pack_version")
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
    def from_row(cls, row: Row) -> PaymentPlan:
        currency = row["currency"]
        return cls(
            id=strawberry.ID(row["id"]),
            status=PlanStatus(row["status"]),
            cadence=Cadence(row["cadence"]),
            start_date=row["start_date"],
            total=_money(row["total_minor"], currency),
            installments=[
                Installment(
                    due_date=dt.date.fromisoformat(i["dueDate"]),
                    amount=_money(i["amountMinor"], currency),
                )
                for i in row["installments"]
            ],
            paused_days=row["paused_days"],
            created_at=row["created_at"],
            ended_at=row["ended_at"],
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
    account_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Row) -> Payment:
        return cls(
            id=strawberry.ID(row["id"]),
            amount=_money(row["amount_minor"], row["currency"]),
            method=PaymentMethod(row["method"]),
            channel=PaymentChannel(row["channel"]),
            status=PaymentStatus(row["status"]),
            payment_plan_id=strawberry.ID(row["plan_id"]) if row["plan_id"] else None,
            received_at=row["received_at"],
            recorded_at=row["recorded_at"],
            reversed_at=row["reversed_at"],
            reversal_reason=row["reversal_reason"],
            account_id=row["account_id"],
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
    def from_row(cls, row: Row, ctx: RequestContext) -> Dispute:
        cipher = ctx.services.cipher
        return cls(
            id=strawberry.ID(row["id"]),
            reason=DisputeReason(row["reason"]),
            details=cipher.decrypt(row["details_enc"], row["account_id"], "dispute.details"),
            open=row["status"] == "OPEN",
            outcome=DisputeOutcome(row["outcome"]) if row["outcome"] else None,
            notes=cipher.decrypt(row["notes_enc"], row["account_id"], "dispute.notes"),
            opened_at=row["opened_at"],
            resolved_at=row["resolved_at"],
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
    def from_row(cls, row: Row, ctx: RequestContext) -> Hold:
        return cls(
            id=strawberry.ID(row["id"]),
            reason=HoldReason(row["reason"]),
            notes=ctx.services.cipher.decrypt(row["notes_enc"], row["account_id"], "hold.notes"),
            until=row["until"],
            active=row["status"] == "ACTIVE",
            placed_at=row["placed_at"],
            released_at=row["released_at"],
        )


@strawberry.type(
    description="A customer who paid, handed back to the creditor to be won back, with how they paid."
)
class Rehabilitation(Node):
    amount_recovered: Money = strawberry.field(description="Received payments, net of reversals.")
    days_to_pay: int = strawberry.field(description="Days from placement to closing.")
    days_to_first_payment: int | None = strawberry.field(
        description="Days from placement to the first payment; 0 for a payment received before the placement."
    )
    paid_on_plan: bool = strawberry.field(description="Some payment was made under a plan.")
    paid_in_full: bool = strawberry.field(
        description="Closed PAID (true) or SETTLED for less (false)."
    )
    contact_channels: list[ContactChannel] = strawberry.field(
        description="Channels the customer used: inbound contacts and outbound ones that reached them."
    )
    payment_channels: list[PaymentChannel] = strawberry.field(description="Who took the payments.")
    self_served: bool = strawberry.field(
        description="Every payment came through the portal or straight to the creditor."
    )
    rehabilitated_at: DateTime = strawberry.field(description="When the account closed.")
    returned_at: DateTime | None = strawberry.field(
        description="When the customer bought again (`recordCustomerReturn`)."
    )
    order_reference: str | None = strawberry.field(description="The returning order's reference.")
    account_id: strawberry.Private[str]
    agency_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: Row) -> Rehabilitation:
        s = service.rehabilitation_summary(row)
        return cls(
            id=strawberry.ID(row["id"]),
            amount_recovered=_money(
                s["amountRecovered"]["amountMinor"], s["amountRecovered"]["currency"]
            ),
            days_to_pay=s["daysToPay"],
            days_to_first_payment=s["daysToFirstPayment"],
            paid_on_plan=s["paidOnPlan"],
            paid_in_full=s["paidInFull"],
            contact_channels=[ContactChannel(c) for c in s["contactChannels"]],
            payment_channels=[PaymentChannel(c) for c in s["paymentChannels"]],
            self_served=s["selfServed"],
            rehabilitated_at=row["rehabilitated_at"],
            returned_at=row["returned_at"],
            order_reference=row["order_reference"],
            account_id=row["account_id"],
            agency_id=row["agency_id"],
        )

    @strawberry.field(description="The account that was paid.")
    async def account(self, info: Info) -> Account | None:
        row = await request_context(info).accounts.load(self.account_id)
        return Account.from_row(row) if row is not None else None

    @strawberry.field(description="The agency that collected it.")
    async def agency(self, info: Info) -> Organization | None:
        if self.agency_id is None:
            return None
        row = await request_context(info).linked_organization(self.agency_id)
        return Organization.from_row(row) if row is not None else None


@strawberry.type(description="A page of rehabilitated customers, newest first.")
class RehabilitationConnection:
    edges: list[Edge[Rehabilitation]] = strawberry.field(description="Items with cursors.")
    nodes: list[Rehabilitation] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="Items matching `since`.")


@strawberry.type(
    description="An agency's results on the accounts a creditor assigned to it in a period, in one currency."
)
class AgencyPerformance:
    currency: CurrencyCode = strawberry.field(description="Currency of the amounts.")
    accounts_placed: int = strawberry.field(description="Accounts assigned in the period.")
    amount_placed: Money = strawberry.field(description="Their balances when assigned.")
    amount_recovered: Money = strawberry.field(
        description="Payments received on them so far, net of reversals."
    )
    recovery_rate: float = strawberry.field(description="amountRecovered / amountPlaced.")
    accounts_recovered: int = strawberry.field(description="Accounts closed PAID or SETTLED.")
    recovery_rate_by_count: float = strawberry.field(
        description="accountsRecovered / accountsPlaced."
    )
    median_days_to_first_payment: float | None = strawberry.field(
        description="Median days from assignment to first payment, over accounts that paid."
    )
    payment_plan_completion_rate: float | None = strawberry.field(
        description="Completed plans / plans that ended completed or broken; null if none ended."
    )
    dispute_rate: float = strawberry.field(
        description="Share of accounts with at least one dispute."
    )
    self_serve_share: float | None = strawberry.field(
        description="Share of received payments taken in the self-serve portal."
    )
    customer_return_rate: float | None = strawberry.field(
        description="Share of rehabilitated customers who bought again."
    )
    agency_id: strawberry.Private[str]

    @strawberry.field(description="The agency.")
    async def agency(self, info: Info) -> Organization | None:
        row = await request_context(info).linked_organization(self.agency_id)
        return Organization.from_row(row) if row is not None else None


@strawberry.type(description="How many accounts are in one state.")
class StatusCount:
    status: AccountStatus = strawberry.field(description="The state.")
    count: int = strawberry.field(description="Accounts in it.")


@strawberry.type(
    description="The portfolio one creditor has with one agency, in one currency: the status both sides see."
)
class PortfolioStatus:
    currency: CurrencyCode = strawberry.field(description="Currency of the amounts.")
    accounts: list[StatusCount] = strawberry.field(description="Accounts by state.")
    outstanding: Money = strawberry.field(description="Balances of the open accounts.")
    payments_count: int = strawberry.field(
        description="Payments received in the period (net of those reversed)."
    )
    payments_amount: Money = strawberry.field(description="Their total.")
    creditor_id: strawberry.Private[str]
    agency_id: strawberry.Private[str]

    @strawberry.field(description="The creditor.")
    async def creditor(self, info: Info) -> Organization | None:
        row = await request_context(info).linked_organization(self.creditor_id)
        return Organization.from_row(row) if row is not None else None

    @strawberry.field(description="The agency.")
    async def agency(self, info: Info) -> Organization | None:
        row = await request_context(info).linked_organization(self.agency_id)
        return Organization.from_row(row) if row is not None else None


_DETAILS: dict[str, tuple[str, Callable[[Row, RequestContext], Node]]] = {
    "cta": ("contact_attempts", lambda r, _: ContactAttempt.from_row(r)),
    "pln": ("payment_plans", lambda r, _: PaymentPlan.from_row(r)),
    "pay": ("payments", lambda r, _: Payment.from_row(r)),
    "dsp": ("disputes", Dispute.from_row),
    "hld": ("holds", Hold.from_row),
    "reh": ("rehabilitations", lambda r, _: Rehabilitation.from_row(r)),
}
DETAIL_PREFIXES = frozenset(_DETAILS)


async def resolve_detail(ctx: RequestContext, prefix: str, node_id: str) -> Node | None:
    """``node(id:)`` for the objects of an account's collection history."""
    principal = ctx.require(Scope.ACCOUNTS_READ)
    table, make = _DETAILS[prefix]
    async with ctx.services.db.read() as conn:
        row = await service.get_visible_detail(conn, principal, table, node_id)
    return make(row, ctx) if row is not None else None


async def account_details(info: Info, account_id: str, table: str) -> list[Row]:
    """One table's rows of an account, batched across the accounts of a request."""
    return await request_context(info).details(table).load(account_id)


# --- inputs ---------------------------------------------------------------------------------


def _idempotency() -> Any:
    return strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.input(description="Take on a placed account.")
class AcknowledgePlacementInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    agency_reference: str | None = strawberry.field(
        default=None, description="The agency's own reference for the account (≤ 128 characters)."
    )
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="Record one contact with the customer.")
class LogContactAttemptInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    channel: ContactChannel = strawberry.field(description="How.")
    direction: ContactDirection = strawberry.field(description="Who started it.")
    outcome: ContactOutcome = strawberry.field(description="What came of it.")
    occurred_at: DateTime = strawberry.field(description="When it happened; not in the future.")
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="One installment you set yourself.")
class InstallmentInput:
    due_date: dt.date = strawberry.field(description="When it falls due.")
    amount: MoneyInput = strawberry.field(description="How much; at least one major unit.")


@strawberry.input(
    description="Agree a plan for the whole balance: give `installmentAmount` (the hub cuts the schedule) or `installments`."
)
class CreatePaymentPlanInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    cadence: Cadence = strawberry.field(description="How often installments fall due.")
    start_date: dt.date = strawberry.field(description="First due date: today up to 90 days ahead.")
    installment_amount: MoneyInput | None = strawberry.field(
        default=None,
        description="Each installment's amount; the last takes the remainder (a remainder below one major unit joins the one before).",
    )
    installments: list[InstallmentInput] | None = strawberry.field(
        default=None,
        description="The schedule itself: due dates increasing from startDate, summing to the balance.",
    )
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="Record a payment taken by the agency or in its portal.")
class RecordPaymentInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    amount: MoneyInput = strawberry.field(
        description="Positive, in the account's currency, at most what is owed."
    )
    method: PaymentMethod = strawberry.field(description="How the customer paid.")
    channel: PaymentChannel = strawberry.field(
        description="AGENCY (your staff) or PORTAL (self-serve)."
    )
    received_at: DateTime = strawberry.field(description="When the money was received.")
    pending: bool = strawberry.field(
        default=False,
        description="In flight (e.g. a direct debit not yet settled): call `settlePayment` when it settles or fails.",
    )
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="Report that the customer paid the creditor directly.")
class ReportDirectPaymentInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    amount: MoneyInput = strawberry.field(
        description="Positive, in the account's currency, at most what is owed."
    )
    method: PaymentMethod = strawberry.field(description="How the customer paid.")
    received_at: DateTime = strawberry.field(description="When the money was received.")
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="End a pending payment.")
class SettlePaymentInput:
    payment_id: strawberry.ID = strawberry.field(description="The payment's global ID.")
    succeeded: bool = strawberry.field(
        description="True: the money arrived (the balance drops). False: it failed."
    )
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="Reverse a received payment.")
class ReversePaymentInput:
    payment_id: strawberry.ID = strawberry.field(description="The payment's global ID.")
    reason: str = strawberry.field(description="Why (chargeback, bounced transfer, …).")
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="Record that the customer disputes the debt.")
class OpenDisputeInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    reason: DisputeReason = strawberry.field(description="Why.")
    details: str | None = strawberry.field(
        default=None, description=f"The customer's account of it (≤ {MAX_TEXT} characters)."
    )
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="End a dispute.")
class ResolveDisputeInput:
    dispute_id: strawberry.ID = strawberry.field(description="The dispute's global ID.")
    outcome: DisputeOutcome = strawberry.field(description="How it ended.")
    notes: str | None = strawberry.field(default=None, description="Notes on the resolution.")
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="Pause collection.")
class PlaceOnHoldInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    reason: HoldReason = strawberry.field(description="Why.")
    until: DateTime | None = strawberry.field(
        default=None, description="When the hold ends by itself; omit for open-ended."
    )
    notes: str | None = strawberry.field(default=None, description="Notes.")
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="End a hold.")
class ReleaseHoldInput:
    hold_id: strawberry.ID = strawberry.field(description="The hold's global ID.")
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="Close an account.")
class CloseAccountInput:
    account_id: strawberry.ID = strawberry.field(description="The account's global ID.")
    reason: CloseReason = strawberry.field(description="Why.")
    settlement_amount: MoneyInput | None = strawberry.field(
        default=None, description="For SETTLED: the agreed amount, which must be paid already."
    )
    idempotency_key: str | None = _idempotency()


@strawberry.input(description="Record that a rehabilitated customer bought again.")
class RecordCustomerReturnInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global ID.")
    returned_at: DateTime = strawberry.field(description="When they bought again.")
    order_reference: str = strawberry.field(description="Your reference of the new order.")
    idempotency_key: str | None = _idempotency()


# --- payloads -------------------------------------------------------------------------------


def _errors_field() -> Any:
    return strawberry.field(description="Why the change was refused, if it was.")


@strawberry.type(description="Result of a change to an account's state.")
class AccountChangePayload:
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = _errors_field()


@strawberry.type(description="Result of `logContactAttempt`.")
class LogContactAttemptPayload:
    contact_attempt: ContactAttempt | None = strawberry.field(description="The recorded contact.")
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = _errors_field()


@strawberry.type(description="Result of `createPaymentPlan`.")
class CreatePaymentPlanPayload:
    payment_plan: PaymentPlan | None = strawberry.field(description="The plan.")
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = _errors_field()


@strawberry.type(description="Result of a payment mutation.")
class PaymentPayload:
    payment: Payment | None = strawberry.field(description="The payment.")
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = _errors_field()


@strawberry.type(description="Result of a dispute mutation.")
class DisputePayload:
    dispute: Dispute | None = strawberry.field(description="The dispute.")
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = _errors_field()


@strawberry.type(description="Result of a hold mutation.")
class HoldPayload:
    hold: Hold | None = strawberry.field(description="The hold.")
    account: Account | None = strawberry.field(description="The account after the change.")
    user_errors: list[UserError] = _errors_field()


@strawberry.type(description="Result of `recordCustomerReturn`.")
class RecordCustomerReturnPayload:
    rehabilitation: Rehabilitation | None = strawberry.field(
        description="The rehabilitation, with `returnedAt` set."
    )
    user_errors: list[UserError] = _errors_field()


# --- resolvers ------------------------------------------------------------------------------


def _account(applied: Applied | None) -> Account | None:
    return Account.from_row(applied.account) if applied is not None else None


async def _detail(info: Info, applied: Applied | None, key: str, table: str) -> Row | None:
    if applied is None:
        return None
    if table in applied.rows:
        return applied.rows[table]
    async with request_context(info).services.db.read() as conn:
        return await service.get_detail(conn, table, applied.result[key])


@strawberry.type(description="Writes.")
class CollectionMutation:
    @strawberry.mutation(
        description="Take on a placed account (PLACED → ACKNOWLEDGED). Needs `agency:write`."
    )
    async def acknowledge_placement(
        self,
        info: Info,
        input: Annotated[
            AcknowledgePlacementInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> AccountChangePayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.acknowledge_placement(
                ctx.services,
                p,
                str(input.account_id),
                agency_reference=input.agency_reference,
                idempotency_key=input.idempotency_key,
            ),
        )
        return AccountChangePayload(account=_account(applied), user_errors=errors)

    @strawberry.mutation(
        description="Record a contact with the customer; outbound contact is refused during a dispute or hold (`CONTACT_NOT_PERMITTED`). Needs `agency:write`."
    )
    async def log_contact_attempt(
        self,
        info: Info,
        input: Annotated[
            LogContactAttemptInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> LogContactAttemptPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.log_contact_attempt(
                ctx.services,
                p,
                str(input.account_id),
                channel=input.channel,
                direction=input.direction,
                outcome=input.outcome,
                occurred_at=input.occurred_at,
                idempotency_key=input.idempotency_key,
            ),
        )
        row = await _detail(info, applied, "contact_attempt_id", "contact_attempts")
        return LogContactAttemptPayload(
            contact_attempt=ContactAttempt.from_row(row) if row else None,
            account=_account(applied),
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Agree a payment plan for the whole balance (→ PAYMENT_PLAN). Needs `agency:write`."
    )
    async def create_payment_plan(
        self,
        info: Info,
        input: Annotated[
            CreatePaymentPlanInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> CreatePaymentPlanPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.create_payment_plan(
                ctx.services,
                p,
                str(input.account_id),
                cadence=input.cadence,
                start_date=input.start_date,
                installment_amount=input.installment_amount.to_domain()
                if input.installment_amount
                else None,
                installments=[(i.due_date, i.amount.to_domain()) for i in input.installments]
                if input.installments is not None
                else None,
                idempotency_key=input.idempotency_key,
            ),
        )
        row = await _detail(info, applied, "payment_plan_id", "payment_plans")
        return CreatePaymentPlanPayload(
            payment_plan=PaymentPlan.from_row(row) if row else None,
            account=_account(applied),
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Record a payment (overpayment is refused); clearing the balance closes the account PAID. Needs `agency:write`."
    )
    async def record_payment(
        self,
        info: Info,
        input: Annotated[
            RecordPaymentInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> PaymentPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.record_payment(
                ctx.services,
                p,
                str(input.account_id),
                amount=input.amount.to_domain(),
                method=input.method,
                channel=input.channel,
                received_at=input.received_at,
                pending=input.pending,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payment_payload(info, applied, errors)

    @strawberry.mutation(
        description="The customer paid you directly: lowers the balance and tells the agency. Needs `accounts:write`."
    )
    async def report_direct_payment(
        self,
        info: Info,
        input: Annotated[
            ReportDirectPaymentInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> PaymentPayload:
        applied, errors = await run_write(
            info,
            Scope.ACCOUNTS_WRITE,
            lambda ctx, p: service.record_payment(
                ctx.services,
                p,
                str(input.account_id),
                amount=input.amount.to_domain(),
                method=input.method,
                channel=PaymentChannel.CREDITOR_DIRECT,
                received_at=input.received_at,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payment_payload(info, applied, errors)

    @strawberry.mutation(
        description="End a pending payment: succeeded (the balance drops) or failed. Needs `agency:write`."
    )
    async def settle_payment(
        self,
        info: Info,
        input: Annotated[
            SettlePaymentInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> PaymentPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.settle_payment(
                ctx.services,
                p,
                str(input.payment_id),
                succeeded=input.succeeded,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payment_payload(info, applied, errors)

    @strawberry.mutation(
        description="Reverse a received payment; the balance goes back up. Refused once the account is closed. Needs `agency:write`."
    )
    async def reverse_payment(
        self,
        info: Info,
        input: Annotated[
            ReversePaymentInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> PaymentPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.reverse_payment(
                ctx.services,
                p,
                str(input.payment_id),
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _payment_payload(info, applied, errors)

    @strawberry.mutation(
        description="Record a dispute (→ DISPUTED): outbound contact stops, the plan clock pauses. Needs `agency:write`."
    )
    async def open_dispute(
        self,
        info: Info,
        input: Annotated[
            OpenDisputeInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> DisputePayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.open_dispute(
                ctx.services,
                p,
                str(input.account_id),
                reason=input.reason,
                details=input.details,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _dispute_payload(info, applied, errors)

    @strawberry.mutation(
        description="End a dispute; the account resumes what it was doing. Needs `agency:write`."
    )
    async def resolve_dispute(
        self,
        info: Info,
        input: Annotated[
            ResolveDisputeInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> DisputePayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.resolve_dispute(
                ctx.services,
                p,
                str(input.dispute_id),
                outcome=input.outcome,
                notes=input.notes,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _dispute_payload(info, applied, errors)

    @strawberry.mutation(
        description="Pause collection (→ ON_HOLD), open-ended or until a time. Needs `agency:write`."
    )
    async def place_on_hold(
        self,
        info: Info,
        input: Annotated[
            PlaceOnHoldInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> HoldPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.place_on_hold(
                ctx.services,
                p,
                str(input.account_id),
                reason=input.reason,
                until=input.until,
                notes=input.notes,
                idempotency_key=input.idempotency_key,
            ),
        )
        return await _hold_payload(info, applied, errors)

    @strawberry.mutation(description="End a hold; the account resumes. Needs `agency:write`.")
    async def release_hold(
        self,
        info: Info,
        input: Annotated[
            ReleaseHoldInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> HoldPayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.release_hold(
                ctx.services, p, str(input.hold_id), idempotency_key=input.idempotency_key
            ),
        )
        return await _hold_payload(info, applied, errors)

    @strawberry.mutation(
        description="Close an account: PAID, SETTLED, UNCOLLECTABLE or RETURNED. Refused while a payment is pending (`PAYMENT_IN_FLIGHT`). Needs `agency:write`."
    )
    async def close_account(
        self,
        info: Info,
        input: Annotated[
            CloseAccountInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> AccountChangePayload:
        applied, errors = await run_write(
            info,
            Scope.AGENCY_WRITE,
            lambda ctx, p: service.close_account(
                ctx.services,
                p,
                str(input.account_id),
                reason=input.reason,
                settlement_amount=input.settlement_amount.to_domain()
                if input.settlement_amount
                else None,
                idempotency_key=input.idempotency_key,
            ),
        )
        return AccountChangePayload(account=_account(applied), user_errors=errors)

    @strawberry.mutation(
        description="A rehabilitated customer bought again: closes the win-back loop. Needs `accounts:write`."
    )
    async def record_customer_return(
        self,
        info: Info,
        input: Annotated[
            RecordCustomerReturnInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> RecordCustomerReturnPayload:
        applied, errors = await run_write(
            info,
            Scope.ACCOUNTS_WRITE,
            lambda ctx, p: service.record_customer_return(
                ctx.services,
                p,
                str(input.customer_id),
                returned_at=input.returned_at,
                order_reference=input.order_reference,
                idempotency_key=input.idempotency_key,
            ),
        )
        row = await _detail(info, applied, "rehabilitation_id", "rehabilitations")
        return RecordCustomerReturnPayload(
            rehabilitation=Rehabilitation.from_row(row) if row else None, user_errors=errors
        )


async def _payment_payload(
    info: Info, applied: Applied | None, errors: list[UserError]
) -> PaymentPayload:
    row = await _detail(info, applied, "payment_id", "payments")
    return PaymentPayload(
        payment=Payment.from_row(row) if row else None,
        account=_account(applied),
        user_errors=errors,
    )


async def _dispute_payload(
    info: Info, applied: Applied | None, errors: list[UserError]
) -> DisputePayload:
    row = await _detail(info, applied, "dispute_id", "disputes")
    return DisputePayload(
        dispute=Dispute.from_row(row, request_context(info)) if row else None,
        account=_account(applied),
        user_errors=errors,
    )


async def _hold_payload(
    info: Info, applied: Applied | None, errors: list[UserError]
) -> HoldPayload:
    row = await _detail(info, applied, "hold_id", "holds")
    return HoldPayload(
        hold=Hold.from_row(row, request_context(info)) if row else None,
        account=_account(applied),
        user_errors=errors,
    )


@strawberry.type(description="Reads.")
class CollectionQuery:
    @strawberry.field(
        description="Customers who paid (accounts closed PAID or SETTLED with no open dispute), newest first. Creditors only; needs `accounts:read`."
    )
    async def rehabilitated_customers(
        self,
        info: Info,
        first: First = 20,
        after: After = None,
        since: Annotated[
            DateTime | None, strawberry.argument(description="Only those rehabilitated since.")
        ] = None,
    ) -> RehabilitationConnection:
        from hub.api.types import decode_cursor, page_size

        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        limit = page_size(first)
        before = decode_cursor("rehabilitation", after) if after is not None else None
        async with ctx.services.db.read() as conn:
            rows, total = await service.list_rehabilitations(
                conn, principal, since=since, before_id=before, limit=limit + 1
            )
        edges, nodes, page = page_of(
            rows, limit, "rehabilitation", lambda r: r["id"], Rehabilitation.from_row
        )
        return RehabilitationConnection(edges=edges, nodes=nodes, page_info=page, total_count=total)

    @strawberry.field(
        description="Per agency and currency: how the accounts you assigned in [from, to) are doing. Creditors only; needs `accounts:read`."
    )
    async def agency_performance(
        self,
        info: Info,
        from_: Annotated[
            DateTime, strawberry.argument(name="from", description="Assigned at or after.")
        ],
        to: Annotated[DateTime, strawberry.argument(description="Assigned before.")],
        country: Annotated[
            CountryCode | None, strawberry.argument(description="Only accounts of this country.")
        ] = None,
    ) -> list[AgencyPerformance]:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        if not principal.is_creditor:
            raise ApiError("FORBIDDEN", "agencyPerformance is for creditors")
        if to <= from_:
            raise ApiError("BAD_USER_INPUT", "`to` must be after `from`")
        async with ctx.services.db.read() as conn:
            rows = await performance_service.agency_performance(
                conn, principal.organization_id, start=from_, end=to, country=country
            )
        return [
            AgencyPerformance(
                agency_id=r.agency_id,
                currency=CurrencyCode(r.currency),
                accounts_placed=r.accounts_placed,
                amount_placed=_money(r.amount_placed, r.currency),
                amount_recovered=_money(r.amount_recovered, r.currency),
                recovery_rate=r.recovery_rate,
                accounts_recovered=r.accounts_recovered,
                recovery_rate_by_count=r.recovery_rate_by_count,
                median_days_to_first_payment=r.median_days_to_first_payment,
                payment_plan_completion_rate=r.payment_plan_completion_rate,
                dispute_rate=r.dispute_rate,
                self_serve_share=r.self_serve_share,
                customer_return_rate=r.customer_return_rate,
            )
            for r in rows
        ]

    @strawberry.field(
        description="The portfolio per counterparty and currency, as both sides see it: accounts by state, what is outstanding, payments in [from, to). Needs `accounts:read`."
    )
    async def portfolio_status(
        self,
        info: Info,
        from_: Annotated[
            DateTime | None,
            strawberry.argument(name="from", description="Payments received at or after."),
        ] = None,
        to: Annotated[
            DateTime | None, strawberry.argument(description="Payments received before.")
        ] = None,
    ) -> list[PortfolioStatus]:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        async with ctx.services.db.read() as conn:
            rows = await performance_service.portfolio_status(conn, principal, start=from_, end=to)
        return [
            PortfolioStatus(
                creditor_id=r.creditor_id,
                agency_id=r.agency_id,
                currency=CurrencyCode(r.currency),
                accounts=[StatusCount(status=AccountStatus(s), count=n) for s, n in r.by_status],
                outstanding=_money(r.outstanding, r.currency),
                payments_count=r.payments_count,
                payments_amount=_money(r.payments_amount, r.currency),
            )
            for r in rows
        ]
