"""Contact attempts: the agency reports every contact; outbound ones must be allowed by the
compliance rules in force at their moment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.collection_state import Item
from hub.domain.vocabulary import ContactChannel, ContactDirection, ContactOutcome
from hub.services import compliance
from hub.services.account_changes import Applied, change_account
from hub.services.context import ServiceContext
from hub.store.accounts import Loaded
from hub.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class LogContactAttempt:
    account_id: str
    channel: ContactChannel
    direction: ContactDirection
    outcome: ContactOutcome
    occurred_at: dt.datetime


async def log_contact_attempt(
    ctx: ServiceContext,
    principal: Principal,
    account_id: str,
    *,
    channel: ContactChannel,
    direction: ContactDirection,
    outcome: ContactOutcome,
    occurred_at: dt.datetime,
    idempotency_key: str | None = None,
) -> Applied:
    """Record a contact. The first one starts collection (ACKNOWLEDGED → IN_COLLECTION).

    Outbound contact must be allowed by the compliance rules in force at ``occurred_at``
    (``CONTACT_NOT_PERMITTED``, one problem per refusing rule: disputes, holds, opt-outs,
    hours, rest days, frequency) and comes after the acknowledgement; the rule pack that
    allowed it is kept with it. Inbound contact is always recorded.
    """
    command = LogContactAttempt(account_id, channel, direction, outcome, occurred_at)

    async def move(uow: UnitOfWork, loaded: Loaded, now: dt.datetime) -> Item:
        collection = loaded.collection
        decision = None
        if collection.check_contact(command.direction, command.occurred_at, now):
            context = await compliance.contact_context(ctx, uow, collection, command.occurred_at)
            decision = ctx.rules().evaluate(context, command.channel, command.occurred_at)
        return collection.log_contact(
            channel=command.channel,
            direction=command.direction,
            outcome=command.outcome,
            occurred_at=command.occurred_at,
            now=now,
            decision=decision,
        )

    return await change_account(ctx, principal, command, idempotency_key, command.account_id, move)
