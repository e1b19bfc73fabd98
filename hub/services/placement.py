"""Placing accounts: a creditor sends 1-500 accounts to collection at once.

Each item succeeds or fails on its own; good items are committed together in one
transaction, bad items are reported by index and write nothing. A placement is routed to
an agency by the creditor's routing rules (``account.placed``, then ``account.assigned``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.auth.tokens import Principal
from hub.domain import events as E
from hub.domain import payloads
from hub.domain.account import Account
from hub.domain.customer import Customer
from hub.domain.errors import DomainError, Problem
from hub.domain.organization import Organization
from hub.domain.placement import MAX_BATCH, Placement, normalize_placement, validate_placement
from hub.domain.sandbox import tag_problems
from hub.domain.sandbox_scenarios import scenario_problems
from hub.domain.test_clocks import clock_problems
from hub.services import idempotency
from hub.services.account_changes import retrying
from hub.services.context import ServiceContext
from hub.store.placements import NotInOneStatement, Placed, ReferenceTaken
from hub.store.unit_of_work import UnitOfWork
from hub.store.writes import Write

_OPERATION = "placeAccount"


@dataclass
class PlacementOutcome:
    """What happened to one placement: the account, or the problems that stopped it."""

    account: Account | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    replayed: bool = False
    #: The customer as placed (plaintext), so callers can show it without reading it back.
    customer: Customer | None = None


@dataclass
class _Batch:
    """A batch being placed: what was sent, in normal form, and what became of each item."""

    sent: Sequence[Placement]
    placements: list[Placement]
    outcomes: list[PlacementOutcome]
    hashes: dict[int, str] = field(default_factory=dict)
    #: index -> account id placed by the first request with the same key
    replay_of: dict[int, str] = field(default_factory=dict)
    #: index -> earlier index in this batch with the same key
    same_as: dict[int, int] = field(default_factory=dict)


async def place_accounts(
    ctx: ServiceContext, principal: Principal, placements: Sequence[Placement]
) -> list[PlacementOutcome]:
    """Place 1-500 accounts; each item succeeds or fails on its own, in one transaction."""
    if not 1 <= len(placements) <= MAX_BATCH:
        raise DomainError.of(
            "BATCH_SIZE_OUT_OF_RANGE", f"a batch holds 1 to {MAX_BATCH} accounts", "items"
        )
    if not principal.is_creditor:
        raise DomainError.of("CREDITOR_ONLY", "only a creditor places accounts")
    # The first attempt inserts straight away and lets the unique index find duplicate
    # references; if it finds any, the transaction is rolled back (so nothing, not even a
    # customer update, is written for them) and the next attempt checks references first.
    check_first = False
    # On PostgreSQL a single placement is read, then written in one statement that commits
    # on its own (two round trips, no BEGIN or COMMIT); if that cannot be (a split rule, a
    # reference taken, a customer placed meanwhile), nothing was written and it is placed
    # in a transaction as a batch is.
    # A placement giving the customer's knowledge (``customer_knowledge``) takes the
    # transaction too: the one statement writes the customer and the account only.
    in_one = (
        len(placements) == 1
        and ctx.store.db.dialect.writes_in_one_statement
        and placements[0].customer.date_of_birth is None
        and placements[0].customer.postcode is None
    )

    async def attempt() -> list[PlacementOutcome]:
        nonlocal check_first
        if in_one and not check_first:
            try:
                async with ctx.store.change() as uow:
                    return await _place(ctx, uow, principal, placements, False, in_one=True)
            except NotInOneStatement:
                pass
        try:
            async with ctx.store.transaction() as uow:
                return await _place(ctx, uow, principal, placements, check_first)
        except ReferenceTaken:
            check_first = True
            raise

    return await retrying(ctx, attempt)


async def _clock_times(
    uow: UnitOfWork, principal: Principal, sent: Sequence[Placement]
) -> dict[str, dt.datetime]:
    """The time of each (live, own) test clock the placements name."""
    ids = {p.test_clock_id for p in sent if p.test_clock_id is not None}
    if not ids:
        return {}
    found = await uow.sandbox_clocks.get_many(principal.organization_id, sorted(ids))
    return {clock_id: clock.frozen_time for clock_id, clock in found.items()}


def _request_payload(p: Placement) -> dict[str, Any]:
    payload = dataclasses.asdict(p)
    payload.pop("idempotency_key")
    for name in ("sandbox_tag", "test_clock_id"):  # the fingerprint without them is unchanged
        if payload[name] is None:
            payload.pop(name)
    for name in ("date_of_birth", "postcode"):  # likewise for the customer's knowledge
        if payload["customer"][name] is None:
            payload["customer"].pop(name)
    return payload


def _duplicate(reference: str) -> Problem:
    return Problem(
        "DUPLICATE_REFERENCE",
        f"an account with reference {reference!r} was already placed",
        ("reference",),
    )


async def _place(
    ctx: ServiceContext,
    uow: UnitOfWork,
    principal: Principal,
    sent: Sequence[Placement],
    check_first: bool,
    in_one: bool = False,
) -> list[PlacementOutcome]:
    now = ctx.clock()
    # References are kept and compared in normal form; the idempotency hash covers the
    # request as sent, so a retry is recognised by what the client sends again.
    batch = _Batch(
        sent,
        [normalize_placement(p) for p in sent],
        [PlacementOutcome(problems=validate_placement(p, now.date())) for p in sent],
    )
    sandbox = (await _creditor(ctx, uow, principal)).sandbox
    clocks = await _clock_times(uow, principal, sent)
    for p, outcome in zip(sent, batch.outcomes, strict=True):
        if sandbox:
            outcome.problems += scenario_problems(p.metadata)
        outcome.problems += tag_problems(p.sandbox_tag, sandbox)
        outcome.problems += clock_problems(p.test_clock_id, sandbox, clocks)
    await _match_keys(ctx, uow, principal, batch)
    fresh = await _fresh(uow, principal, batch, check_first)
    # Accounts on a test clock are placed at its time: one insert per clock.
    by_clock: dict[str | None, list[int]] = {}
    for i in fresh:
        by_clock.setdefault(batch.placements[i].test_clock_id, []).append(i)
    for clock_id, group in by_clock.items():
        at = clocks.get(clock_id or "", now)
        await _insert(ctx, uow, principal, batch, group, at, in_one)
    if batch.replay_of:
        found = await uow.accounts.get_many(principal, list(set(batch.replay_of.values())))
        for i, account_id in batch.replay_of.items():
            batch.outcomes[i].account = found.get(account_id)
            batch.outcomes[i].replayed = True
    for i, earlier in batch.same_as.items():
        batch.outcomes[i] = dataclasses.replace(batch.outcomes[earlier], replayed=True)
    return batch.outcomes


async def _creditor(ctx: ServiceContext, uow: UnitOfWork, principal: Principal) -> Organization:
    """The placing creditor: organizations never change (a sandbox one stays one), so the
    process's copy serves, sparing each placement a round trip."""
    creditor = ctx.organizations.cached(principal.organization_id)
    if creditor is None:
        creditor = (await uow.organizations.get_many([principal.organization_id]))[
            principal.organization_id
        ]
        ctx.organizations.remember(creditor)
    return creditor


