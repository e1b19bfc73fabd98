"""Organizations, their API clients and the creditors' routing rules (operator use cases)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.scopes import ALLOWED_SCOPES, OrganizationKind
from hub.auth.secrets import DUMMY_HASH, SecretChecker, hash_secret, new_secret
from hub.auth.tokens import Principal
from hub.domain.account import Product
from hub.domain.contact import is_country
from hub.domain.errors import DomainError
from hub.services.context import ServiceContext
from hub.services.visibility import organization_clause
from hub.store.ids import new_id
from hub.store.tables import api_clients, organizations, routing_rules

Row = Mapping[Any, Any]


@dataclass(frozen=True)
class Credentials:
    organization_id: str
    client_id: str
    client_secret: str
    scopes: frozenset[str]


async def create_organization(
    ctx: ServiceContext, *, kind: OrganizationKind, name: str, country: str
) -> Credentials:
    """A new creditor or agency with its first API client (holding every scope of its kind)."""
    country = country.upper()
    if not is_country(country):
        raise DomainError.of("INVALID_COUNTRY", "not an ISO 3166-1 alpha-2 country code", "country")
    if not name.strip() or len(name) > 200:
        raise DomainError.of("INVALID_NAME", "name must be 1-200 characters", "name")
    org_id = new_id("org")
    async with ctx.db.transaction() as conn:
        await conn.execute(
            organizations.insert().values(
                id=org_id, kind=kind.value, name=name, country=country, created_at=ctx.clock()
            )
        )
        return await _add_client(conn, ctx, org_id, kind, "default", None)


async def create_client(
    ctx: ServiceContext, organization_id: str, *, name: str, scopes: Iterable[str] | None
) -> Credentials:
    """Another API client for an organization, limited to ``scopes`` (all of its kind if None)."""
    async with ctx.db.transaction() as conn:
        org = await get_organization(conn, organization_id)
        if org is None:
            raise DomainError.of("NOT_FOUND", "no such organization", "organization")
        return await _add_client(
            conn, ctx, organization_id, OrganizationKind(org["kind"]), name, scopes
        )


async def _add_client(
    conn: AsyncConnection,
    ctx: ServiceContext,
    org_id: str,
    kind: OrganizationKind,
    name: str,
    scopes: Iterable[str] | None,
) -> Credentials:
    allowed = {s.value for s in ALLOWED_SCOPES[kind]}
    granted = set(allowed if scopes is None else scopes)
    if not granted or not granted <= allowed:
        raise DomainError.of(
            "INVALID_SCOPE",
            f"a {kind.value.lower()} client may hold: {' '.join(sorted(allowed))}",
            "scopes",
        )
    client_id = new_id("cli")
    secret = new_secret()
    await conn.execute(
        api_clients.insert().values(
            id=client_id,
            organization_id=org_id,
            name=name,
            secret_hash=hash_secret(secret),
            scopes=" ".join(sorted(granted)),
            created_at=ctx.clock(),
        )
    )
    return Credentials(org_id, client_id, secret, frozenset(granted))


async def revoke_client(ctx: ServiceContext, client_id: str) -> None:
    """Revoke a client: its secret stops working and its tokens are refused."""
    async with ctx.db.transaction() as conn:
        result = await conn.execute(
            api_clients.update()
            .where(api_clients.c.id == client_id, api_clients.c.revoked_at.is_(None))
            .values(revoked_at=ctx.clock())
        )
        if result.rowcount != 1:
            raise DomainError.of("NOT_FOUND", "no such active client", "clientId")


async def authenticate_client(
    ctx: ServiceContext, client_id: str, secret: str, checker: SecretChecker
) -> Principal | None:
    """The principal for valid, unrevoked client credentials; None otherwise. An unknown
    client id costs the same secret check as a known one, so timing does not tell them apart."""
    async with ctx.db.read() as conn:
        row = (
            await conn.execute(
                sa.select(api_clients, organizations.c.kind)
                .join(organizations, organizations.c.id == api_clients.c.organization_id)
                .where(api_clients.c.id == client_id)
            )
        ).first()
    stored = row.secret_hash if row is not None else DUMMY_HASH
    valid = await checker.verify(secret, stored)
    if row is None or not valid or row.revoked_at is not None:
        return None
    return Principal(
        client_id=row.id,
        organization_id=row.organization_id,
        kind=OrganizationKind(row.kind),
        scopes=frozenset(row.scopes.split()),
    )


async def client_is_active(ctx: ServiceContext, client_id: str) -> bool:
    async with ctx.db.read() as conn:
        revoked = await conn.execute(
            sa.select(api_clients.c.revoked_at).where(api_clients.c.id == client_id)
        )
        row = revoked.first()
    return row is not None and row.revoked_at is None


async def create_routing_rule(
    ctx: ServiceContext,
    *,
    creditor_id: str,
    agency_id: str,
    country: str | None = None,
    product: str | None = None,
    priority: int = 100,
) -> str:
    """Route the creditor's matching placements to the agency; lower priority numbers win."""
    if country is not None:
        country = country.upper()
        if not is_country(country):
            raise DomainError.of(
                "INVALID_COUNTRY", "not an ISO 3166-1 alpha-2 country code", "country"
            )
    if product is not None and product not in Product.__members__:
        raise DomainError.of(
            "INVALID_PRODUCT", f"product is one of {', '.join(Product)}", "product"
        )
    async with ctx.db.transaction() as conn:
        orgs = await get_organizations(conn, [creditor_id, agency_id])
        if orgs.get(creditor_id, {}).get("kind") != OrganizationKind.CREDITOR.value:
            raise DomainError.of("NOT_FOUND", "no such creditor", "creditor")
        if orgs.get(agency_id, {}).get("kind") != OrganizationKind.AGENCY.value:
            raise DomainError.of("NOT_FOUND", "no such agency", "agency")
        rule_id = new_id("rr")
        await conn.execute(
            routing_rules.insert().values(
                id=rule_id,
                creditor_id=creditor_id,
                agency_id=agency_id,
                country=country,
                product=product,
                priority=priority,
                created_at=ctx.clock(),
            )
        )
    return rule_id


