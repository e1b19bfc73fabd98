"""Every GraphQL operation the SDK sends, in one place.

``OPERATIONS`` lists them all; a test validates each against ``schema/schema.graphql`` so
the SDK fails its tests, not its users, when the hub's API moves.
"""

from __future__ import annotations

ORGANIZATION = "fragment OrganizationFields on Organization { id kind name country createdAt }"

ACCOUNT = (
    "fragment AccountFields on Account { id reference status product country"
    " originalAmount { amountMinor currency } balance { amountMinor currency }"
    " dueDate placedAt updatedAt metadata version agencyReference acknowledgedAt closedAt"
    " customer { id reference personalDataVisible name email phone country language timezone }"
    " creditor { ...OrganizationFields } agency { ...OrganizationFields } }\n" + ORGANIZATION
)

EVENT = "fragment EventFields on Event { id type sequence occurredAt data }"

ENDPOINT = (
    "fragment EndpointFields on WebhookEndpoint"
    " { id url description eventTypes enabled disabledReason createdAt updatedAt }"
)

USER_ERRORS = "userErrors { field code message }"
PAGE_INFO = "pageInfo { hasNextPage endCursor }"

VIEWER = "query Viewer { viewer { clientId scopes organization { ...OrganizationFields } } }\n" + (
    ORGANIZATION
)

ACCOUNT_BY_ID = (
    "query Account($id: ID, $reference: String)"
    " { account(id: $id, reference: $reference) { ...AccountFields } }\n" + ACCOUNT
)

ACCOUNTS = (
    "query Accounts($first: Int!, $after: String, $filter: AccountFilter)"
    " { accounts(first: $first, after: $after, filter: $filter)"
    f" {{ nodes {{ ...AccountFields }} {PAGE_INFO} }} }}\n" + ACCOUNT
)

PLACE_ACCOUNT = (
    "mutation PlaceAccount($input: PlaceAccountInput!) { placeAccount(input: $input)"
    f" {{ account {{ ...AccountFields }} {USER_ERRORS} warnings {{ field code message }}"
    " replayed } }\n" + ACCOUNT
)

# Lean on purpose: a batch of 500 answers with ids only, fetch the accounts when needed.
PLACE_ACCOUNTS = (
    "mutation PlaceAccounts($input: PlaceAccountsInput!) { placeAccounts(input: $input)"
    " { results { index account { id } userErrors { field code message }"
    f" warnings {{ field code message }} replayed }} {USER_ERRORS} }} }}"
)

RECALL_ACCOUNT = (
    "mutation RecallAccount($input: RecallAccountInput!) { recallAccount(input: $input)"
    f" {{ account {{ ...AccountFields }} {USER_ERRORS} }} }}\n" + ACCOUNT
)

ADJUST_BALANCE = (
    "mutation AdjustBalance($input: AdjustBalanceInput!) { adjustBalance(input: $input)"
    f" {{ account {{ ...AccountFields }} {USER_ERRORS} }} }}\n" + ACCOUNT
)

EVENTS = (
    "query Events($first: Int!, $after: String, $types: [String!])"
    " { events(first: $first, after: $after, types: $types)"
    f" {{ nodes {{ ...EventFields }} {PAGE_INFO} }} }}\n" + EVENT
)

ORGANIZATION_EVENTS = (
    "subscription OrganizationEvents($types: [String!], $after: String)"
    " { organizationEvents(types: $types, after: $after) { ...EventFields } }\n" + EVENT
)

WEBHOOK_ENDPOINTS = (
    "query WebhookEndpoints($first: Int!, $after: String)"
    " { webhookEndpoints(first: $first, after: $after)"
    f" {{ nodes {{ ...EndpointFields }} {PAGE_INFO} }} }}\n" + ENDPOINT
)

WEBHOOK_ENDPOINT = (
    "query WebhookEndpoint($id: ID!) { webhookEndpoint(id: $id) { ...EndpointFields } }\n"
    + ENDPOINT
)