async def _match_keys(
    ctx: ServiceContext, uow: UnitOfWork, principal: Principal, batch: _Batch
) -> None:
    """Idempotency: replays return the first result; a changed request is refused.
    Metadata that is not valid JSON cannot be hashed: such a request was never stored."""
    keyed = {
        i: p.idempotency_key
        for i, p in enumerate(batch.sent)
        if p.idempotency_key
        and not any(problem.code == "INVALID_METADATA" for problem in batch.outcomes[i].problems)
    }
    if not keyed:
        return
    stored = await uow.idempotency.find_many(principal.organization_id, set(keyed.values()))
    first_index: dict[str, int] = {}
    for i, key in keyed.items():
        batch.hashes[i] = ctx.request_hasher(_OPERATION, _request_payload(batch.sent[i]))
        previous = stored.get(key)
        earlier = first_index.setdefault(key, i)
        outcome = batch.outcomes[i]
        if previous is not None:
            if ctx.request_hasher.matches(previous.request_hash, batch.hashes[i]):
                batch.replay_of[i] = previous.result["account_id"]
                outcome.problems.clear()
            else:
                outcome.problems.append(idempotency.reused_problem())
        elif earlier != i:
            if batch.hashes[earlier] == batch.hashes[i]:
                batch.same_as[i] = earlier
            else:
                outcome.problems.append(idempotency.reused_problem())