async def get_organization(conn: AsyncConnection, organization_id: str) -> Row | None:
    return (await get_organizations(conn, [organization_id])).get(organization_id)


async def get_organizations(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, Row]:
    rows = await conn.execute(sa.select(organizations).where(organizations.c.id.in_(list(ids))))
    return {r.id: r._mapping for r in rows}


async def find_organization_by_name(
    ctx: ServiceContext, kind: OrganizationKind, name: str
) -> Row | None:
    async with ctx.db.read() as conn:
        row = (
            await conn.execute(
                sa.select(organizations)
                .where(organizations.c.kind == kind.value, organizations.c.name == name)
                .order_by(organizations.c.id)
                .limit(1)
            )
        ).first()
    return row._mapping if row is not None else None


class OrganizationCache:
    """Organizations by id, kept in process for ``ttl`` seconds.

    Organizations never change after creation (there is no rename), so a short-lived copy is
    safe; it spares a database read for every account's ``creditor`` and ``agency``.
    """

    def __init__(self, ttl: float = 60.0, max_size: int = 10_000) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._rows: dict[str, tuple[float, Row]] = {}

    def cached(self, organization_id: str) -> Row | None:
        """The organization if a fresh copy is at hand, without waiting for anything."""
        entry = self._rows.get(organization_id)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    async def get_many(self, ctx: ServiceContext, ids: Sequence[str]) -> dict[str, Row]:
        now = time.monotonic()
        found = {i: entry[1] for i in ids if (entry := self._rows.get(i)) and entry[0] > now}
        missing = [i for i in ids if i not in found]
        if missing:
            async with ctx.db.read() as conn:
                loaded = await get_organizations(conn, missing)
            if len(self._rows) + len(loaded) > self.max_size:
                self._rows.clear()
            for org_id, row in loaded.items():
                self._rows[org_id] = (now + self.ttl, dict(row))
            found.update(loaded)
        return found


async def get_visible_organizations(
    conn: AsyncConnection, principal: Principal, ids: Sequence[str]
) -> dict[str, Row]:
    """Organizations among ``ids`` that the principal may see (see ``organization_clause``)."""
    rows = await conn.execute(
        sa.select(organizations).where(
            organizations.c.id.in_(list(ids)), organization_clause(principal)
        )
    )
    return {r.id: r._mapping for r in rows}