WEBHOOK_DELIVERIES = (
    "query WebhookDeliveries($id: ID!, $first: Int!, $after: String, $status: DeliveryStatus)"
    " { webhookEndpoint(id: $id) { deliveries(first: $first, after: $after, status: $status)"
    " { nodes { id eventId eventType status nextAttemptAt deliveredAt"
    f" attempts {{ at statusCode durationMs responseSnippet error }} }} {PAGE_INFO} }} }} }}"
)

CREATE_WEBHOOK_ENDPOINT = (
    "mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!)"
    " { createWebhookEndpoint(input: $input)"
    f" {{ webhookEndpoint {{ ...EndpointFields }} secret {USER_ERRORS} }} }}\n" + ENDPOINT
)

ROTATE_WEBHOOK_SECRET = (
    "mutation RotateWebhookSecret($input: RotateWebhookSecretInput!)"
    " { rotateWebhookSecret(input: $input)"
    f" {{ webhookEndpoint {{ ...EndpointFields }} secret {USER_ERRORS} }} }}\n" + ENDPOINT
)

UPDATE_WEBHOOK_ENDPOINT = (
    "mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!)"
    " { updateWebhookEndpoint(input: $input)"
    f" {{ webhookEndpoint {{ ...EndpointFields }} {USER_ERRORS} }} }}\n" + ENDPOINT
)

ENABLE_WEBHOOK_ENDPOINT = (
    "mutation EnableWebhookEndpoint($input: WebhookEndpointIdInput!)"
    " { enableWebhookEndpoint(input: $input)"
    f" {{ webhookEndpoint {{ ...EndpointFields }} {USER_ERRORS} }} }}\n" + ENDPOINT
)

DELETE_WEBHOOK_ENDPOINT = (
    "mutation DeleteWebhookEndpoint($input: WebhookEndpointIdInput!)"
    f" {{ deleteWebhookEndpoint(input: $input) {{ deletedWebhookEndpointId {USER_ERRORS} }} }}"
)

SEND_TEST_WEBHOOK = (
    "mutation SendTestWebhook($input: WebhookEndpointIdInput!)"
    f" {{ sendTestWebhook(input: $input) {{ eventId {USER_ERRORS} }} }}"
)

REPLAY_EVENTS = (
    "mutation ReplayEvents($input: ReplayEventsInput!)"
    f" {{ replayEvents(input: $input) {{ queuedCount {USER_ERRORS} }} }}"
)

# --- the agency side and what creditors read of it ----------------------------------------

MONEY = "{ amountMinor currency }"
CONTACT_ATTEMPT = (
    "fragment ContactAttemptFields on ContactAttempt"
    " { id channel direction outcome occurredAt recordedAt }"
)
PAYMENT_PLAN = (
    "fragment PaymentPlanFields on PaymentPlan { id status cadence startDate"
    f" total {MONEY} installments {{ dueDate amount {MONEY} }} pausedDays createdAt endedAt }}"
)
PAYMENT = (
    f"fragment PaymentFields on Payment {{ id amount {MONEY} method channel status"
    " paymentPlanId receivedAt recordedAt reversedAt reversalReason }"
)
DISPUTE = (
    "fragment DisputeFields on Dispute { id reason details open outcome notes openedAt resolvedAt }"
)
HOLD = "fragment HoldFields on Hold { id reason notes until active placedAt releasedAt }"
REHABILITATION = (
    f"fragment RehabilitationFields on Rehabilitation {{ id amountRecovered {MONEY} daysToPay"
    " daysToFirstPayment paidOnPlan paidInFull contactChannels paymentChannels selfServed"
    " rehabilitatedAt returnedAt orderReference account { ...AccountFields }"
    " agency { ...OrganizationFields } }\n" + ACCOUNT
)


