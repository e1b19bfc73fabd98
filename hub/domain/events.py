"""The catalogue of event types: what the feed and webhooks carry.

Each has a JSON Schema in ``schema/webhooks/``. Endpoints subscribe to a subset of these
(or to all of them with an empty list).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from hub.domain.contact_attempt import ContactAttempt
from hub.domain.contact_hours import ContactHours
from hub.domain.dispute import Dispute
from hub.domain.hold import Hold
from hub.domain.money import Money
from hub.domain.payment import Payment
from hub.domain.payment_plan import PaymentPlan
from hub.domain.rehabilitation import Rehabilitation
from hub.domain.vocabulary import CloseReason, ContactChannel

ACCOUNT_PLACED = "account.placed"
ACCOUNT_ASSIGNED = "account.assigned"
ACCOUNT_RECALLED = "account.recalled"
ACCOUNT_BALANCE_ADJUSTED = "account.balance_adjusted"
ACCOUNT_ACKNOWLEDGED = "account.acknowledged"
ACCOUNT_CLOSED = "account.closed"
CONTACT_ATTEMPTED = "contact.attempted"
PAYMENT_PLAN_CREATED = "payment_plan.created"
PAYMENT_PLAN_COMPLETED = "payment_plan.completed"
PAYMENT_PLAN_BROKEN = "payment_plan.broken"
PAYMENT_PLAN_CANCELLED = "payment_plan.cancelled"
PAYMENT_PENDING = "payment.pending"
PAYMENT_RECEIVED = "payment.received"
PAYMENT_FAILED = "payment.failed"
PAYMENT_REVERSED = "payment.reversed"
DISPUTE_OPENED = "dispute.opened"
DISPUTE_RESOLVED = "dispute.resolved"
HOLD_PLACED = "hold.placed"
HOLD_RELEASED = "hold.released"
CUSTOMER_REHABILITATED = "customer.rehabilitated"
CUSTOMER_RETURNED = "customer.returned"
CUSTOMER_CONSENT_CHANGED = "customer.consent_changed"
ENDPOINT_DISABLED = "endpoint.disabled"
WEBHOOK_TEST = "webhook.test"
PORTAL_CODE_REQUESTED = "portal.code_requested"
PORTAL_PAYMENT_STARTED = "portal.payment_started"
PORTAL_VISITED = "portal.visited"
HOLD_REQUESTED = "hold.requested"
TEST_CLOCK_READY = "test_clock.ready"

EVENT_TYPES: dict[str, str] = {
    ACCOUNT_PLACED: "A creditor placed an account in collection.",
    ACCOUNT_ASSIGNED: "The routing rules assigned the account to an agency.",
    ACCOUNT_RECALLED: "The creditor took the account back.",
    ACCOUNT_BALANCE_ADJUSTED: "The creditor corrected the balance, with a reason.",
    ACCOUNT_ACKNOWLEDGED: "The agency acknowledged the placement, with its own reference.",
    CONTACT_ATTEMPTED: "The agency contacted the customer, or the customer the agency.",
    PAYMENT_PLAN_CREATED: "The agency agreed a payment plan with the customer.",
    PAYMENT_PLAN_COMPLETED: "The customer paid every installment of the plan.",
    PAYMENT_PLAN_BROKEN: "An installment was missed past the grace period.",
    PAYMENT_PLAN_CANCELLED: "The account left collection (closed, recalled) with a plan running.",
    PAYMENT_PENDING: "A payment is in flight (e.g. a direct debit not yet settled).",
    PAYMENT_RECEIVED: "A payment lowered the balance (agency, portal or creditor direct).",
    PAYMENT_FAILED: "A pending payment did not go through; the balance is unchanged.",
    PAYMENT_REVERSED: "A received payment was reversed; the balance went back up.",
    DISPUTE_OPENED: "The customer disputes the debt; outbound contact and the plan pause.",
    DISPUTE_RESOLVED: "The dispute ended (upheld, rejected or withdrawn).",
    HOLD_PLACED: "The account is on hold (hardship, vulnerability, bereavement).",
    HOLD_RELEASED: "The hold ended (released, or its end date passed).",
    ACCOUNT_CLOSED: "The account closed: paid, settled, uncollectable or returned.",
    CUSTOMER_REHABILITATED: "The customer paid; a summary for winning them back (creditor only).",
    CUSTOMER_RETURNED: "The creditor recorded that a rehabilitated customer bought again.",
    CUSTOMER_CONSENT_CHANGED: "The customer changed their channels or preferred contact hours.",
    ENDPOINT_DISABLED: "The hub disabled one of your webhook endpoints (410, or failing too long).",
    WEBHOOK_TEST: "A test delivery you asked for with sendTestWebhook (to that endpoint only).",
    PORTAL_CODE_REQUESTED: "A debtor asked for a portal code: deliver it (issuer of the link only).",
    PORTAL_PAYMENT_STARTED: "A debtor started a payment in the portal (issuer of the link only).",
    PORTAL_VISITED: "A debtor opened the portal: the hour and the channel the link came from.",
    HOLD_REQUESTED: "A debtor asked in the portal for a hold (hardship): the collector acts on it.",
    TEST_CLOCK_READY: "A sandbox test clock finished advancing: its accounts are at its time.",
}

#: Types about an organization itself (no account, no ``data.account``); the rest are
#: about one account and carry its snapshot.
ORGANIZATION_EVENT_TYPES = frozenset(
    {
        ENDPOINT_DISABLED,
        WEBHOOK_TEST,
        PORTAL_CODE_REQUESTED,
        PORTAL_PAYMENT_STARTED,
        PORTAL_VISITED,
        HOLD_REQUESTED,
        TEST_CLOCK_READY,
    }
)


# --- what the domain records: typed events, published under the types above ----------------
#
# The aggregate (``hub.domain.collection_account``) records these as it changes an account;
# ``hub.domain.payloads`` is the one place that turns each into the JSON receivers get.


@dataclass(frozen=True, slots=True)
class AccountPlaced:
    type: ClassVar[str] = ACCOUNT_PLACED


@dataclass(frozen=True, slots=True)
class AccountAssigned:
    agency_id: str
    #: The experiment of the split routing rule whose arm the agency is, if one chose it.
    experiment_id: str | None = None
    type: ClassVar[str] = ACCOUNT_ASSIGNED


@dataclass(frozen=True, slots=True)
class AccountAcknowledged:
    agency_reference: str | None
    type: ClassVar[str] = ACCOUNT_ACKNOWLEDGED


@dataclass(frozen=True, slots=True)
class BalanceAdjusted:
    adjustment: Money
    previous_balance: Money
    reason: str
    type: ClassVar[str] = ACCOUNT_BALANCE_ADJUSTED


@dataclass(frozen=True, slots=True)
class ContactAttempted:
    contact: ContactAttempt
    type: ClassVar[str] = CONTACT_ATTEMPTED


@dataclass(frozen=True, slots=True)
class PlanChanged:
    """``payment_plan.created``, ``.completed``, ``.broken`` or ``.cancelled``."""

    type: str
    plan: PaymentPlan


@dataclass(frozen=True, slots=True)
class PaymentChanged:
    """``payment.pending``, ``.received``, ``.failed`` or ``.reversed``."""

    type: str
    payment: Payment


@dataclass(frozen=True, slots=True)
class DisputeChanged:
    """``dispute.opened`` or ``.resolved``."""

    type: str
    dispute: Dispute


@dataclass(frozen=True, slots=True)
class HoldChanged:
    """``hold.placed`` or ``.released``."""

    type: str
    hold: Hold


@dataclass(frozen=True, slots=True)
class AccountClosed:
    reason: CloseReason
    settlement: Money | None
    type: ClassVar[str] = ACCOUNT_CLOSED


@dataclass(frozen=True, slots=True)
class AccountRecalled:
    reason: str | None
    type: ClassVar[str] = ACCOUNT_RECALLED


@dataclass(frozen=True, slots=True)
class RehabilitationChanged:
    """``customer.rehabilitated`` or ``.returned``: the creditor's win-back news, which the
    agency does not receive."""

    type: str
    rehabilitation: Rehabilitation


@dataclass(frozen=True, slots=True)
class ConsentChanged:
    """A channel accepted or refused (``channel``, ``granted``), or only the preferred
    contact hours changed (both None); ``contact_hours`` are the customer's hours now."""

    customer_id: str
    channel: ContactChannel | None
    granted: bool | None
    opted_out: tuple[ContactChannel, ...]
    contact_hours: ContactHours | None = None
    type: ClassVar[str] = CUSTOMER_CONSENT_CHANGED


DomainEvent = (
    AccountPlaced
    | AccountAssigned
    | AccountAcknowledged
    | BalanceAdjusted
    | ContactAttempted
    | PlanChanged
    | PaymentChanged
    | DisputeChanged
    | HoldChanged
    | AccountClosed
    | AccountRecalled
    | RehabilitationChanged
    | ConsentChanged
)

#: Account event types that only the creditor receives.
CREDITOR_ONLY = frozenset({CUSTOMER_REHABILITATED, CUSTOMER_RETURNED})


#: Where a reader is in the feed: the (txid, position) of the last event it has seen; the
#: feed's order (``hub.store.event_log`` says why it is this one).
EventKey = tuple[int, int]


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as the log keeps it: what the feed, webhooks and subscriptions carry."""

    id: str
    type: str
    account_id: str | None
    #: The account's own count (1, 2, …); None for events of no account.
    sequence: int | None
    #: The audience: the creditor always, and the agency if set.
    creditor_id: str
    agency_id: str | None
    data: dict[str, Any]
    occurred_at: dt.datetime
    position: int
    txid: int
    #: False for events of sandbox organizations (``hub.domain.sandbox``).
    livemode: bool = True

    @property
    def key(self) -> EventKey:
        return (self.txid, self.position)
