"""The preview tools, one per write action: typed arguments (the input schema an assistant
sees), all answered by ``WriteTools.preview``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from pydantic import Field

from evenly._models import (
    Cadence,
    CloseReason,
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    DisputeOutcome,
    DisputeReason,
    HoldReason,
    PaymentMethod,
    Product,
)
from evenly.mcp_server._context import ToolSpec
from evenly.mcp_server.writes import WRITE_ACTIONS, WriteTools

__all__ = ["preview_tools"]

AccountId = Annotated[str, Field(description="The account's id (acc_…).")]
Minor = Annotated[int, Field(description="Amount in minor units (öre, cents).")]
Currency = Annotated[str, Field(description="ISO 4217, e.g. SEK.")]
Instant = Annotated[str, Field(description="RFC 3339 time, e.g. 2026-03-01T09:30:00Z.")]
Day = Annotated[str, Field(description="A date, YYYY-MM-DD.")]
Note = Annotated[str | None, Field(description="Optional free text.")]


def preview_tools(writes: WriteTools) -> list[ToolSpec]:
    """One ``evenly_preview_<action>`` per action, for ``writes``."""
    p = writes.preview
    a = WRITE_ACTIONS

    async def place_account(
        reference: Annotated[str, Field(description="Your unique reference of the debt.")],
        customer_reference: str,
        customer_name: str,
        customer_country: Annotated[str, Field(description="ISO 3166-1 alpha-2.")],
        original_amount_minor: Minor,
        balance_minor: Minor,
        currency: Currency,
        due_date: Day,
        customer_email: str | None = None,
        customer_phone: Annotated[str | None, Field(description="E.164.")] = None,
        product: Product = Product.BNPL_INVOICE,
    ) -> dict[str, Any]:
        return await p(a["place_account"], _args(locals()))

    async def recall_account(account_id: AccountId, reason: Note = None) -> dict[str, Any]:
        return await p(a["recall_account"], _args(locals()))

    async def adjust_balance(
        account_id: AccountId,
        amount_minor: Annotated[int, Field(description="Signed: negative lowers the balance.")],
        currency: Currency,
        reason: str,
    ) -> dict[str, Any]:
        return await p(a["adjust_balance"], _args(locals()))

    async def report_direct_payment(
        account_id: AccountId,
        amount_minor: Minor,
        currency: Currency,
        method: PaymentMethod,
        received_at: Instant,
    ) -> dict[str, Any]:
        return await p(a["report_direct_payment"], _args(locals()))

    async def record_customer_return(
        customer_id: Annotated[str, Field(description="The customer's id (cus_…).")],
        returned_at: Instant,
        order_reference: str,
    ) -> dict[str, Any]:
        return await p(a["record_customer_return"], _args(locals()))

    async def replay_events(
        endpoint_id: str,
        event_ids: Annotated[list[str], Field(min_length=1, max_length=100)],
    ) -> dict[str, Any]:
        return await p(a["replay_events"], _args(locals()))

    async def acknowledge_placement(
        account_id: AccountId, agency_reference: Note = None
    ) -> dict[str, Any]:
        return await p(a["acknowledge_placement"], _args(locals()))

    async def log_contact_attempt(
        account_id: AccountId,
        channel: ContactChannel,
        direction: ContactDirection,
        outcome: ContactOutcome,
        occurred_at: Instant,
    ) -> dict[str, Any]:
        return await p(a["log_contact_attempt"], _args(locals()))

    async def create_payment_plan(
        account_id: AccountId,
        cadence: Cadence,
        start_date: Day,
        installment_amount_minor: Minor,
        currency: Currency,
    ) -> dict[str, Any]:
        return await p(a["create_payment_plan"], _args(locals()))

    async def record_payment(
        account_id: AccountId,
        amount_minor: Minor,
        currency: Currency,
        method: PaymentMethod,
        received_at: Instant,
        pending: bool = False,
    ) -> dict[str, Any]:
        return await p(a["record_payment"], _args(locals()))

    async def open_dispute(
        account_id: AccountId, reason: DisputeReason, details: Note = None
    ) -> dict[str, Any]:
        return await p(a["open_dispute"], _args(locals()))

    async def resolve_dispute(
        dispute_id: str, outcome: DisputeOutcome, notes: Note = None
    ) -> dict[str, Any]:
        return await p(a["resolve_dispute"], _args(locals()))

    async def place_on_hold(
        account_id: AccountId,
        reason: HoldReason,
        until: Annotated[str | None, Field(description="RFC 3339; open-ended if omitted.")] = None,
        notes: Note = None,
    ) -> dict[str, Any]:
        return await p(a["place_on_hold"], _args(locals()))

    async def release_hold(hold_id: str) -> dict[str, Any]:
        return await p(a["release_hold"], _args(locals()))

    async def close_account(
        account_id: AccountId,
        reason: CloseReason,
        settlement_amount_minor: Annotated[
            int | None, Field(description="For SETTLED: what was agreed, in minor units.")
        ] = None,
        currency: Currency | None = None,
    ) -> dict[str, Any]:
        return await p(a["close_account"], _args(locals()))

    functions: dict[str, Callable[..., Awaitable[dict[str, Any]]]] = {
        "place_account": place_account,
        "recall_account": recall_account,
        "adjust_balance": adjust_balance,
        "report_direct_payment": report_direct_payment,
        "record_customer_return": record_customer_return,
        "replay_events": replay_events,
        "acknowledge_placement": acknowledge_placement,
        "log_contact_attempt": log_contact_attempt,
        "create_payment_plan": create_payment_plan,
        "record_payment": record_payment,
        "open_dispute": open_dispute,
        "resolve_dispute": resolve_dispute,
        "place_on_hold": place_on_hold,
        "release_hold": release_hold,
        "close_account": close_account,
    }
    return [
        ToolSpec(
            f"evenly_preview_{name}",
            function,
            f"Preview: {a[name].effect}. Writes nothing; returns what would happen and a "
            "confirmation token for evenly_commit.",
            read_only=True,
            kinds=frozenset({a[name].kind}),
        )
        for name, function in functions.items()
    ]


def _args(values: dict[str, Any]) -> dict[str, Any]:
    """A preview's arguments from its ``locals()`` (which also hold the closure's ``p``, ``a``)."""
    return {k: v for k, v in values.items() if k not in ("p", "a")}