def _change(name: str, input_type: str, selection: str, *fragments: str) -> str:
    """A mutation whose payload carries a changed object and the account."""
    return "\n".join(
        (
            f"mutation {name[0].upper()}{name[1:]}($input: {input_type}!)"
            f" {{ {name}(input: $input) {{ {selection} account {{ ...AccountFields }}"
            f" {USER_ERRORS} }} }}",
            ACCOUNT,
            *fragments,
        )
    )


ACKNOWLEDGE_PLACEMENT = _change("acknowledgePlacement", "AcknowledgePlacementInput", "")
CLOSE_ACCOUNT = _change("closeAccount", "CloseAccountInput", "")
LOG_CONTACT_ATTEMPT = _change(
    "logContactAttempt",
    "LogContactAttemptInput",
    "contactAttempt { ...ContactAttemptFields }",
    CONTACT_ATTEMPT,
)
CREATE_PAYMENT_PLAN = _change(
    "createPaymentPlan",
    "CreatePaymentPlanInput",
    "paymentPlan { ...PaymentPlanFields }",
    PAYMENT_PLAN,
)
RECORD_PAYMENT = _change(
    "recordPayment", "RecordPaymentInput", "payment { ...PaymentFields }", PAYMENT
)
SETTLE_PAYMENT = _change(
    "settlePayment", "SettlePaymentInput", "payment { ...PaymentFields }", PAYMENT
)
REVERSE_PAYMENT = _change(
    "reversePayment", "ReversePaymentInput", "payment { ...PaymentFields }", PAYMENT
)
REPORT_DIRECT_PAYMENT = _change(
    "reportDirectPayment", "ReportDirectPaymentInput", "payment { ...PaymentFields }", PAYMENT
)
OPEN_DISPUTE = _change("openDispute", "OpenDisputeInput", "dispute { ...DisputeFields }", DISPUTE)
RESOLVE_DISPUTE = _change(
    "resolveDispute", "ResolveDisputeInput", "dispute { ...DisputeFields }", DISPUTE
)
PLACE_ON_HOLD = _change("placeOnHold", "PlaceOnHoldInput", "hold { ...HoldFields }", HOLD)
RELEASE_HOLD = _change("releaseHold", "ReleaseHoldInput", "hold { ...HoldFields }", HOLD)

RECORD_CUSTOMER_RETURN = (
    "mutation RecordCustomerReturn($input: RecordCustomerReturnInput!)"
    " { recordCustomerReturn(input: $input)"
    f" {{ rehabilitation {{ ...RehabilitationFields }} {USER_ERRORS} }} }}\n" + REHABILITATION
)

REHABILITATED_CUSTOMERS = (
    "query RehabilitatedCustomers($first: Int!, $after: String, $since: DateTime)"
    " { rehabilitatedCustomers(first: $first, after: $after, since: $since)"
    f" {{ nodes {{ ...RehabilitationFields }} {PAGE_INFO} }} }}\n" + REHABILITATION
)

AGENCY_PERFORMANCE = (
    "query AgencyPerformance($from: DateTime!, $to: DateTime!, $country: CountryCode)"
    " { agencyPerformance(from: $from, to: $to, country: $country)"
    f" {{ currency accountsPlaced amountPlaced {MONEY} amountRecovered {MONEY} recoveryRate"
    " accountsRecovered recoveryRateByCount medianDaysToFirstPayment"
    " paymentPlanCompletionRate disputeRate selfServeShare customerReturnRate"
    " agency { ...OrganizationFields } } }\n" + ORGANIZATION
)

PORTFOLIO_STATUS = (
    "query PortfolioStatus($from: DateTime, $to: DateTime)"
    " { portfolioStatus(from: $from, to: $to) { currency accounts { status count }"
    f" outstanding {MONEY} paymentsCount paymentsAmount {MONEY}"
    " creditor { ...OrganizationFields } agency { ...OrganizationFields } } }\n" + ORGANIZATION
)

