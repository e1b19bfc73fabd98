"""Organizations, their API clients and the creditors' routing rules (operator use cases)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hub.auth.scopes import ALLOWED_SCOPES, OrganizationKind
from hub.auth.secrets import DUMMY_HASH, SecretChecker, hash_secret, new_secret
from hub.auth.tokens import Principal
from hub.domain.account import Product
from hub.domain.contact import is_country
from hub.domain.errors import DomainError
from hub.domain.ids import new_id
from hub.domain.organization import Organization
from hub.domain.routing import Weight, check_weights
from hub.domain.sandbox import check_same_mode, client_id_prefix, require_sandbox, secret_prefix
from hub.services.context import ServiceContext
from hub.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Credentials:
    organization_id: str
    client_id: str
    client_secret: str
    scopes: frozenset[str]


async def create_organization(
    ctx: ServiceContext,
    *,
    kind: OrganizationKind,
    name: str,
    country: str,
    sandbox: bool = False,
    simulated: bool = False,
) -> Credentials:
    """A new creditor or agency with its first API client (holding every scope of its kind);
    a ``sandbox`` one is a test organization (``hub.domain.sandbox``), for good; a ``simulated`` one is a
    sandbox agency the hub plays itself (``hub.domain.sandbox_scenarios``)."""
    country = country.upper()
    if not is_country(country):
        raise DomainError.of("INVALID_COUNTRY", "not an ISO 3166-1 alpha-2 country code", "country")
    if not name.strip() or len(name) > 200:
        raise DomainError.of("INVALID_NAME", "name must be 1-200 characters", "name")
    if simulated:
        require_sandbox(sandbox and kind is OrganizationKind.AGENCY, "a simulated agency")
    organization = Organization(
        new_id("org"), kind.value, name, country, ctx.clock(), sandbox, simulated
    )
    async with ctx.store.transaction() as uow:
        await uow.organizations.add(organization)
        return await _add_client(ctx, uow, organization, "default", None)


async def create_client(
    ctx: ServiceContext, organization_id: str, *, name: str, scopes: Iterable[str] | None
) -> Credentials:
    """Another API client for an organization, limited to ``scopes`` (all of its kind if None)."""
    async with ctx.store.transaction() as uow:
        found = (await uow.organizations.get_many([organization_id])).get(organization_id)
        if found is None:
            raise DomainError.of("NOT_FOUND", "no such organization", "organization")
        return await _add_client(ctx, uow, found, name, scopes)


async def _add_client(
    ctx: ServiceContext,
    uow: UnitOfWork,
    organization: Organization,
    name: str,
    scopes: Iterable[str] | None,
) -> Credentials:
    """A client of ``organization``: a sandbox one's id and secret say so (``cli_test_``,
    ``sk_test_``)."""
    kind, org_id = OrganizationKind(organization.kind), organization.id
    allowed = {s.value for s in ALLOWED_SCOPES[kind]}
    granted = frozenset(allowed if scopes is None else scopes)
    if not granted or not granted <= allowed:
        raise DomainError.of(
            "INVALID_SCOPE",
            f"a {kind.value.lower()} client may hold: {' '.join(sorted(allowed))}",
            "scopes",
        )
    client_id = new_id(client_id_prefix(organization.sandbox))
    secret = new_secret(secret_prefix(organization.sandbox))
    await uow.organizations.add_client(
        client_id, org_id, name, hash_secret(secret), granted, ctx.clock()
    )
    return Credentials(org_id, client_id, secret, granted)


async def revoke_client(ctx: ServiceContext, client_id: str) -> None:
    """Revoke a client: its secret stops working and its tokens are refused."""
    async with ctx.store.transaction() as uow:
        if not await uow.organizations.revoke_client(client_id, ctx.clock()):
            raise DomainError.of("NOT_FOUND", "no such active client", "clientId")


async def authenticate_client(
    ctx: ServiceContext, client_id: str, secret: str, checker: SecretChecker
) -> Principal | None:
    """The principal for valid, unrevoked client credentials; None otherwise. An unknown
    client id costs the same secret check as a known one, so timing does not tell them apart."""
    async with ctx.store.read() as uow:
        client = await uow.organizations.client(client_id)
    stored = client.secret_hash if client is not None else DUMMY_HASH
    valid = await checker.verify(secret, stored)
    if client is None or not valid or client.revoked_at is not None:
        return None
    return Principal(
        client_id=client.id,
        organization_id=client.organization_id,
        kind=OrganizationKind(client.organization_kind),
        scopes=client.scopes,
    )


async def client_is_active(ctx: ServiceContext, client_id: str) -> bool:
    async with ctx.store.read() as uow:
        client = await uow.organizations.client(client_id)
    return client is not None and client.revoked_at is None


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
    rule_id, _ = await _add_rule(ctx, creditor_id, agency_id, country, product, priority, ())
    return rule_id


@dataclass(frozen=True)
class SplitRule:
    rule_id: str
    #: What ``agencyPerformance(experimentId:)`` compares the arms by.
    experiment_id: str


async def create_split_rule(
    ctx: ServiceContext,
    *,
    creditor_id: str,
    weights: Sequence[Weight],
    country: str | None = None,
    product: str | None = None,
    priority: int = 100,
) -> SplitRule:
    """Split the creditor's matching placements between agencies by weight (champion/
    challenger, ``hub.domain.routing``); the first arm is the champion."""
    check_weights(weights)
    rule_id, experiment_id = await _add_rule(
        ctx, creditor_id, weights[0].agency_id, country, product, priority, weights
    )
    assert experiment_id is not None
    return SplitRule(rule_id, experiment_id)


async def _add_rule(
    ctx: ServiceContext,
    creditor_id: str,
    agency_id: str,
    country: str | None,
    product: str | None,
    priority: int,
    weights: Sequence[Weight],
) -> tuple[str, str | None]:
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
    async with ctx.store.transaction() as uow:
        agencies = [agency_id, *(w.agency_id for w in weights)]
        found = await uow.organizations.get_many([creditor_id, *agencies])
        if getattr(found.get(creditor_id), "kind", None) != OrganizationKind.CREDITOR.value:
            raise DomainError.of("NOT_FOUND", "no such creditor", "creditor")
        for agency in agencies:
            if getattr(found.get(agency), "kind", None) != OrganizationKind.AGENCY.value:
                raise DomainError.of("NOT_FOUND", "no such agency", "agency")
            check_same_mode(found[creditor_id].sandbox, found[agency].sandbox)
        rule_id = new_id("rr")
        experiment_id = new_id("exp") if weights else None
        await uow.organizations.add_routing_rule(
            rule_id,
            creditor_id,
            agency_id,
            country,
            product,
            priority,
            ctx.clock(),
            weights=weights,
            experiment_id=experiment_id,
        )
    return rule_id, experiment_id


async def routes_to(ctx: ServiceContext, creditor_id: str, agency_id: str) -> bool:
    """Whether some routing rule of the creditor sends accounts to the agency."""
    async with ctx.store.read() as uow:
        return await uow.organizations.routes_to(creditor_id, agency_id)


async def find_organization_by_name(
    ctx: ServiceContext, kind: OrganizationKind, name: str, *, sandbox: bool
) -> Organization | None:
    """The oldest organization of this kind, name and mode (sandbox or live)."""
    async with ctx.store.read() as uow:
        return await uow.organizations.by_name(kind.value, name, sandbox=sandbox)


async def visible_organizations(
    ctx: ServiceContext, principal: Principal, ids: Sequence[str]
) -> dict[str, Organization]:
    """Organizations among ``ids`` that the principal may see: its own, and the
    counterparties of the accounts it can see."""
    async with ctx.store.read() as uow:
        return await uow.organizations.visible(principal, ids)
