"""GraphQL enums: the domain's enums, exposed with a description on every value.

Every module of the API imports them from here, so each is registered with strawberry once.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry

from hub.auth.scopes import OrganizationKind
from hub.domain.account import AccountStatus, Product
from hub.domain.payment_plan import Cadence, PlanStatus
from hub.domain.sandbox_paths import AdvanceStep, AdvanceTarget
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

__all__ = [
    "AccountStatus",
    "AdvanceStep",
    "AdvanceTarget",
    "Cadence",
    "CloseReason",
    "ContactChannel",
    "ContactDirection",
    "ContactOutcome",
    "DisputeOutcome",
    "DisputeReason",
    "HoldReason",
    "OrganizationKind",
    "PaymentChannel",
    "PaymentMethod",
    "PaymentStatus",
    "PlanStatus",
    "Product",
]

E = TypeVar("E", bound=type[Enum])


def _describe_enum(enum_cls: E, description: str, values: Mapping[str, str]) -> E:
    wrapped = strawberry.enum(enum_cls, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]
    return wrapped


_describe_enum(
    AccountStatus,
    "Where an account stands in collection.",
    {
        "PLACED": "Sent by the creditor; not yet acknowledged by an agency.",
        "ACKNOWLEDGED": "The assigned agency has taken the account on.",
        "IN_COLLECTION": "The agency is working the account.",
        "PAYMENT_PLAN": "The customer pays on an agreed plan.",
        "DISPUTED": "The customer disputes the debt; contact is paused.",
        "ON_HOLD": "Paused for hardship or vulnerability; contact is paused.",
        "PAID": "Paid in full. Terminal.",
        "SETTLED": "Closed for an agreed settlement amount. Terminal.",
        "RECALLED": "Taken back by the creditor. Terminal.",
        "RETURNED": "Returned by the agency to the creditor. Terminal.",
        "UNCOLLECTABLE": "Written off as uncollectable. Terminal.",
    },
)
_describe_enum(
    Product,
    "The kind of credit the debt comes from.",
    {
        "BNPL_INVOICE": "Buy-now-pay-later invoice.",
        "INSTALLMENT": "Installment purchase.",
        "CARD": "Credit card.",
        "LOAN": "Personal or consumer loan.",
        "OTHER": "Any other credit product.",
    },
)
_describe_enum(
    OrganizationKind,
    "What an organization does on the hub.",
    {"CREDITOR": "Places accounts in collection.", "AGENCY": "Collects placed accounts."},
)
_describe_enum(
    ContactChannel,
    "How the agency and the customer were in touch.",
    {
        "EMAIL": "Email.",
        "SMS": "Text message.",
        "CALL": "Telephone call.",
        "LETTER": "Postal letter.",
        "PUSH": "Push notification in the creditor's or agency's app.",
        "IN_APP": "Message inside an app or web portal.",
    },
)
_describe_enum(
    ContactDirection,
    "Who started the contact.",
    {"OUTBOUND": "The agency contacted the customer.", "INBOUND": "The customer got in touch."},
)
_describe_enum(
    ContactOutcome,
    "What came of a contact.",
    {
        "DELIVERED": "A message was delivered (email, SMS, letter, push).",
        "UNDELIVERED": "A message bounced or could not be delivered.",
        "NO_ANSWER": "A call was not answered.",
        "VOICEMAIL": "A voicemail was left.",
        "CONVERSATION": "The agency spoke with the customer.",
        "PROMISE_TO_PAY": "The customer promised to pay.",
        "REFUSED_TO_PAY": "The customer refused to pay.",
        "WRONG_PARTY": "Someone other than the customer was reached.",
    },
)
_describe_enum(
    Cadence,
    "How often installments fall due.",
    {
        "DAILY": "Every day.",
        "WEEKLY": "Every 7 days.",
        "BIWEEKLY": "Every 14 days.",
        "MONTHLY": "Each month on the start date's day (clamped to shorter months).",
    },
)
_describe_enum(
    PlanStatus,
    "Where a payment plan stands.",
    {
        "ACTIVE": "Running.",
        "COMPLETED": "Every installment was paid.",
        "BROKEN": "An installment was missed past the grace period.",
        "CANCELLED": "The account left collection while the plan ran.",
    },
)
_describe_enum(
    PaymentMethod,
    "How the customer paid.",
    {
        "CARD": "Debit or credit card.",
        "BANK_TRANSFER": "Bank transfer.",
        "DIRECT_DEBIT": "Direct debit.",
        "MOBILE_WALLET": "Mobile wallet (Swish, Apple Pay, …).",
        "CASH": "Cash.",
        "OTHER": "Any other method.",
    },
)
_describe_enum(
    PaymentChannel,
    "Who took the payment.",
    {
        "AGENCY": "The agency's staff.",
        "PORTAL": "The customer, in a self-serve portal.",
        "CREDITOR_DIRECT": "The creditor, paid directly (reported with `reportDirectPayment`).",
    },
)
_describe_enum(
    PaymentStatus,
    "Where a payment stands.",
    {
        "PENDING": "In flight: holds its amount against the balance but has not moved it.",
        "SUCCEEDED": "Received: lowered the balance.",
        "FAILED": "A pending payment that did not go through.",
        "REVERSED": "Received, then reversed: the balance went back up.",
    },
)
_describe_enum(
    DisputeReason,
    "Why the customer disputes the debt.",
    {
        "NOT_MY_DEBT": "The customer says the debt is not theirs.",
        "WRONG_AMOUNT": "The amount is wrong.",
        "ALREADY_PAID": "The customer says they paid.",
        "GOODS_OR_SERVICES": "A problem with what was bought (not received, returned, faulty).",
        "FRAUD": "Identity theft or fraud.",
        "OTHER": "Any other reason.",
    },
)
_describe_enum(
    DisputeOutcome,
    "How a dispute ended.",
    {
        "UPHELD": "The customer was right; the creditor usually recalls or adjusts next.",
        "REJECTED": "The debt stands.",
        "WITHDRAWN": "The customer dropped the dispute.",
    },
)
_describe_enum(
    HoldReason,
    "Why collection is paused.",
    {
        "HARDSHIP": "Financial difficulty (e.g. a breathing space).",
        "VULNERABILITY": "The customer is vulnerable (health, circumstances).",
        "BEREAVEMENT": "A bereavement.",
        "OTHER": "Any other reason.",
    },
)
_describe_enum(
    CloseReason,
    "Why an account closed.",
    {
        "PAID": "The balance is paid in full.",
        "SETTLED": "The customer paid an agreed settlement; the rest is forgiven.",
        "UNCOLLECTABLE": "Written off.",
        "RETURNED": "The agency hands the account back to the creditor.",
    },
)
_describe_enum(
    AdvanceTarget,
    "A state `advanceTestAccount` takes a sandbox account to.",
    {
        "ACKNOWLEDGED": "Acknowledged by its agency.",
        "IN_COLLECTION": "Acknowledged and contacted (an inbound call).",
        "PAYMENT_PLAN": "On a plan of one monthly installment of the whole balance.",
        "PAID": "Paid in full by one payment (the customer is rehabilitated).",
        "SETTLED": "Settled for what is paid (half the balance paid first, if nothing is).",
        "DISPUTED": "Disputed by the customer (reason OTHER).",
        "ON_HOLD": "On a hardship hold without an end.",
        "UNCOLLECTABLE": "Written off.",
    },
)
_describe_enum(
    AdvanceStep,
    "One move `advanceTestAccount` made, named by the mutation that made it.",
    {
        "ACKNOWLEDGE": "`acknowledgePlacement`.",
        "LOG_CONTACT": "`logContactAttempt`: an inbound call (a conversation).",
        "CREATE_PLAN": "`createPaymentPlan`: one monthly installment of the balance.",
        "PAY_IN_FULL": "`recordPayment` of the whole balance (the account closes PAID).",
        "SETTLE": "`recordPayment` of half the balance if nothing is paid, then "
        "`closeAccount` SETTLED for what is paid.",
        "WRITE_OFF": "`closeAccount` UNCOLLECTABLE.",
        "OPEN_DISPUTE": "`openDispute` (reason OTHER).",
        "RESOLVE_DISPUTE": "`resolveDispute` (REJECTED: the debt stands).",
        "PLACE_HOLD": "`placeOnHold` (HARDSHIP, no end).",
        "RELEASE_HOLD": "`releaseHold`.",
    },
)