# One indexed read on the hub, however long the feed: where a stream "from now" starts.
LATEST_CURSOR = "query LatestCursor { events(first: 0) { latestCursor } }"

ACCOUNT_TIMELINE = (
    "query AccountTimeline($id: ID!, $first: Int!, $after: String)"
    " { account(id: $id) { events(first: $first, after: $after)"
    f" {{ nodes {{ ...EventFields }} {PAGE_INFO} }} }} }}\n" + EVENT
)

ACCOUNT_EVENTS = (
    "subscription AccountEvents($accountId: ID!, $types: [String!], $after: String)"
    " { accountEvents(accountId: $accountId, types: $types, after: $after) { ...EventFields } }\n"
    + EVENT
)

# --- compliance: may a debtor be contacted, what allowed each contact, the rule packs -----

RULE_PACK_REF = "rulePack { jurisdiction version }"

CONTACT_PERMISSION = (
    "query ContactPermission($accountId: ID!, $channel: ContactChannel!, $at: DateTime)"
    " { contactPermission(accountId: $accountId, channel: $channel, at: $at)"
    " { allowed reasons { ruleId message citation convention } nextAllowedAt"
    f" {RULE_PACK_REF} timezones }} }}"
)

COMPLIANCE_REPORT = (
    "query ComplianceReport($accountId: ID!) { complianceReport(accountId: $accountId)"
    f" {{ contactAttempt {{ ...ContactAttemptFields }} {RULE_PACK_REF} }} }}\n" + CONTACT_ATTEMPT
)

RULE_PACKS = (
    "query RulePacks($jurisdiction: CountryCode) { rulePacks(jurisdiction: $jurisdiction)"
    " { jurisdiction version effectiveFrom title timezones"
    " rules { id kind channels citation convention message } sources { id title url } } }"
)

SET_CHANNEL_CONSENT = (
    "mutation SetChannelConsent($input: SetChannelConsentInput!)"
    " { setChannelConsent(input: $input) { customer { id reference personalDataVisible name"
    f" email phone country language timezone optedOutChannels }} {USER_ERRORS} }} }}"
)

# --- debtor portal links ---------------------------------------------------------------

PORTAL_LINK = (
    "fragment PortalLinkFields on PortalLink"
    " { id accountId customerId locale createdAt validUntil lastUsedAt revokedAt secondFactor }"
)

CREATE_PORTAL_LINK = (
    "mutation CreatePortalLink($input: CreatePortalLinkInput!) { createPortalLink(input: $input)"
    f" {{ url portalLink {{ ...PortalLinkFields }} {USER_ERRORS} }} }}\n" + PORTAL_LINK
)

REVOKE_PORTAL_LINK = (
    "mutation RevokePortalLink($input: RevokePortalLinkInput!) { revokePortalLink(input: $input)"
    f" {{ portalLink {{ ...PortalLinkFields }} {USER_ERRORS} }} }}\n" + PORTAL_LINK
)

PORTAL_PLAN_OFFERS_FIELDS = (
    "fragment PortalPlanOffersFields on PortalPlanOffers { creditorId cadences"
    f" minimumInstallment {MONEY} maxInstallments maxDays }}"
)

SET_PORTAL_PLAN_OFFERS = (
    "mutation SetPortalPlanOffers($input: SetPortalPlanOffersInput!)"
    " { setPortalPlanOffers(input: $input)"
    f" {{ offers {{ ...PortalPlanOffersFields }} {USER_ERRORS} }} }}\n" + PORTAL_PLAN_OFFERS_FIELDS
)

PORTAL_PLAN_OFFERS = (
    "query PortalPlanOffers { portalPlanOffers { ...PortalPlanOffersFields } }\n"
    + PORTAL_PLAN_OFFERS_FIELDS
)

HELP_CONTACT_FIELDS = "fragment HelpContactFields on HelpContact { email phone hours }"

