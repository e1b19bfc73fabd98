"""Webhook endpoints in storage: the endpoints, their signing secrets and the outbox fan-out.

An enabled endpoint has one subscription row per event type it receives (``*`` for all);
the outbox fans events out on them (``hub.store.outbox``), so changing an endpoint rewrites
its subscriptions, and a disabled endpoint has none. Secrets are kept encrypted with the
session's cipher (the hub needs them to sign). Changing an endpoint, a rotated secret among
it, moves its ``updated_at``: the endpoint's version, by which workers know to read its
secrets again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.auth.scopes import OrganizationKind
from hub.domain.events import ENDPOINT_DISABLED
from hub.domain.ids import new_id
from hub.domain.payloads import organization_event_row
from hub.domain.webhook_endpoint import MAX_LIVE_SECRETS
from hub.store.event_log import EventLog
from hub.store.session import Session
from hub.store.tables import organizations, webhook_endpoints, webhook_secrets
from hub.store.tables import webhook_subscriptions as subscriptions

_e, _s = webhook_endpoints, webhook_secrets


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A webhook endpoint: where an organization's events go."""

    id: str
    organization_id: str
    url: str
    description: str
    #: Event types delivered; empty means every type.
    event_types: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SigningState:
    """What an endpoint's deliveries are signed with now."""

    #: The secrets, newest first (at most ``MAX_LIVE_SECRETS``).
    secrets: list[str]
    #: The endpoint's ``updated_at``: changes when a secret is rotated.
    version: dt.datetime
    #: When the soonest overlap ends (the secrets change then), if any does.
    expires_at: dt.datetime | None


