"""Webhook endpoints: where an organization's events go, and the secrets that sign them.

Secrets are shown once, when created or rotated, and kept encrypted (the hub needs them to
sign). Rotating keeps the old secret signing alongside the new one for an overlap
(``EVENLY_WEBHOOK_SECRET_OVERLAP_SECONDS``, 24 h by default), so receivers can switch over
without missing a delivery. At most ``MAX_LIVE_SECRETS`` sign at once: rotating again ends
the oldest overlap, so the signature header stays small whatever the number of rotations.
Rotating marks the endpoint changed: workers then read its secrets again before their next
delivery, so the new secret signs from the moment the rotation returns. The limits and
checks are ``hub.domain.webhook_endpoint``; storage is ``hub.store.endpoints`` and
``hub.store.delivery_log``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from evenly_webhooks import generate_secret

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain import webhook_endpoint as rules
from hub.domain.events import WEBHOOK_TEST
from hub.domain.ids import new_id
from hub.domain.payloads import organization_event_row
from hub.domain.sandbox import require_sandbox
from hub.domain.sink_urls import is_sink_url, parse_sink_url
from hub.services.context import ServiceContext
from hub.services.webhook_urls import check_url
from hub.store.delivery_log import EndpointQueue, LoggedAttempt, LoggedDelivery
from hub.store.endpoints import Endpoint

__all__ = ["Endpoint", "EndpointQueue", "LoggedAttempt", "LoggedDelivery"]


async def _check_endpoint_url(ctx: ServiceContext, principal: Principal, url: str) -> None:
    """A URL the hub may deliver to: a public one (``check_url``), or, for a sandbox
    organization only, the hub's own sink (``hub.domain.sink_urls``)."""
    if not is_sink_url(url):
        await check_url(
            url,
            allow_insecure=ctx.settings.allow_insecure_webhooks,
            allow_loopback=ctx.settings.allow_loopback_webhooks,
        )
        return
    parse_sink_url(url)
    async with ctx.store.read() as uow:
        found = await uow.organizations.get_many([principal.organization_id])
    organization = found.get(principal.organization_id)
    require_sandbox(organization is not None and organization.sandbox, "a sink:// URL", "url")


async def create_endpoint(
    ctx: ServiceContext,
    principal: Principal,
    *,
    url: str,
    event_types: Sequence[str],
    description: str = "",
) -> tuple[Endpoint, str]:
    """A new endpoint and its first signing secret (``whsec_…``, returned only now)."""
    await _check_endpoint_url(ctx, principal, url)
    types = tuple(rules.check_event_types(event_types))
    now = ctx.clock()
    endpoint = Endpoint(
        id=new_id("we"),
        organization_id=principal.organization_id,
        url=url,
        description=rules.check_description(description),
        event_types=types,
        enabled=True,
        disabled_reason=None,
        created_at=now,
        updated_at=now,
    )
    secret = generate_secret()
    async with ctx.store.transaction() as uow:
        rules.check_room(await uow.endpoints.count(principal.organization_id))
        await uow.endpoints.add(endpoint)
        await uow.endpoints.add_secret(endpoint.id, secret, now)
    return endpoint, secret


async def update_endpoint(
    ctx: ServiceContext,
    principal: Principal,
    endpoint_id: str,
    *,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
) -> Endpoint:
    """Change an endpoint's URL, event types or description (only what is given)."""
    if url is not None:
        await _check_endpoint_url(ctx, principal, url)
    types = rules.check_event_types(event_types) if event_types is not None else None
    if description is not None:
        rules.check_description(description)
    async with ctx.store.transaction() as uow:
        endpoint = await uow.endpoints.update(
            principal.organization_id,
            endpoint_id,
            ctx.clock(),
            url=url,
            event_types=types,
            description=description,
        )
    if endpoint is None:
        raise rules.endpoint_not_found()
    return endpoint


async def enable_endpoint(ctx: ServiceContext, principal: Principal, endpoint_id: str) -> Endpoint:
    """Turn delivery back on for an endpoint that was disabled."""
    async with ctx.store.transaction() as uow:
        endpoint = await uow.endpoints.update(
            principal.organization_id, endpoint_id, ctx.clock(), enabled=True
        )
    if endpoint is None:
        raise rules.endpoint_not_found()
    return endpoint


async def delete_endpoint(ctx: ServiceContext, principal: Principal, endpoint_id: str) -> None:
    """Delete an endpoint, with its secrets and its queued deliveries."""
    async with ctx.store.transaction() as uow:
        if not await uow.endpoints.delete(principal.organization_id, endpoint_id):
            raise rules.endpoint_not_found()


