"""Webhook endpoints: where an organization's events go, and the secrets that sign them.

Secrets are shown once, when created or rotated, and kept encrypted (the hub needs them to
sign). Rotating keeps the old secret signing alongside the new one for an overlap
(``EVENLY_WEBHOOK_SECRET_OVERLAP_SECONDS``, 24 h by default), so receivers can switch over
without missing a delivery. At most ``MAX_LIVE_SECRETS`` sign at once: rotating again ends
the oldest overlap, so the signature header stays small whatever the number of rotations.
Rotating marks the endpoint changed (``updated_at``): workers then read its secrets again
before their next delivery, so the new secret signs from the moment the rotation returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from evenly_webhooks import generate_secret
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.tokens import Principal
from hub.delivery.urls import check_url
from hub.domain.errors import DomainError
from hub.domain.events import EVENT_TYPES, WEBHOOK_TEST
from hub.domain.ids import new_id
from hub.services.context import ServiceContext
from hub.services.events import notify_outbox, organization_event
from hub.store.tables import (
    events,
    webhook_attempts,
    webhook_endpoints,
    webhook_messages,
    webhook_secrets,
    webhook_subscriptions,
)
from hub.store.visibility import event_clause

Row = Mapping[Any, Any]
MAX_ENDPOINTS = 20
MAX_DESCRIPTION = 500
MAX_OVERLAP_SECONDS = 7 * 86_400
#: Secrets signing at once: the newest and the two before it, while their overlaps last.
MAX_LIVE_SECRETS = 3


@dataclass(frozen=True, slots=True)
class SigningState:
    """What an endpoint's deliveries are signed with now."""

    #: The secrets, newest first (at most ``MAX_LIVE_SECRETS``).
    secrets: list[str]
    #: The endpoint's ``updated_at``: changes when a secret is rotated.
    version: dt.datetime
    #: When the soonest overlap ends (the secrets change then), if any does.
    expires_at: dt.datetime | None


