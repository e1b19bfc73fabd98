"""Changing one account: load it with what the change needs, let the domain decide, save.

Every agency and creditor move on an account is a ``change_account`` call: the caller's
account (or the account of the payment, dispute, hold or rehabilitation the move is about)
is loaded as a ``CollectionAccount`` in one query; the use case's ``change`` calls the
aggregate (which refuses with stable codes); the changed account, its items and its events
(with their outbox rows) are saved at once, checked against the version read. A concurrent
change of the same account makes the whole use case run again on fresh state.

Idempotency: a move made with a key records its result with the change; the same key and
request returns that result as things are now, a different request is refused.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain import payloads
from hub.domain.account import Account
from hub.domain.collection_state import Item, ItemKind
from hub.domain.errors import DomainError
from hub.services import idempotency
from hub.services.context import ServiceContext
from hub.store.accounts import Loaded, Target
from hub.store.unit_of_work import UnitOfWork
from hub.store.writes import WriteConflict

_T = TypeVar("_T")
_WRITE_ATTEMPTS = 6
#: The longest first pause before a retry; it doubles with each attempt (at most ~0.3 s in all).
_RETRY_PAUSE_SECONDS = 0.005

#: What a change calls its items in the result it keeps with an idempotency key.
_RESULT_KEYS: dict[ItemKind, str] = {
    ItemKind.PAYMENT: "payment_id",
    ItemKind.PLAN: "payment_plan_id",
    ItemKind.DISPUTE: "dispute_id",
    ItemKind.HOLD: "hold_id",
    ItemKind.CONTACT: "contact_attempt_id",
    ItemKind.REHABILITATION: "rehabilitation_id",
}


def result_key(kind: ItemKind) -> str:
    """The name of an item's id in a change's result."""
    return _RESULT_KEYS[kind]


_MISSING = {
    None: ("no such account", "accountId"),
    Target.PAYMENT: ("no such payment", "paymentId"),
    Target.DISPUTE: ("no such dispute", "disputeId"),
    Target.HOLD: ("no such hold", "holdId"),
}

#: A use case's move: it gets the loaded account and the moment, calls the aggregate, and
#: returns the item the caller asked about (created or changed), if any.
Move = Callable[[UnitOfWork, Loaded, dt.datetime], Awaitable[Item | None]]


@dataclass(frozen=True)
class Applied:
    """The account after a change and what the change was about."""

    account: Account
    #: The item created or changed (None for a replay: read it by ``result``).
    item: Item | None
    #: The ids of what the change was about, as kept with an idempotency key.
    result: Mapping[str, str] = field(default_factory=dict)
    replayed: bool = False


class _VersionConflict(Exception):
    """The account changed between read and write; the whole use case runs again."""


async def retrying(ctx: ServiceContext, attempt: Callable[[], Awaitable[_T]]) -> _T:
    """Run ``attempt`` until no concurrent writer gets in its way: a changed version or a
    lost uniqueness race runs it again on fresh state (whose reads then see the winner's
    rows). Retries wait a random few milliseconds, longer each time, so writers racing for
    one account spread out; an account that changes under every attempt is
    ``CONCURRENT_CHANGE``."""
    for number in range(_WRITE_ATTEMPTS):
        try:
            return await attempt()
        except _VersionConflict as error:
            if number == _WRITE_ATTEMPTS - 1:
                raise DomainError.of(
                    "CONCURRENT_CHANGE",
                    "the account kept changing while this was written; try again",
                    "accountId",
                ) from error
        except WriteConflict:
            if number == _WRITE_ATTEMPTS - 1:
                raise
        await asyncio.sleep(random.uniform(0, _RETRY_PAUSE_SECONDS * 2**number))
    raise AssertionError("unreachable")


def not_found(target: Target | None = None) -> DomainError:
    message, field_ = _MISSING.get(target, _MISSING[None])
    return DomainError.of("NOT_FOUND", message, field_)


async def change_account(
    ctx: ServiceContext,
    principal: Principal,
    command: Any,
    idempotency_key: str | None,
    id_: str,
    move: Move,
    *,
    operation: str | None = None,
    target: Target | None = None,
) -> Applied:
    """Load the caller's account ``id_`` (or the account of the ``target`` item ``id_``),
    apply ``move`` and save the change with its events, atomically. ``command`` is the
    use case's input (its fingerprint guards the idempotency key); ``operation`` names it
    (the command's own name by default)."""
    name = operation or idempotency.operation_of(command)
    fingerprint = (
        idempotency.fingerprint(ctx.request_hasher, name, command) if idempotency_key else ""
    )

    async def attempt() -> Applied:
        async with ctx.store.change() as uow:
            if idempotency_key:
                replay = await _replay(ctx, uow, principal, name, fingerprint, idempotency_key)
                if replay is not None:
                    return replay
            loaded = await uow.accounts.load(principal, id_, target)
            if loaded is None:
                raise not_found(target)
            now = await account_now(ctx, uow, loaded)
            item = await move(uow, loaded, now)
            return await _save(
                uow, principal, loaded, item, now, name, fingerprint, idempotency_key
            )

    return await retrying(ctx, attempt)


async def account_now(ctx: ServiceContext, uow: UnitOfWork, loaded: Loaded) -> dt.datetime:
    """The account's now: its test clock's time if it lives on one (read on the change's
    own connection), else the context's clock. An account on no clock costs no read."""
    if ctx.account_time or loaded.test_clock_id is None:
        return ctx.clock()
    return await ctx.test_clock_time(uow, loaded.test_clock_id) or ctx.clock()


async def _replay(
    ctx: ServiceContext,
    uow: UnitOfWork,
    principal: Principal,
    operation: str,
    fingerprint: str,
    key: str,
) -> Applied | None:
    stored = await uow.idempotency.find(principal.organization_id, key)
    if stored is None:
        return None
    if not idempotency.same_request(ctx.request_hasher, stored, operation, fingerprint):
        raise DomainError((idempotency.reused_problem(),))
    account = await uow.accounts.get(principal, stored.result["account_id"])
    if account is None:
        raise not_found()
    return Applied(account, None, stored.result, replayed=True)


async def save_change(
    uow: UnitOfWork,
    loaded: Loaded,
    now: dt.datetime,
    inserts: Sequence[tuple[Any, Mapping[str, Any]]] = (),
) -> Account:
    """Save a changed aggregate with the events it recorded (see ``Accounts.save``); a
    concurrent change of the account makes the use case run again (``retrying``)."""
    collection = loaded.collection
    rows = payloads.account_event_rows(
        collection.account, collection.account.version + 1, collection.events, now
    )
    account = await uow.accounts.save(loaded, rows, now, inserts=inserts)
    if account is None:
        raise _VersionConflict()
    return account


async def _save(
    uow: UnitOfWork,
    principal: Principal,
    loaded: Loaded,
    item: Item | None,
    now: dt.datetime,
    operation: str,
    fingerprint: str,
    key: str | None,
) -> Applied:
    collection = loaded.collection
    result = {"account_id": collection.account.id}
    for written in (loaded.target, *collection.written.values()):
        if written is not None and (written is loaded.target or written.id not in loaded.read):
            kind = ItemKind.of_id(written.id)
            assert kind is not None
            result[_RESULT_KEYS[kind]] = written.id
    inserts = []
    if key:
        new = idempotency.new_key(principal.organization_id, key, operation, fingerprint, now)
        inserts.append(uow.idempotency.insert_of(new, result))
    account = await save_change(uow, loaded, now, inserts)
    return Applied(account, item, result)


async def system_change(
    ctx: ServiceContext,
    agency_id: str | None,
    id_: str,
    now: dt.datetime,
    move: Move,
    target: Target | None = None,
) -> bool:
    """A change the hub makes itself at ``now``, acting for the account's agency (a plan
    broken, a hold expired); False if moot (the account changed meanwhile, or has none)."""
    if agency_id is None:
        return False
    system = Principal(
        client_id="hub", organization_id=agency_id, kind=OrganizationKind.AGENCY, scopes=frozenset()
    )
    try:
        await change_account(
            dataclasses.replace(ctx, clock=lambda: now, account_time=True),
            system,
            None,
            None,
            id_,
            move,
            operation="sweep",
            target=target,
        )
    except DomainError:
        return False
    return True
