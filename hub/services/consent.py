"""Channel consent: the customer accepts or refuses contact on a channel.

The creditor may set it for its customers, an agency for the customers of accounts assigned
to it. The customer's record and a ``customer.consent_changed`` event on each of their open
accounts that the caller sees are written in one transaction, so both sides learn of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.auth.tokens import Principal
from hub.domain.customer import Customer
from hub.domain.errors import DomainError
from hub.domain.vocabulary import ContactChannel
from hub.services import idempotency
from hub.services.account_changes import retrying, save_change
from hub.services.context import ServiceContext


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
            for account_id in await uow.accounts.open_of_customer(principal, customer.id):
                loaded = await uow.accounts.load(principal, account_id)
                assert loaded is not None
                loaded.collection.note_consent(
                    customer.id, command.channel, command.granted, opted_out
                )
                await save_change(uow, loaded, now)
            await uow.idempotency.save(inserts)

    await retrying(ctx, attempt)
    async with ctx.store.read() as uow:
        customer = await uow.customers.get_visible(principal, command.customer_id)
    if customer is None:
        raise _no_such_customer()
    return customer