def _check_event_types(event_types: Sequence[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise DomainError.of(
            "INVALID_EVENT_TYPE",
            f"unknown event types: {', '.join(unknown)}; known: {', '.join(sorted(EVENT_TYPES))}",
            "eventTypes",
        )
    return sorted(set(event_types))


def _check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION or not description.isprintable():
        raise DomainError.of(
            "INVALID_DESCRIPTION",
            f"a description is at most {MAX_DESCRIPTION} printable characters",
            "description",
        )
    return description


async def create_endpoint(
    ctx: ServiceContext,
    principal: Principal,
    *,
    url: str,
    event_types: Sequence[str],
    description: str = "",
) -> tuple[Row, str]:
    """A new endpoint and its first signing secret (``whsec_…``, returned only now)."""
    await check_url(url, allow_insecure=ctx.settings.allow_insecure_webhooks)
    types = _check_event_types(event_types)
    description = _check_description(description)
    now = ctx.clock()
    endpoint_id = new_id("we")
    row = {
        "id": endpoint_id,
        "organization_id": principal.organization_id,
        "url": url,
        "description": description,
        "event_types": types,
        "enabled": True,
        "disabled_reason": None,
        "created_at": now,
        "updated_at": now,
    }
    async with ctx.db.transaction() as conn:
        count = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(webhook_endpoints)
            .where(webhook_endpoints.c.organization_id == principal.organization_id)
        )
        if (count or 0) >= MAX_ENDPOINTS:
            raise DomainError.of(
                "WEBHOOK_ENDPOINT_LIMIT", f"an organization has at most {MAX_ENDPOINTS} endpoints"
            )
        await conn.execute(webhook_endpoints.insert().values(**row))
        await _subscribe(conn, row)
        secret = await _add_secret(conn, ctx, endpoint_id, now)
    return row, secret


async def update_endpoint(
    ctx: ServiceContext,
    principal: Principal,
    endpoint_id: str,
    *,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
) -> Row:
    """Change an endpoint's URL, event types or description (only what is given)."""
    values: dict[str, Any] = {}
    if url is not None:
        await check_url(url, allow_insecure=ctx.settings.allow_insecure_webhooks)
        values["url"] = url
    if event_types is not None:
        values["event_types"] = _check_event_types(event_types)
    if description is not None:
        values["description"] = _check_description(description)
    return await _update(ctx, principal, endpoint_id, values)


async def enable_endpoint(ctx: ServiceContext, principal: Principal, endpoint_id: str) -> Row:
    """Turn delivery back on for an endpoint that was disabled."""
    return await _update(ctx, principal, endpoint_id, {"enabled": True, "disabled_reason": None})


async def delete_endpoint(ctx: ServiceContext, principal: Principal, endpoint_id: str) -> None:
    async with ctx.db.transaction() as conn:
        result = await conn.execute(
            webhook_endpoints.delete().where(
                webhook_endpoints.c.id == endpoint_id,
                webhook_endpoints.c.organization_id == principal.organization_id,
            )
        )
        if result.rowcount != 1:
            raise _not_found()


async def rotate_secret(
    ctx: ServiceContext,
    principal: Principal,
    endpoint_id: str,
    *,
    overlap_seconds: int | None = None,
) -> tuple[Row, str]:
    """A new signing secret; the current ones keep signing for ``overlap_seconds``.

    At most ``MAX_LIVE_SECRETS`` sign at once: the overlap of any older one ends now.
    """
    overlap = (
        ctx.settings.webhook_secret_overlap_seconds if overlap_seconds is None else overlap_seconds
    )
    if not 0 <= overlap <= MAX_OVERLAP_SECONDS:
        raise DomainError.of(
            "INVALID_OVERLAP",
            f"the overlap is 0 to {MAX_OVERLAP_SECONDS} seconds",
            "overlapSeconds",
        )
    now = ctx.clock()
    s = webhook_secrets
    async with ctx.db.transaction() as conn:
        # Lock the endpoint row: concurrent rotations queue, so the bound holds.
        changed = await conn.execute(
            webhook_endpoints.update()
            .where(
                webhook_endpoints.c.id == endpoint_id,
                webhook_endpoints.c.organization_id == principal.organization_id,
            )
            .values(updated_at=now)
        )
        if changed.rowcount != 1:
            raise _not_found()
        ends = now + dt.timedelta(seconds=overlap)
        await conn.execute(
            s.update()
            .where(
                s.c.endpoint_id == endpoint_id,
                sa.or_(s.c.expires_at.is_(None), s.c.expires_at > ends),
            )
            .values(expires_at=ends)
        )
        older = (
            sa.select(s.c.id)
            .where(s.c.endpoint_id == endpoint_id, _live(now))
            .order_by(s.c.created_at.desc(), s.c.id.desc())
            .offset(MAX_LIVE_SECRETS - 1)
        )
        await conn.execute(
            s.update().where(s.c.id.in_(older.scalar_subquery())).values(expires_at=now)
        )
        secret = await _add_secret(conn, ctx, endpoint_id, now)
        endpoint = await get_endpoint(conn, principal, endpoint_id)
        assert endpoint is not None
    return endpoint, secret


async def signing_secrets(
    conn: AsyncConnection, ctx: ServiceContext, endpoint_id: str, now: dt.datetime
) -> list[str]:
    """The secrets an endpoint's deliveries are signed with now, newest first."""
    return (await signing_state(conn, ctx, endpoint_id, now)).secrets


async def signing_state(
    conn: AsyncConnection, ctx: ServiceContext, endpoint_id: str, now: dt.datetime
) -> SigningState:
    """The endpoint's signing secrets now, with its version and the next overlap end."""
    s = webhook_secrets
    rows = (
        await conn.execute(
            sa.select(s.c.id, s.c.secret_enc, s.c.expires_at, webhook_endpoints.c.updated_at)
            .join(webhook_endpoints, webhook_endpoints.c.id == s.c.endpoint_id)
            .where(s.c.endpoint_id == endpoint_id, _live(now))
            .order_by(s.c.created_at.desc(), s.c.id.desc())
            .limit(MAX_LIVE_SECRETS)
        )
    ).all()
    secrets: list[str] = []
    for secret_id, blob, _, _ in rows:
        value = ctx.cipher.decrypt(blob, _secret_record(endpoint_id, secret_id), "secret")
        assert value is not None
        secrets.append(value)
    ends = [r.expires_at for r in rows if r.expires_at is not None]
    version = rows[0].updated_at if rows else now
    return SigningState(secrets, version, min(ends) if ends else None)


def _live(now: dt.datetime) -> Any:
    return sa.or_(webhook_secrets.c.expires_at.is_(None), webhook_secrets.c.expires_at > now)


async def get_endpoint(conn: AsyncConnection, principal: Principal, endpoint_id: str) -> Row | None:
    row = await conn.execute(
        sa.select(webhook_endpoints).where(
            webhook_endpoints.c.id == endpoint_id,
            webhook_endpoints.c.organization_id == principal.organization_id,
        )
    )
    found = row.first()
    return found._mapping if found is not None else None


async def list_endpoints(
    conn: AsyncConnection, principal: Principal, *, after_id: str | None, limit: int
) -> list[Row]:
    """The organization's endpoints, oldest first."""
    query = sa.select(webhook_endpoints).where(
        webhook_endpoints.c.organization_id == principal.organization_id
    )
    if after_id is not None:
        query = query.where(webhook_endpoints.c.id > after_id)
    rows = await conn.execute(query.order_by(webhook_endpoints.c.id).limit(limit))
    return [r._mapping for r in rows]


async def _update(
    ctx: ServiceContext, principal: Principal, endpoint_id: str, values: dict[str, Any]
) -> Row:
    now = ctx.clock()
    async with ctx.db.transaction() as conn:
        result = await conn.execute(
            webhook_endpoints.update()
            .where(
                webhook_endpoints.c.id == endpoint_id,
                webhook_endpoints.c.organization_id == principal.organization_id,
            )
            .values(**values, updated_at=now)
        )
        if result.rowcount != 1:
            raise _not_found()
        endpoint = await get_endpoint(conn, principal, endpoint_id)
        assert endpoint is not None
        await _subscribe(conn, endpoint)
    return endpoint


async def _add_secret(
    conn: AsyncConnection, ctx: ServiceContext, endpoint_id: str, now: dt.datetime
) -> str:
    secret = generate_secret()
    secret_id = new_id("whs")
    await conn.execute(
        webhook_secrets.insert().values(
            id=secret_id,
            endpoint_id=endpoint_id,
            secret_enc=ctx.cipher.encrypt(secret, _secret_record(endpoint_id, secret_id), "secret"),
            created_at=now,
            expires_at=None,
        )
    )
    return secret


async def _subscribe(conn: AsyncConnection, endpoint: Row) -> None:
    """Make the outbox fan-out match the endpoint: its types while enabled, nothing after."""
    await conn.execute(
        webhook_subscriptions.delete().where(webhook_subscriptions.c.endpoint_id == endpoint["id"])
    )
    if endpoint["enabled"]:
        types = endpoint["event_types"] or ["*"]
        await conn.execute(
            webhook_subscriptions.insert(),
            [
                {
                    "endpoint_id": endpoint["id"],
                    "event_type": event_type,
                    "organization_id": endpoint["organization_id"],
                }
                for event_type in types
            ],
        )


def _secret_record(endpoint_id: str, secret_id: str) -> str:
    return f"{endpoint_id}/{secret_id}"


def _not_found() -> DomainError:
    return DomainError.of("NOT_FOUND", "no such webhook endpoint", "id")


MAX_REPLAY = 10_000


async def send_test(ctx: ServiceContext, principal: Principal, endpoint_id: str) -> str:
    """Deliver a ``webhook.test`` event to this endpoint only (whatever its types); its id.

    The event is in the organization's feed like any other, so feed readers see it too.
    """
    now = ctx.clock()
    async with ctx.db.transaction() as conn:
        endpoint = await get_endpoint(conn, principal, endpoint_id)
        if endpoint is None:
            raise _not_found()
        event = organization_event(
            WEBHOOK_TEST,
            principal.organization_id,
            principal.kind.value,
            now,
            {"endpointId": endpoint_id, "message": "This is a test delivery from Evenly."},
        )
        await conn.execute(events.insert().values(**event))
        await conn.execute(
            webhook_messages.insert().values(
                endpoint_id=endpoint_id,
                event_id=event["id"],
                status="PENDING",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        await notify_outbox(conn)
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
    if (event_ids is None) == (since is None):
        raise DomainError.of(
            "INVALID_REPLAY", "give either since (and optionally until) or eventIds", "since"
        )
    if until is not None and since is not None and until <= since:
        raise DomainError.of("INVALID_REPLAY", "until must be after since", "until")
    now = ctx.clock()
    async with ctx.db.transaction() as conn:
        endpoint = await get_endpoint(conn, principal, endpoint_id)
        if endpoint is None:
            raise _not_found()
        # Another endpoint's test deliveries are not this endpoint's history.
        chosen = sa.select(events.c.id).where(
            event_clause(principal), events.c.type != WEBHOOK_TEST
        )
        if endpoint["event_types"]:
            chosen = chosen.where(events.c.type.in_(list(endpoint["event_types"])))
        if event_ids is not None:
            chosen = chosen.where(events.c.id.in_(list(event_ids)))
        if since is not None:
            chosen = chosen.where(events.c.occurred_at >= since)
        if until is not None:
            chosen = chosen.where(events.c.occurred_at < until)
        count = await conn.scalar(sa.select(sa.func.count()).select_from(chosen.subquery()))
        if (count or 0) > MAX_REPLAY:
            raise DomainError.of(
                "REPLAY_TOO_LARGE", f"a replay covers at most {MAX_REPLAY} events; narrow it"
            )
        if not count:
            return 0
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        rows = sa.select(
            sa.literal(endpoint_id),
            chosen.subquery().c.id,
            sa.literal("PENDING"),
            sa.literal(0),
            sa.literal(now, type_=webhook_messages.c.next_attempt_at.type),
            sa.literal(now, type_=webhook_messages.c.created_at.type),
        ).where(sa.true())  # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
        statement = insert(webhook_messages).from_select(
            ["endpoint_id", "event_id", "status", "attempts", "next_attempt_at", "created_at"], rows
        )
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=[webhook_messages.c.endpoint_id, webhook_messages.c.event_id],
                set_={
                    "status": "PENDING",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "locked_until": None,
                },
            )
        )
        await notify_outbox(conn)
    return int(count)


async def list_deliveries(
    conn: AsyncConnection,
    principal: Principal,
    endpoint_id: str,
    *,
    status: str | None,
    before_id: int | None,
    limit: int,
) -> tuple[list[Row], dict[int, list[Row]]]:
    """An endpoint's messages, newest first, with every attempt of each (oldest first)."""
    m = webhook_messages
    query = (
        sa.select(m, events.c.type.label("event_type"))
        .join(events, events.c.id == m.c.event_id)
        .join(webhook_endpoints, webhook_endpoints.c.id == m.c.endpoint_id)
        .where(
            m.c.endpoint_id == endpoint_id,
            webhook_endpoints.c.organization_id == principal.organization_id,
        )
    )
    if status is not None:
        query = query.where(m.c.status == status)
    if before_id is not None:
        query = query.where(m.c.id < before_id)
    messages: list[Row] = [
        r._mapping for r in await conn.execute(query.order_by(m.c.id.desc()).limit(limit))
    ]
    attempts: dict[int, list[Row]] = {row["id"]: [] for row in messages}
    if messages:
        rows = await conn.execute(
            sa.select(webhook_attempts)
            .where(webhook_attempts.c.message_id.in_(list(attempts)))
            .order_by(webhook_attempts.c.id)
        )
        for row in rows:
            attempts[row.message_id].append(row._mapping)
    return messages, attempts


# --- operator views (evenly-hub admin webhooks): across organizations, no tenant scope ----


async def queue_summary(
    ctx: ServiceContext, organization_id: str | None = None
) -> list[dict[str, Any]]:
    """Every endpoint (of one organization, or all) with its message counts by status."""
    m, e = webhook_messages, webhook_endpoints
    query = (
        sa.select(
            e.c.id, e.c.organization_id, e.c.url, e.c.enabled, m.c.status, sa.func.count(m.c.id)
        )
        .select_from(e.outerjoin(m, m.c.endpoint_id == e.c.id))
        .group_by(e.c.id, e.c.organization_id, e.c.url, e.c.enabled, m.c.status)
        .order_by(e.c.id)
    )
    if organization_id is not None:
        query = query.where(e.c.organization_id == organization_id)
    summary: dict[str, dict[str, Any]] = {}
    async with ctx.db.read() as conn:
        for endpoint_id, org, url, enabled, status, count in await conn.execute(query):
            entry = summary.setdefault(
                endpoint_id,
                {
                    "endpoint_id": endpoint_id,
                    "organization_id": org,
                    "url": url,
                    "enabled": enabled,
                    "messages": {},
                },
            )
            if status is not None:
                entry["messages"][status] = count
    return list(summary.values())


async def retry_failed(ctx: ServiceContext, endpoint_id: str) -> int:
    """Queue an endpoint's FAILED messages again, from their first attempt; returns how many."""
    now = ctx.clock()
    async with ctx.db.transaction() as conn:
        result = await conn.execute(
            webhook_messages.update()
            .where(
                webhook_messages.c.endpoint_id == endpoint_id, webhook_messages.c.status == "FAILED"
            )
            .values(status="PENDING", attempts=0, next_attempt_at=now, locked_until=None)
        )
        if result.rowcount:
            await notify_outbox(conn)
    return int(result.rowcount)