def _endpoint(row: sa.RowMapping) -> Endpoint:
    return Endpoint(
        id=row["id"],
        organization_id=row["organization_id"],
        url=row["url"],
        description=row["description"],
        event_types=tuple(row["event_types"]),
        enabled=row["enabled"],
        disabled_reason=row["disabled_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _owned(organization_id: str, endpoint_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(_e.c.id == endpoint_id, _e.c.organization_id == organization_id)


def _live(now: dt.datetime) -> sa.ColumnElement[bool]:
    """Secrets that still sign at ``now``."""
    return sa.or_(_s.c.expires_at.is_(None), _s.c.expires_at > now)


def _secret_record(endpoint_id: str, secret_id: str) -> str:
    """What a secret's ciphertext is bound to: it decrypts as this secret of this endpoint."""
    return f"{endpoint_id}/{secret_id}"


class Endpoints:
    """The webhook endpoints repository of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def count(self, organization_id: str) -> int:
        found = await self._uow.conn.scalar(
            sa.select(sa.func.count())
            .select_from(_e)
            .where(_e.c.organization_id == organization_id)
        )
        return int(found or 0)

    async def add(self, endpoint: Endpoint) -> None:
        """A new endpoint, subscribed to its event types if enabled."""
        await self._uow.conn.execute(
            _e.insert().values(
                id=endpoint.id,
                organization_id=endpoint.organization_id,
                url=endpoint.url,
                description=endpoint.description,
                event_types=list(endpoint.event_types),
                enabled=endpoint.enabled,
                disabled_reason=endpoint.disabled_reason,
                created_at=endpoint.created_at,
                updated_at=endpoint.updated_at,
            )
        )
        await self._subscribe(endpoint)

    async def get(self, organization_id: str, endpoint_id: str) -> Endpoint | None:
        """One of the organization's endpoints (another's is None, as a missing one)."""
        found = await self._uow.conn.execute(
            sa.select(_e).where(_owned(organization_id, endpoint_id))
        )
        row = found.mappings().first()
        return _endpoint(row) if row is not None else None

    async def page(
        self, organization_id: str, *, after_id: str | None, limit: int
    ) -> list[Endpoint]:
        """The organization's endpoints after ``after_id``, oldest first."""
        query = sa.select(_e).where(_e.c.organization_id == organization_id)
        if after_id is not None:
            query = query.where(_e.c.id > after_id)
        found = await self._uow.conn.execute(query.order_by(_e.c.id).limit(limit))
        return [_endpoint(r) for r in found.mappings()]

    async def update(
        self,
        organization_id: str,
        endpoint_id: str,
        now: dt.datetime,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
    ) -> Endpoint | None:
        """Change what is given (enabling clears the disabled reason) and the subscriptions
        with it; None if the organization has no such endpoint."""
        values: dict[str, Any] = {"updated_at": now}
        if url is not None:
            values["url"] = url
        if event_types is not None:
            values["event_types"] = list(event_types)
        if description is not None:
            values["description"] = description
        if enabled is not None:
            values.update(enabled=enabled, disabled_reason=None)
        changed = await self._uow.conn.execute(
            _e.update().where(_owned(organization_id, endpoint_id)).values(**values)
        )
        if changed.rowcount != 1:
            return None
        endpoint = await self.get(organization_id, endpoint_id)
        assert endpoint is not None
        await self._subscribe(endpoint)
        return endpoint

    async def delete(self, organization_id: str, endpoint_id: str) -> bool:
        """Delete an endpoint with its secrets, subscriptions and queue; False if none."""
        deleted = await self._uow.conn.execute(
            _e.delete().where(_owned(organization_id, endpoint_id))
        )
        return bool(deleted.rowcount == 1)

    async def disable(self, endpoint_id: str, reason: str, now: dt.datetime) -> bool:
        """Disable an enabled endpoint, stop queueing for it, and tell its organization (an
        ``endpoint.disabled`` event). False if it is disabled already, or deleted."""
        found = await self._uow.conn.execute(
            sa.select(_e.c.organization_id, organizations.c.kind)
            .join(organizations, organizations.c.id == _e.c.organization_id)
            .where(_e.c.id == endpoint_id, _e.c.enabled.is_(True))
        )
        owner = found.first()
        if owner is None:
            return False
        await self._uow.conn.execute(
            _e.update()
            .where(_e.c.id == endpoint_id)
            .values(enabled=False, disabled_reason=reason, updated_at=now)
        )
        await self._uow.conn.execute(
            subscriptions.delete().where(subscriptions.c.endpoint_id == endpoint_id)
        )
        event = organization_event_row(
            ENDPOINT_DISABLED,
            owner.organization_id,
            owner.kind == OrganizationKind.AGENCY.value,
            now,
            {"endpointId": endpoint_id, "reason": reason},
        )
        await EventLog(self._uow).append([event])
        return True

    # --- signing secrets ------------------------------------------------------------------

    async def touch(self, organization_id: str, endpoint_id: str, now: dt.datetime) -> bool:
        """Mark the endpoint changed now (its secrets are about to), holding its row until
        the transaction ends: concurrent rotations of one endpoint take turns. False if the
        organization has no such endpoint."""
        changed = await self._uow.conn.execute(
            _e.update().where(_owned(organization_id, endpoint_id)).values(updated_at=now)
        )
        return bool(changed.rowcount == 1)

    async def add_secret(self, endpoint_id: str, secret: str, now: dt.datetime) -> None:
        """Keep a new signing secret of the endpoint (encrypted); it signs until ended."""
        secret_id = new_id("whs")
        record = _secret_record(endpoint_id, secret_id)
        await self._uow.conn.execute(
            _s.insert().values(
                id=secret_id,
                endpoint_id=endpoint_id,
                secret_enc=self._uow.cipher.encrypt(secret, record, "secret"),
                created_at=now,
                expires_at=None,
            )
        )

    async def end_secrets(self, endpoint_id: str, *, by: dt.datetime) -> None:
        """Every secret of the endpoint stops signing at ``by`` at the latest."""
        await self._uow.conn.execute(
            _s.update()
            .where(
                _s.c.endpoint_id == endpoint_id,
                sa.or_(_s.c.expires_at.is_(None), _s.c.expires_at > by),
            )
            .values(expires_at=by)
        )

    async def keep_newest_secrets(self, endpoint_id: str, count: int, now: dt.datetime) -> None:
        """Only the ``count`` newest live secrets keep signing; the others end now."""
        older = (
            sa.select(_s.c.id)
            .where(_s.c.endpoint_id == endpoint_id, _live(now))
            .order_by(_s.c.created_at.desc(), _s.c.id.desc())
            .offset(count)
        )
        await self._uow.conn.execute(
            _s.update().where(_s.c.id.in_(older.scalar_subquery())).values(expires_at=now)
        )

    async def signing_state(self, endpoint_id: str, now: dt.datetime) -> SigningState:
        """The endpoint's signing secrets at ``now``, newest first, decrypted; with its
        version and the next overlap end."""
        found = await self._uow.conn.execute(
            sa.select(_s.c.id, _s.c.secret_enc, _s.c.expires_at, _e.c.updated_at)
            .join(_e, _e.c.id == _s.c.endpoint_id)
            .where(_s.c.endpoint_id == endpoint_id, _live(now))
            .order_by(_s.c.created_at.desc(), _s.c.id.desc())
            .limit(MAX_LIVE_SECRETS)
        )
        rows = found.all()
        secrets: list[str] = []
        for row in rows:
            record = _secret_record(endpoint_id, row.id)
            value = self._uow.cipher.decrypt(row.secret_enc, record, "secret")
            assert value is not None
            secrets.append(value)
        ends = [r.expires_at for r in rows if r.expires_at is not None]
        version = rows[0].updated_at if rows else now
        return SigningState(secrets, version, min(ends) if ends else None)

    async def _subscribe(self, endpoint: Endpoint) -> None:
        """Make the outbox fan-out match the endpoint: its types while enabled, nothing after."""
        await self._uow.conn.execute(
            subscriptions.delete().where(subscriptions.c.endpoint_id == endpoint.id)
        )
        if endpoint.enabled:
            await self._uow.conn.execute(
                subscriptions.insert(),
                [
                    {
                        "endpoint_id": endpoint.id,
                        "event_type": event_type,
                        "organization_id": endpoint.organization_id,
                    }
                    for event_type in endpoint.event_types or ("*",)
                ],
            )