async def _fresh(
    uow: UnitOfWork, principal: Principal, batch: _Batch, check_first: bool
) -> list[int]:
    """The items to place: valid, not replays, their reference placed once per creditor
    (within the batch, and against stored accounts when ``check_first``)."""
    outcomes, placements = batch.outcomes, batch.placements
    fresh = [
        i
        for i, o in enumerate(outcomes)
        if not o.problems and i not in batch.replay_of and i not in batch.same_as
    ]
    seen: set[str] = set()
    for i in fresh:
        ref = placements[i].reference
        if ref in seen:
            outcomes[i].problems.append(_duplicate(ref))
        seen.add(ref)
    if seen and check_first:
        taken = await uow.placements.taken_references(principal.organization_id, seen)
        for i in fresh:
            if placements[i].reference in taken and not outcomes[i].problems:
                outcomes[i].problems.append(_duplicate(placements[i].reference))
    return [i for i in fresh if not outcomes[i].problems]


async def _insert(
    ctx: ServiceContext,
    uow: UnitOfWork,
    principal: Principal,
    batch: _Batch,
    fresh: list[int],
    now: dt.datetime,
    in_one: bool,
) -> None:
    org = principal.organization_id
    planned = None
    if in_one:
        planned = await uow.placements.plan_one(org, batch.placements[fresh[0]], now)
        placed = [planned.placed]
    else:
        placed = await uow.placements.insert(org, [batch.placements[i] for i in fresh], now)
    rows: list[dict[str, Any]] = []
    keys = []
    for i, done in zip(fresh, placed, strict=True):
        rows += _placement_events(done, now)
        if done.account.agency_id is None:
            batch.outcomes[i].warnings.append(
                Problem(
                    "ROUTING_NO_AGENCY",
                    "no routing rule matches this account; it stays unassigned",
                    (),
                )
            )
        batch.outcomes[i].account = done.account
        batch.outcomes[i].customer = done.customer
        key = batch.placements[i].idempotency_key
        if key:
            new = idempotency.new_key(org, key, _OPERATION, batch.hashes[i], now)
            keys.append(uow.idempotency.insert_of(new, {"account_id": done.account.id}))
    write = Write(inserts=[*keys, *uow.placements.counted(placed)], events=rows)
    if planned is None:
        await uow.dialect.write(uow.conn, write)
    else:
        batch.outcomes[fresh[0]].customer = await uow.placements.write_one(planned, write)


def _placement_events(placed: Placed, now: dt.datetime) -> list[dict[str, Any]]:
    """``account.placed`` (showing the account before routing), and ``account.assigned``
    when an agency took it; the agency sees the account's whole history, placement
    included."""
    account = placed.account
    agency = account.agency_id
    unrouted = dataclasses.replace(account, agency_id=None, version=1)
    rows = payloads.account_event_rows(unrouted, 1, [E.AccountPlaced()], now)
    if agency is not None:
        rows[0]["agency_id"] = agency
        assigned = E.AccountAssigned(agency, placed.experiment_id)
        rows += payloads.account_event_rows(account, 2, [assigned], now)
    return rows