async def rotate_secret(
    ctx: ServiceContext,
    principal: Principal,
    endpoint_id: str,
    *,
    overlap_seconds: int | None = None,
) -> tuple[Endpoint, str]:
    """A new signing secret; the current ones keep signing for ``overlap_seconds``.

    At most ``MAX_LIVE_SECRETS`` sign at once: the overlap of any older one ends now.
    """
    overlap = rules.check_overlap(
        ctx.settings.webhook_secret_overlap_seconds if overlap_seconds is None else overlap_seconds
    )
    now = ctx.clock()
    secret = generate_secret()
    async with ctx.store.transaction() as uow:
        # Holds the endpoint's row: concurrent rotations take turns, so the bound holds.
        if not await uow.endpoints.touch(principal.organization_id, endpoint_id, now):
            raise rules.endpoint_not_found()
        await uow.endpoints.end_secrets(endpoint_id, by=now + overlap)
        await uow.endpoints.keep_newest_secrets(endpoint_id, rules.MAX_LIVE_SECRETS - 1, now)
        await uow.endpoints.add_secret(endpoint_id, secret, now)
        endpoint = await uow.endpoints.get(principal.organization_id, endpoint_id)
    assert endpoint is not None
    return endpoint, secret


async def get_endpoint(
    ctx: ServiceContext, principal: Principal, endpoint_id: str
) -> Endpoint | None:
    """One of the principal's organization's endpoints; None for anyone else's."""
    async with ctx.store.read() as uow:
        return await uow.endpoints.get(principal.organization_id, endpoint_id)


async def list_endpoints(
    ctx: ServiceContext, principal: Principal, *, after_id: str | None, limit: int
) -> list[Endpoint]:
    """The organization's endpoints, oldest first."""
    async with ctx.store.read() as uow:
        return await uow.endpoints.page(principal.organization_id, after_id=after_id, limit=limit)


async def list_deliveries(
    ctx: ServiceContext,
    principal: Principal,
    endpoint_id: str,
    *,
    status: str | None,
    before_id: int | None,
    limit: int,
) -> list[LoggedDelivery]:
    """An endpoint's deliveries, newest first, with every attempt of each (oldest first)."""
    async with ctx.store.read() as uow:
        return await uow.delivery_log.deliveries(
            principal.organization_id,
            endpoint_id,
            status=status,
            before_id=before_id,
            limit=limit,
        )


async def send_test(ctx: ServiceContext, principal: Principal, endpoint_id: str) -> str:
    """Deliver a ``webhook.test`` event to this endpoint only (whatever its types); its id.

    The event is in the organization's feed like any other, so feed readers see it too.
    """
    now = ctx.clock()
    event = organization_event_row(
        WEBHOOK_TEST,
        principal.organization_id,
        principal.kind is OrganizationKind.AGENCY,
        now,
        {"endpointId": endpoint_id, "message": "This is a test delivery from Evenly."},
    )
    async with ctx.store.transaction() as uow:
        if await uow.endpoints.get(principal.organization_id, endpoint_id) is None:
            raise rules.endpoint_not_found()
        await uow.events.append_for_endpoint([event], endpoint_id, now)
    return str(event["id"])


async def replay_events(
    ctx: ServiceContext,
    principal: Principal,
    endpoint_id: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    event_ids: Sequence[str] | None = None,
) -> int:
    """Queue the organization's events again for one endpoint; returns how many.

    Either a time range (``since`` ≤ occurred < ``until``) or explicit ``event_ids``. Only
    events of the endpoint's types are queued; a message already queued or delivered is
    reset to pending, so a replay never creates duplicates in the queue (receivers still
    dedupe by ``webhook-id``, as for any redelivery).
    """
    rules.check_replay(since, until, event_ids)
    async with ctx.store.transaction() as uow:
        endpoint = await uow.endpoints.get(principal.organization_id, endpoint_id)
        if endpoint is None:
            raise rules.endpoint_not_found()
        count = await uow.delivery_log.replayable(
            principal, endpoint, since=since, until=until, event_ids=event_ids
        )
        rules.check_replay_size(count)
        if count:
            await uow.delivery_log.replay(
                principal, endpoint, ctx.clock(), since=since, until=until, event_ids=event_ids
            )
    return count


# --- operator views (evenly-hub admin webhooks): across organizations, no tenant scope ----


async def queue_summary(
    ctx: ServiceContext, organization_id: str | None = None
) -> list[EndpointQueue]:
    """Every endpoint (of one organization, or all) with its message counts by status."""
    async with ctx.store.read() as uow:
        return await uow.delivery_log.queue_summary(organization_id)


async def retry_failed(ctx: ServiceContext, endpoint_id: str) -> int:
    """Queue an endpoint's FAILED messages again, from their first attempt; returns how many."""
    async with ctx.store.transaction() as uow:
        return await uow.delivery_log.retry_failed(endpoint_id, ctx.clock())
