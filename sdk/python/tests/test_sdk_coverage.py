"""Every query, mutation and subscription of ``schema/schema.graphql`` has an SDK method, on
both clients, and that method's operation selects the field.

A new field in the schema fails here until it gets a method (or a commented place in
``LEFT_OUT``): the SDK cannot silently fall behind the hub again.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from evenly import AsyncEvenly, Evenly, _operations
from graphql import GraphQLObjectType, build_schema

SCHEMA = Path(__file__).resolve().parents[3] / "schema" / "schema.graphql"

#: Root field -> (the SDK method that sends it, the operation constant it sends).
COVERAGE: dict[str, tuple[str, str]] = {
    # queries
    "viewer": ("viewer", "VIEWER"),
    "account": ("accounts.get", "ACCOUNT_BY_ID"),
    "accounts": ("accounts.list", "ACCOUNTS"),
    "events": ("events.list", "EVENTS"),
    "webhookEndpoints": ("webhook_endpoints.list", "WEBHOOK_ENDPOINTS"),
    "webhookEndpoint": ("webhook_endpoints.get", "WEBHOOK_ENDPOINT"),
    "rehabilitatedCustomers": ("rehabilitation.list", "REHABILITATED_CUSTOMERS"),
    "agencyPerformance": ("performance.by_agency", "AGENCY_PERFORMANCE"),
    "portfolioStatus": ("performance.portfolio", "PORTFOLIO_STATUS"),
    "contactPermission": ("compliance.contact_permission", "CONTACT_PERMISSION"),
    "complianceReport": ("compliance.report", "COMPLIANCE_REPORT"),
    "rulePacks": ("compliance.rule_packs", "RULE_PACKS"),
    "portalPlanOffers": ("portal_links.plan_offers", "PORTAL_PLAN_OFFERS"),
    "helpContact": ("portal_links.help_contact", "HELP_CONTACT"),
    "portalBranding": ("portal_links.branding", "PORTAL_BRANDING"),
    # mutations
    "placeAccount": ("accounts.place", "PLACE_ACCOUNT"),
    "placeAccounts": ("accounts.place_many", "PLACE_ACCOUNTS"),
    "recallAccount": ("accounts.recall", "RECALL_ACCOUNT"),
    "adjustBalance": ("accounts.adjust_balance", "ADJUST_BALANCE"),
    "createWebhookEndpoint": ("webhook_endpoints.create", "CREATE_WEBHOOK_ENDPOINT"),
    "updateWebhookEndpoint": ("webhook_endpoints.update", "UPDATE_WEBHOOK_ENDPOINT"),
    "enableWebhookEndpoint": ("webhook_endpoints.enable", "ENABLE_WEBHOOK_ENDPOINT"),
    "deleteWebhookEndpoint": ("webhook_endpoints.delete", "DELETE_WEBHOOK_ENDPOINT"),
    "rotateWebhookSecret": ("webhook_endpoints.rotate_secret", "ROTATE_WEBHOOK_SECRET"),
    "sendTestWebhook": ("webhook_endpoints.send_test", "SEND_TEST_WEBHOOK"),
    "replayEvents": ("webhook_endpoints.replay", "REPLAY_EVENTS"),
    "acknowledgePlacement": ("agency.acknowledge", "ACKNOWLEDGE_PLACEMENT"),
    "logContactAttempt": ("agency.log_contact", "LOG_CONTACT_ATTEMPT"),
    "createPaymentPlan": ("agency.create_payment_plan", "CREATE_PAYMENT_PLAN"),
    "recordPayment": ("agency.record_payment", "RECORD_PAYMENT"),
    "settlePayment": ("agency.settle_payment", "SETTLE_PAYMENT"),
    "reversePayment": ("agency.reverse_payment", "REVERSE_PAYMENT"),
    "openDispute": ("agency.open_dispute", "OPEN_DISPUTE"),
    "resolveDispute": ("agency.resolve_dispute", "RESOLVE_DISPUTE"),
    "placeOnHold": ("agency.place_on_hold", "PLACE_ON_HOLD"),
    "releaseHold": ("agency.release_hold", "RELEASE_HOLD"),
    "closeAccount": ("agency.close", "CLOSE_ACCOUNT"),
    "reportDirectPayment": ("payments.report_direct", "REPORT_DIRECT_PAYMENT"),
    "recordCustomerReturn": ("customers.record_return", "RECORD_CUSTOMER_RETURN"),
    "setChannelConsent": ("compliance.set_channel_consent", "SET_CHANNEL_CONSENT"),
    "createPortalLink": ("portal_links.create", "CREATE_PORTAL_LINK"),
    "revokePortalLink": ("portal_links.revoke", "REVOKE_PORTAL_LINK"),
    "setPortalPlanOffers": ("portal_links.set_plan_offers", "SET_PORTAL_PLAN_OFFERS"),
    "setHelpContact": ("portal_links.set_help_contact", "SET_HELP_CONTACT"),
    "setPortalBranding": ("portal_links.set_branding", "SET_PORTAL_BRANDING"),
    "sendTestEvent": ("sandbox.send_test_event", "SEND_TEST_EVENT"),
    "sandboxScenarios": ("sandbox.scenarios", "SANDBOX_SCENARIOS"),
    "advanceTestAccount": ("sandbox.advance_account", "ADVANCE_TEST_ACCOUNT"),
    "deleteSandboxData": ("sandbox.reset", "DELETE_SANDBOX_DATA"),
    "createTestClock": ("sandbox.clocks.create", "CREATE_TEST_CLOCK"),
    "advanceTestClock": ("sandbox.clocks.advance", "ADVANCE_TEST_CLOCK"),
    "deleteTestClock": ("sandbox.clocks.delete", "DELETE_TEST_CLOCK"),
    "testClock": ("sandbox.clocks.get", "TEST_CLOCK"),
    "confirmSandboxPayment": ("sandbox.confirm_payment", "CONFIRM_SANDBOX_PAYMENT"),
    # subscriptions
    "organizationEvents": ("events.stream", "ORGANIZATION_EVENTS"),
    "accountEvents": ("events.stream", "ACCOUNT_EVENTS"),
}

#: Deliberately without a method of their own.
LEFT_OUT = {
    # Relay's generic refetch by global id: every type it returns has its own typed getter
    # (accounts.get, webhook_endpoints.get), and an untyped ``node()`` would return a union
    # of every model for no flow that needs it.
    "node",
    "nodes",
}


def _root_fields() -> set[str]:
    schema = build_schema(SCHEMA.read_text())
    roots = (schema.query_type, schema.mutation_type, schema.subscription_type)
    return {name for root in roots if isinstance(root, GraphQLObjectType) for name in root.fields}


def _method(client: Any, path: str) -> Any:
    target = client
    for part in path.split("."):
        target = getattr(target, part)
    return target


def test_every_schema_operation_has_an_sdk_method_or_a_reason() -> None:
    fields = _root_fields()
    missing = fields - set(COVERAGE) - LEFT_OUT
    assert not missing, f"operations without an SDK method: {sorted(missing)}"
    stale = (set(COVERAGE) | LEFT_OUT) - fields
    assert not stale, f"listed but not in the schema: {sorted(stale)}"


@pytest.mark.parametrize("field", sorted(COVERAGE))
def test_the_method_exists_on_both_clients_and_sends_the_field(field: str) -> None:
    path, constant = COVERAGE[field]
    sync = Evenly("cli_x", "secret", base_url="http://127.0.0.1:1")
    asynchronous = AsyncEvenly("cli_x", "secret", base_url="http://127.0.0.1:1")
    try:
        sync_method = _method(sync, path)
        async_method = _method(asynchronous, path)
        assert callable(sync_method)
        assert not inspect.iscoroutinefunction(sync_method), path
        # Awaited, an async iterator, or a paginator iterated with ``async for``.
        assert (
            inspect.iscoroutinefunction(async_method)
            or inspect.isasyncgenfunction(async_method)
            or "AsyncPaginator" in str(inspect.signature(async_method).return_annotation)
        ), path
    finally:
        sync.close()
    document = getattr(_operations, constant)
    assert re.search(rf"[{{\s]{field}\s*[({{]", document), f"{constant} does not select {field}"
