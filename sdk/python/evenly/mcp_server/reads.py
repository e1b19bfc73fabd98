"""The read-only tools: accounts, their timeline, events, deliveries, rehabilitated
customers, performance, portfolio, contact permission and rule packs.

Each returns JSON (``structuredContent``) built from the SDK's models; list tools return at
most ``MAX_ITEMS`` items and the cursor to go on from.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from evenly._models import ContactChannel, DeliveryStatus
from evenly.mcp_server._context import MAX_ITEMS, ToolContext, ToolSpec, instant

__all__ = ["read_tools"]

Limit = Annotated[int, Field(ge=1, le=MAX_ITEMS, description="At most this many items.")]
Instant = Annotated[str, Field(description="RFC 3339 time, e.g. 2026-03-01T00:00:00Z.")]
AccountId = Annotated[str, Field(description="The account's id (acc_…).")]
Cursor = Annotated[
    str | None, Field(description="Go on after this cursor or event id (evt_…), from `next`.")
]


def read_tools(ctx: ToolContext) -> list[ToolSpec]:
    """The read tools of a server, bound to its client."""
    sdk = ctx.client

    async def whoami() -> dict[str, Any]:
        """The API client this server acts as: its organization, kind and scopes."""
        return {"viewer": ctx.show(await sdk.viewer())}

    async def search_accounts(
        status: Annotated[list[str] | None, Field(description="Only these statuses.")] = None,
        country: Annotated[str | None, Field(description="ISO 3166-1 alpha-2.")] = None,
        reference: Annotated[str | None, Field(description="Exactly this reference.")] = None,
        placed_after: Instant | None = None,
        placed_before: Instant | None = None,
        limit: Limit = 20,
    ) -> dict[str, Any]:
        found = sdk.accounts.list(
            status=status,
            country=country,
            reference=reference,
            placed_after=instant(placed_after),
            placed_before=instant(placed_before),
            limit=limit,
        )
        return {"accounts": ctx.show(await found.to_list())}

    async def get_account(
        account_id: Annotated[str | None, Field(description="The account's id.")] = None,
        reference: Annotated[str | None, Field(description="Or your reference.")] = None,
    ) -> dict[str, Any]:
        return {"account": ctx.show(await sdk.accounts.get(account_id, reference=reference))}

    async def account_timeline(
        account_id: AccountId, after: Cursor = None, limit: Limit = 20
    ) -> dict[str, Any]:
        pages = sdk.events.timeline(account_id, after=after, limit=limit)
        events = await pages.to_list()
        return {"events": ctx.show(events), "next": pages.cursor}

    async def list_events(
        after: Cursor = None,
        types: Annotated[list[str] | None, Field(description="e.g. account.placed")] = None,
        from_now: Annotated[
            bool, Field(description="Return no events, only the cursor of now, to poll from.")
        ] = False,
        limit: Limit = 20,
    ) -> dict[str, Any]:
        if from_now:
            return {"events": [], "next": await sdk.events.latest_cursor()}
        pages = sdk.events.list(after=after, types=types, limit=limit)
        events = await pages.to_list()
        return {"events": ctx.show(events), "next": pages.cursor}

    async def list_webhook_endpoints() -> dict[str, Any]:
        return {"endpoints": ctx.show(await sdk.webhook_endpoints.list().to_list())}

    async def list_deliveries(
        endpoint_id: Annotated[str, Field(description="The endpoint's id.")],
        status: Annotated[DeliveryStatus | None, Field(description="Only this status.")] = None,
        limit: Limit = 20,
    ) -> dict[str, Any]:
        found = sdk.webhook_endpoints.deliveries(endpoint_id, status=status, limit=limit)
        return {"deliveries": ctx.show(await found.to_list())}

    async def rehabilitated_customers(
        since: Instant | None = None, limit: Limit = 20
    ) -> dict[str, Any]:
        found = sdk.rehabilitation.list(since=instant(since), limit=limit)
        return {"rehabilitated": ctx.show(await found.to_list())}

    async def agency_performance(
        start: Instant, end: Instant, country: str | None = None
    ) -> dict[str, Any]:
        found = await sdk.performance.by_agency(start=start, end=end, country=country)
        return {"agencies": ctx.show(found)}

    async def portfolio_status(
        start: Instant | None = None, end: Instant | None = None
    ) -> dict[str, Any]:
        return {"portfolio": ctx.show(await sdk.performance.portfolio(start=start, end=end))}

    async def contact_permission(
        account_id: AccountId,
        channel: ContactChannel,
        at: Annotated[str | None, Field(description="RFC 3339; now when omitted.")] = None,
    ) -> dict[str, Any]:
        answer = await sdk.compliance.contact_permission(account_id, channel=channel, at=at)
        return {"permission": ctx.show(answer)}

    async def compliance_report(account_id: AccountId) -> dict[str, Any]:
        return {"contacts": ctx.show(await sdk.compliance.report(account_id))}

    async def rule_packs(
        jurisdiction: Annotated[str | None, Field(description="ISO country code.")] = None,
    ) -> dict[str, Any]:
        return {"rule_packs": ctx.show(await sdk.compliance.rule_packs(jurisdiction=jurisdiction))}

    creditor = frozenset({"CREDITOR"})
    return [
        ToolSpec(
            "evenly_whoami", whoami, "Who this server acts as: organization and scopes.", True
        ),
        ToolSpec(
            "evenly_search_accounts",
            search_accounts,
            "Search your accounts (newest first) by status, country, reference or placement time.",
            True,
        ),
        ToolSpec("evenly_get_account", get_account, "One account by id or reference.", True),
        ToolSpec(
            "evenly_account_timeline",
            account_timeline,
            "One account's events, oldest first: its history.",
            True,
        ),
        ToolSpec(
            "evenly_list_events",
            list_events,
            "Your organization's events in feed order, after a cursor; `from_now` gives the "
            "cursor of now.",
            True,
        ),
        ToolSpec(
            "evenly_list_webhook_endpoints",
            list_webhook_endpoints,
            "Your webhook endpoints.",
            True,
        ),
        ToolSpec(
            "evenly_list_deliveries",
            list_deliveries,
            "An endpoint's webhook deliveries, newest first, with every attempt.",
            True,
        ),
        ToolSpec(
            "evenly_rehabilitated_customers",
            rehabilitated_customers,
            "Customers who paid, newest first, with how (creditors).",
            True,
            kinds=creditor,
        ),
        ToolSpec(
            "evenly_agency_performance",
            agency_performance,
            "Per agency: recovery rate, days to first payment, disputes, returns (creditors).",
            True,
            kinds=creditor,
        ),
        ToolSpec(
            "evenly_portfolio_status",
            portfolio_status,
            "Accounts by state, what is outstanding and payments, per counterparty.",
            True,
        ),
        ToolSpec(
            "evenly_contact_permission",
            contact_permission,
            "May this account's debtor be contacted on a channel now (or at a time)? Why not, "
            "and when next.",
            True,
        ),
        ToolSpec(
            "evenly_compliance_report",
            compliance_report,
            "Every contact of an account with the rule pack version that allowed it.",
            True,
        ),
        ToolSpec(
            "evenly_rule_packs",
            rule_packs,
            "The contact rule packs the hub holds, by jurisdiction and version.",
            True,
        ),
    ]
