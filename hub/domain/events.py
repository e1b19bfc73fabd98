"""The catalogue of event types: what the feed and webhooks carry.

Each has a JSON Schema in ``schema/webhooks/``. Endpoints subscribe to a subset of these
(or to all of them with an empty list).
"""

from __future__ import annotations

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
    CUSTOMER_CONSENT_CHANGED: "The customer accepted or refused contact on a channel.",
    ENDPOINT_DISABLED: "The hub disabled one of your webhook endpoints (410, or failing too long).",
    WEBHOOK_TEST: "A test delivery you asked for with sendTestWebhook (to that endpoint only).",
}

#: Types about an organization itself (no account, no ``data.account``); the rest are
#: about one account and carry its snapshot.
ORGANIZATION_EVENT_TYPES = frozenset({ENDPOINT_DISABLED, WEBHOOK_TEST})
