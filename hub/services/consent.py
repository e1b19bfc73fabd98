"""Channel consent and contact hours: the customer accepts or refuses contact on a channel,
and says in which hours of the day they want to be contacted.

The creditor may set them for its customers, an agency for the customers of accounts
assigned to it (the portal acts as the collector). The customer's record and a
``customer.consent_changed`` event on each of their open accounts that the caller sees are
written in one transaction, so both sides learn of it; every such event carries the
customer's contact hours as they stand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.contact_hours import ContactHours
from hub.domain.customer import Customer
from hub.domain.errors import DomainError
from hub.domain.vocabulary import ContactChannel
from hub.services import idempotency
from hub.services.account_changes import retrying, save_change
from hub.services.context import ServiceContext
from hub.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class SetChannelConsent:
    customer_id: str
    channel: ContactChannel
    granted: bool


def _no_such_customer() -> DomainError:
    return DomainError.of("NOT_FOUND", "no such customer", "customerId")


async def set_channel_consent(
    ctx: ServiceContext,
    principal: Principal,
    customer_id: str,
    channel: ContactChannel,
    granted: bool,
    *,
    idempotency_key: str | None = None,
) -> Customer:
    """Record that the customer accepts (or refuses) contact on ``channel``."""
    command = SetChannelConsent(customer_id, channel, granted)
    operation = "setChannelConsent"
    fingerprint = idempotency.fingerprint(ctx.request_hasher, operation, command)

    async def attempt() -> None:
        async with ctx.store.transaction() as uow:
            org = principal.organization_id
            if idempotency_key:
                stored = await uow.idempotency.find(org, idempotency_key)
                if stored is not None:
                    if not idempotency.same_request(
                        ctx.request_hasher, stored, operation, fingerprint
                    ):
                        raise DomainError((idempotency.reused_problem(),))
                    return
            customer = await uow.customers.get_visible(principal, command.customer_id)
            if customer is None:
                raise _no_such_customer()
            now = ctx.clock()
            refused = set(customer.opted_out_channels)
            (refused.discard if command.granted else refused.add)(command.channel)
            opted_out = tuple(c for c in ContactChannel if c in refused)
            await uow.customers.set_opted_out(customer.id, opted_out, now)
            inserts = []
            if idempotency_key:
                new = idempotency.new_key(org, idempotency_key, operation, fingerprint, now)
                inserts.append(uow.idempotency.insert_of(new, {"customer_id": customer.id}))
            changed = dataclasses.replace(customer, opted_out_channels=opted_out)
            await _tell_accounts(uow, principal, changed, command.channel, command.granted, now)
            await uow.idempotency.save(inserts)

    await retrying(ctx, attempt)
    return await _customer(ctx, principal, command.customer_id)


async def set_contact_hours(
    ctx: ServiceContext, principal: Principal, customer_id: str, hours: ContactHours | None
) -> Customer:
    """Record the hours the customer wants to be contacted in (None: no preference);
    ``contactPermission`` refuses outbound contact outside them (``HUB-CONTACT-HOURS``)."""

    async def attempt() -> None:
        async with ctx.store.transaction() as uow:
            customer = await uow.customers.get_visible(principal, customer_id)
            if customer is None:
                raise _no_such_customer()
            now = ctx.clock()
            await uow.customers.set_contact_hours(customer.id, hours, now)
            changed = dataclasses.replace(customer, contact_hours=hours)
            await _tell_accounts(uow, principal, changed, None, None, now)

    await retrying(ctx, attempt)
    return await _customer(ctx, principal, customer_id)


async def _tell_accounts(
    uow: UnitOfWork,
    principal: Principal,
    customer: Customer,
    channel: ContactChannel | None,
    granted: bool | None,
    now: dt.datetime,
) -> None:
    """``customer.consent_changed`` on each open account of the customer the caller sees."""
    for account_id in await uow.accounts.open_of_customer(principal, customer.id):
        loaded = await uow.accounts.load(principal, account_id)
        assert loaded is not None
        loaded.collection.note_consent(
            customer.id, channel, granted, customer.opted_out_channels, customer.contact_hours
        )
        await save_change(uow, loaded, now)


async def _customer(ctx: ServiceContext, principal: Principal, customer_id: str) -> Customer:
    async with ctx.store.read() as uow:
        customer = await uow.customers.get_visible(principal, customer_id)
    if customer is None:
        raise _no_such_customer()
    return customer
