"""The catalogue of event types: what the feed and webhooks carry.

Each has a JSON Schema in ``schema/webhooks/``. Endpoints subscribe to a subset of these
(or to all of them with an empty list).
"""

from __future__ import annotations

ACCOUNT_PLACED = "account.placed"
ACCOUNT_ASSIGNED = "account.assigned"
ACCOUNT_RECALLED = "account.recalled"
ACCOUNT_BALANCE_ADJUSTED = "account.balance_adjusted"
ENDPOINT_DISABLED = "endpoint.disabled"
WEBHOOK_TEST = "webhook.test"

EVENT_TYPES: dict[str, str] = {
    ACCOUNT_PLACED: "A creditor placed an account in collection.",
    ACCOUNT_ASSIGNED: "The routing rules assigned the account to an agency.",
    ACCOUNT_RECALLED: "The creditor took the account back.",
    ACCOUNT_BALANCE_ADJUSTED: "The creditor corrected the balance, with a reason.",
    ENDPOINT_DISABLED: "The hub disabled one of your webhook endpoints (410, or failing too long).",
    WEBHOOK_TEST: "A test delivery you asked for with sendTestWebhook (to that endpoint only).",
}
