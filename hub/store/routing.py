"""Routing: which agency a creditor's new account goes to.

The rule: a creditor's routing rules are tried by ascending ``priority``, then by age; the
first whose ``country`` and ``product`` match (an empty one matches anything) gives the
agency; no match leaves the account unassigned; an agency of the other mode than the
creditor (sandbox or live) never matches. It is written as SQL so the placement
INSERT assigns the agency itself, without a round trip to read the rules first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.store.tables import organizations, routing_rules


def agency_for_account(name: str = "route") -> sa.ScalarSelect[Any]:
    """The agency of the first matching rule, as a scalar subquery over bound parameters.

    Its parameters are ``{name}_creditor_id``, ``{name}_country`` and ``{name}_product``
    (see ``route_parameters``); give each use in one statement its own ``name``.
    """
    rules = routing_rules.c
    agency = organizations.alias(f"{name}_agency")
    creditor = organizations.alias(f"{name}_creditor")
    return (
        sa.select(rules.agency_id)
        .join(agency, agency.c.id == rules.agency_id)
        .join(creditor, creditor.c.id == rules.creditor_id)
        .where(
            rules.creditor_id == sa.bindparam(f"{name}_creditor_id"),
            sa.or_(rules.country.is_(None), rules.country == sa.bindparam(f"{name}_country")),
            sa.or_(rules.product.is_(None), rules.product == sa.bindparam(f"{name}_product")),
            # Sandbox and live never mix (hub.domain.sandbox).
            agency.c.sandbox == creditor.c.sandbox,
        )
        .order_by(rules.priority, rules.id)
        .limit(1)
        .scalar_subquery()
    )


def route_parameters(
    creditor_id: str, country: str, product: str, name: str = "route"
) -> dict[str, str]:
    return {
        f"{name}_creditor_id": creditor_id,
        f"{name}_country": country,
        f"{name}_product": product,
    }


async def route(conn: AsyncConnection, creditor_id: str, country: str, product: str) -> str | None:
    """The agency a new account of this creditor, country and product would go to."""
    result = await conn.execute(
        sa.select(agency_for_account()), route_parameters(creditor_id, country, product)
    )
    value: str | None = result.scalar_one()
    return value


async def route_many(
    conn: AsyncConnection, creditor_id: str, combinations: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str | None]:
    """The agency for each (country, product) of a creditor's new accounts, in one query."""
    names = [f"route{i}" for i in range(len(combinations))]
    query = sa.select(*(agency_for_account(name).label(name) for name in names))
    parameters: dict[str, str] = {}
    for name, (country, product) in zip(names, combinations, strict=True):
        parameters.update(route_parameters(creditor_id, country, product, name))
    row = (await conn.execute(query, parameters)).one()
    return dict(zip(combinations, row, strict=True))
