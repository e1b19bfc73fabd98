"""The write tools, only with ``--allow-write``: a preview per action, and one commit.

Every write is two steps. ``evenly_preview_<action>`` checks the arguments, reads what the
action would change (the account as it is now), and returns what would happen with a
confirmation token bound to exactly those arguments (``confirmation``). Nothing is written.
``evenly_commit`` takes the action, the same arguments and the token: it refuses a token
that is wrong, of other arguments, or expired, and otherwise runs the action with an
idempotency key derived from the token, so a retried commit never acts twice (the hub
answers a repeated key with the first result). The process also remembers the tokens it
committed and answers a repeat with the first result, which covers ``replay_events`` (the
hub's replay takes no key).

Creditors get the creditor's actions, agencies the collection moves (``kinds``); the hub
checks the API client's scopes on every commit, whatever the server allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from evenly._exceptions import EvenlyError, InvalidRequestError
from evenly._models import NewAccount
from evenly.mcp_server._context import ToolContext
from evenly.mcp_server.confirmation import ConfirmationError, Confirmations

__all__ = ["WRITE_ACTIONS", "WriteAction", "WriteTools", "new_account"]

Arguments = dict[str, Any]
Run = Callable[[ToolContext, Arguments, str], Awaitable[Any]]


@dataclass(frozen=True)
class WriteAction:
    """One action: what it does, who may, and how it runs on the SDK."""

    name: str
    effect: str
    kind: str  # CREDITOR or AGENCY
    scope: str
    run: Run
    destructive: bool = False


async def _place(ctx: ToolContext, args: Arguments, key: str) -> Any:
    account = new_account(args)
    return await ctx.client.accounts.place(
        reference=account.reference,
        customer=account.customer,
        original_amount=account.original_amount,
        balance=account.balance,
        due_date=account.due_date,
        product=account.product,
        idempotency_key=key,
    )


def new_account(args: Arguments) -> NewAccount:
    """The account a ``place_account`` preview describes (raises ``ValidationError``)."""
    customer = {
        "reference": args["customer_reference"],
        "name": args["customer_name"],
        "country": args["customer_country"],
        "email": args.get("customer_email"),
        "phone": args.get("customer_phone"),
    }
    money = {"currency": args["currency"]}
    return NewAccount.model_validate(
        {
            "reference": args["reference"],
            "customer": customer,
            "original_amount": {**money, "amount_minor": args["original_amount_minor"]},
            "balance": {**money, "amount_minor": args["balance_minor"]},
            "due_date": args["due_date"],
            "product": args.get("product", "BNPL_INVOICE"),
        }
    )


def _sdk(path: str, id_field: str, *money_fields: str) -> Run:
    """An action calling ``client.<path>(<id_field>, **rest, idempotency_key=key)``; each
    ``<field>_minor`` with ``currency`` becomes the money argument ``<field>``."""

    async def run(ctx: ToolContext, args: Arguments, key: str) -> Any:
        values = dict(args)
        first = values.pop(id_field)
        currency = values.pop("currency", None)
        for field in money_fields:
            minor = values.pop(f"{field}_minor", None)
            if minor is not None:
                values[field] = {"amount_minor": minor, "currency": currency}
        target: Any = ctx.client
        for part in path.split("."):
            target = getattr(target, part)
        return await target(first, **values, idempotency_key=key)

    return run


async def _replay(ctx: ToolContext, args: Arguments, key: str) -> Any:
    del key  # the hub's replay takes no idempotency key: the commit memory guards it
    return {
        "queued_count": await ctx.client.webhook_endpoints.replay(
            args["endpoint_id"], event_ids=args["event_ids"]
        )
    }


CREDITOR, AGENCY = "CREDITOR", "AGENCY"
WRITE_ACTIONS: dict[str, WriteAction] = {
    a.name: a
    for a in (
        WriteAction("place_account", "place this account in collection", CREDITOR,
                    "accounts:write", _place),
        WriteAction("recall_account", "take the account back from collection (RECALLED)",
                    CREDITOR, "accounts:write", _sdk("accounts.recall", "account_id"), destructive=True),
        WriteAction("adjust_balance", "change the balance by the signed amount", CREDITOR,
                    "accounts:write", _sdk("accounts.adjust_balance", "account_id", "amount"),
                    destructive=True),
        WriteAction("report_direct_payment", "record a payment the creditor received itself",
                    CREDITOR, "accounts:write", _sdk("payments.report_direct", "account_id", "amount")),
        WriteAction("record_customer_return", "record that a rehabilitated customer returned",
                    CREDITOR, "accounts:write", _sdk("customers.record_return", "customer_id")),
        WriteAction("replay_events", "deliver these events to the endpoint again", CREDITOR,
                    "webhooks:manage", _replay),
        WriteAction("acknowledge_placement", "acknowledge the assignment (ACKNOWLEDGED)",
                    AGENCY, "agency:write", _sdk("agency.acknowledge", "account_id")),
        WriteAction("log_contact_attempt", "log a contact with the debtor", AGENCY,
                    "agency:write", _sdk("agency.log_contact", "account_id")),
        WriteAction("create_payment_plan", "agree a payment plan", AGENCY, "agency:write",
                    _sdk("agency.create_payment_plan", "account_id", "installment_amount")),
        WriteAction("record_payment", "record a payment the agency collected", AGENCY,
                    "agency:write", _sdk("agency.record_payment", "account_id", "amount")),
        WriteAction("open_dispute", "open a dispute (collection pauses)", AGENCY,
                    "agency:write", _sdk("agency.open_dispute", "account_id")),
        WriteAction("resolve_dispute", "resolve the dispute", AGENCY, "agency:write",
                    _sdk("agency.resolve_dispute", "dispute_id")),
        WriteAction("place_on_hold", "put collection on hold", AGENCY, "agency:write",
                    _sdk("agency.place_on_hold", "account_id")),
        WriteAction("release_hold", "end the hold", AGENCY, "agency:write",
                    _sdk("agency.release_hold", "hold_id")),
        WriteAction("close_account", "close the account (PAID, SETTLED, UNCOLLECTABLE, "
                    "RETURNED)", AGENCY, "agency:write",
                    _sdk("agency.close", "account_id", "settlement_amount"), destructive=True),
    )
}  # fmt: skip


class WriteTools:
    """Previews and the commit of one server process."""

    def __init__(self, ctx: ToolContext, confirmations: Confirmations, scopes: set[str]) -> None:
        self.ctx = ctx
        self.confirmations = confirmations
        self.scopes = scopes
        # Results of committed tokens, answered again to a repeat; a token past its expiry is
        # refused before this is read, so its entry goes at the next commit.
        self._committed: dict[str, dict[str, Any]] = {}

    async def preview(self, action: WriteAction, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """What ``action`` would do with ``arguments``, and the token to commit it."""
        args = _canonical(arguments)
        if action.scope not in self.scopes:
            raise EvenlyError(f"this API client lacks the scope {action.scope}", code="FORBIDDEN")
        would: dict[str, Any] = {"effect": action.effect}
        if action.name == "place_account":
            try:
                would["account"] = self.ctx.show(new_account(dict(args)))
            except ValidationError as error:
                raise InvalidRequestError(_first_problem(error), code="INVALID_INPUT") from error
        elif "account_id" in args:
            would["account_now"] = self.ctx.show(
                await self.ctx.client.accounts.get(args["account_id"])
            )
        token, expiry = self.confirmations.issue(action.name, args)
        return {
            "action": action.name,
            "arguments": args,
            "would": would,
            "confirmation_token": token,
            "expires_at": dt.datetime.fromtimestamp(expiry, dt.UTC).isoformat(),
            "next": "Show this to the user; only after they confirm, call evenly_commit with "
            "this action, these arguments and confirmation_token.",
        }

    async def commit(
        self, action_name: str, arguments: Mapping[str, Any], token: str
    ) -> dict[str, Any]:
        """Run a previewed action once, if ``token`` confirms exactly these arguments."""
        action = WRITE_ACTIONS.get(action_name)
        if action is None:
            raise ConfirmationError("UNKNOWN_ACTION", f"no write action {action_name!r}")
        args = _canonical(arguments)
        self.confirmations.check(token, action.name, args)
        self._forget_expired()
        if token in self._committed:
            return {**self._committed[token], "repeated": True}
        key = self.confirmations.idempotency_key(token)
        result = await action.run(self.ctx, dict(args), key)
        done = {"action": action.name, "result": self.ctx.show(result), "repeated": False}
        self._committed[token] = done
        return done

    def remembered(self) -> list[str]:
        """The committed tokens whose results a repeat would get."""
        return list(self._committed)

    def _forget_expired(self) -> None:
        for token in [t for t in self._committed if self.confirmations.expired(t)]:
            del self._committed[token]


def _canonical(arguments: Mapping[str, Any]) -> Arguments:
    """The arguments as the token signs them: JSON values, the unset ones left out."""
    return {
        k: (v.value if hasattr(v, "value") else v)
        for k, v in sorted(arguments.items())
        if v is not None
    }


def _first_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
