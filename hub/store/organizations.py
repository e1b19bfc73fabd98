"""Organizations, their API clients and the creditors' routing rules, in storage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from hub.auth.tokens import Principal
from hub.domain.organization import ApiClient, Organization
from hub.domain.routing import Weight
from hub.store.session import Session
from hub.store.tables import api_clients, organizations, routing_rules
from hub.store.visibility import organization_clause


def _organization(row: Mapping[Any, Any]) -> Organization:
    return Organization(
        row["id"],
        row["kind"],
        row["name"],
        row["country"],
        row["created_at"],
        row["sandbox"],
        row["simulated"],
    )


class Organizations:
    """The organizations repository of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def add(self, organization: Organization) -> None:
        await self._uow.conn.execute(
            organizations.insert().values(
                id=organization.id,
                kind=organization.kind,
                name=organization.name,
                country=organization.country,
                created_at=organization.created_at,
                sandbox=organization.sandbox,
                simulated=organization.simulated,
            )
        )

    async def get_many(self, ids: Sequence[str]) -> dict[str, Organization]:
        rows = await self._uow.conn.execute(
            sa.select(organizations).where(organizations.c.id.in_(list(ids)))
        )
        return {r["id"]: _organization(r) for r in rows.mappings()}

    async def visible(self, principal: Principal, ids: Sequence[str]) -> dict[str, Organization]:
        """Organizations among ``ids`` that the principal may see (``organization_clause``)."""
        rows = await self._uow.conn.execute(
            sa.select(organizations).where(
                organizations.c.id.in_(list(ids)), organization_clause(principal)
            )
        )
        return {r["id"]: _organization(r) for r in rows.mappings()}

    async def by_name(self, kind: str, name: str, *, sandbox: bool) -> Organization | None:
        """The oldest organization of this kind, name and mode."""
        row = (
            await self._uow.conn.execute(
                sa.select(organizations)
                .where(
                    organizations.c.kind == kind,
                    organizations.c.name == name,
                    organizations.c.sandbox == sandbox,
                )
                .order_by(organizations.c.id)
                .limit(1)
            )
        ).mappings()
        found = row.first()
        return _organization(found) if found is not None else None

    async def add_client(
        self,
        id_: str,
        organization_id: str,
        name: str,
        secret_hash: str,
        scopes: frozenset[str],
        now: dt.datetime,
    ) -> None:
        await self._uow.conn.execute(
            api_clients.insert().values(
                id=id_,
                organization_id=organization_id,
                name=name,
                secret_hash=secret_hash,
                scopes=" ".join(sorted(scopes)),
                created_at=now,
            )
        )

    async def client(self, client_id: str) -> ApiClient | None:
        """An API client with its organization's kind."""
        row = (
            await self._uow.conn.execute(
                sa.select(api_clients, organizations.c.kind)
                .join(organizations, organizations.c.id == api_clients.c.organization_id)
                .where(api_clients.c.id == client_id)
            )
        ).first()
        if row is None:
            return None
        return ApiClient(
            id=row.id,
            organization_id=row.organization_id,
            organization_kind=row.kind,
            secret_hash=row.secret_hash,
            scopes=frozenset(row.scopes.split()),
            revoked_at=row.revoked_at,
        )

    async def revoke_client(self, client_id: str, now: dt.datetime) -> bool:
        """Revoke an active client; False if there is no such active client."""
        result = await self._uow.conn.execute(
            api_clients.update()
            .where(api_clients.c.id == client_id, api_clients.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return result.rowcount == 1

    async def add_routing_rule(
        self,
        id_: str,
        creditor_id: str,
        agency_id: str,
        country: str | None,
        product: str | None,
        priority: int,
        now: dt.datetime,
        *,
        weights: Sequence[Weight] = (),
        experiment_id: str | None = None,
    ) -> None:
        await self._uow.conn.execute(
            routing_rules.insert().values(
                id=id_,
                creditor_id=creditor_id,
                agency_id=agency_id,
                country=country,
                product=product,
                priority=priority,
                created_at=now,
                experiment_id=experiment_id,
                weights=[{"agencyId": w.agency_id, "percent": w.percent} for w in weights] or None,
            )
        )

    async def routes_to(self, creditor_id: str, agency_id: str) -> bool:
        """Whether some routing rule of the creditor sends accounts to the agency."""
        found = await self._uow.conn.execute(
            sa.select(routing_rules.c.id)
            .where(
                routing_rules.c.creditor_id == creditor_id, routing_rules.c.agency_id == agency_id
            )
            .limit(1)
        )
        return found.first() is not None