SET_HELP_CONTACT = (
    "mutation SetHelpContact($input: SetHelpContactInput!) { setHelpContact(input: $input)"
    f" {{ helpContact {{ ...HelpContactFields }} {USER_ERRORS} }} }}\n" + HELP_CONTACT_FIELDS
)

HELP_CONTACT = "query HelpContact { helpContact { ...HelpContactFields } }\n" + HELP_CONTACT_FIELDS
PORTAL_BRANDING_FIELDS = (
    "fragment PortalBrandingFields on PortalBranding { displayName primaryColor accentColor }"
)
SET_PORTAL_BRANDING = (
    "mutation SetPortalBranding($input: SetPortalBrandingInput!) {"
    " setPortalBranding(input: $input)"
    f" {{ branding {{ ...PortalBrandingFields }} {USER_ERRORS} }} }}\n" + PORTAL_BRANDING_FIELDS
)
PORTAL_BRANDING = (
    "query PortalBranding { portalBranding { ...PortalBrandingFields } }\n" + PORTAL_BRANDING_FIELDS
)

SEND_TEST_EVENT = (
    "mutation SendTestEvent($input: SendTestEventInput!)"
    f" {{ sendTestEvent(input: $input) {{ eventId {USER_ERRORS} }} }}"
)

SANDBOX_SCENARIOS = "query SandboxScenarios { sandboxScenarios { name description events } }"
ADVANCE_TEST_ACCOUNT = (
    "mutation AdvanceTestAccount($input: AdvanceTestAccountInput!)"
    " { advanceTestAccount(input: $input)"
    f" {{ account {{ ...AccountFields }} changed steps message {USER_ERRORS} }} }}\n" + ACCOUNT
)

CONFIRM_SANDBOX_PAYMENT = (
    "mutation ConfirmSandboxPayment($input: ConfirmSandboxPaymentInput!)"
    " { confirmSandboxPayment(input: $input)"
    f" {{ payment {{ ...PaymentFields }} changed {USER_ERRORS} }} }}\n" + PAYMENT
)

DELETE_SANDBOX_DATA = (
    "mutation DeleteSandboxData($input: DeleteSandboxDataInput!)"
    " { deleteSandboxData(input: $input)"
    f" {{ deletedAccounts deletedEvents deletedDeliveries deletedCustomers {USER_ERRORS} }} }}"
)

TEST_CLOCK_FIELDS = "id name status frozenTime advancingTo"
CREATE_TEST_CLOCK = (
    "mutation CreateTestClock($input: CreateTestClockInput!) { createTestClock(input: $input)"
    f" {{ testClock {{ {TEST_CLOCK_FIELDS} }} {USER_ERRORS} }} }}"
)
ADVANCE_TEST_CLOCK = (
    "mutation AdvanceTestClock($input: AdvanceTestClockInput!) { advanceTestClock(input: $input)"
    f" {{ testClock {{ {TEST_CLOCK_FIELDS} }} {USER_ERRORS} }} }}"
)
DELETE_TEST_CLOCK = (
    "mutation DeleteTestClock($input: DeleteTestClockInput!) { deleteTestClock(input: $input)"
    f" {{ deleted {USER_ERRORS} }} }}"
)
TEST_CLOCK = f"query TestClock($id: ID!) {{ testClock(id: $id) {{ {TEST_CLOCK_FIELDS} }} }}"

# Sent over graphql-transport-ws, not POST /graphql; validated only once the hub has it.
SUBSCRIPTIONS = {"ORGANIZATION_EVENTS": ORGANIZATION_EVENTS, "ACCOUNT_EVENTS": ACCOUNT_EVENTS}

OPERATIONS = {
    name: value
    for name, value in globals().items()
    if name.isupper()
    and isinstance(value, str)
    and value.lstrip().startswith(("query", "mutation"))
}
