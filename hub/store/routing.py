"""Routing: which agency a creditor's new account goes to.

The rule: a creditor's routing rules are tried by ascending ``priority``, then by age; the
first whose ``country`` and ``product`` match (an empty one matches anything) gives the
agency; no match leaves the account unassigned; an agency of the other mode than the
creditor (sandbox or live) never matches. It is written as SQL so the placement INSERT
assigns the agency itself, without a round trip to read the rules first. A split rule's
arm is chosen by ``hub.domain.routing.arm_for`` (``Route.agency_for``); its arms are of the
creditor's mode, as every rule is checked when made.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.routing import Weight, arm_for
from hub.store.tables import organizations, routing_rules


def agency_for_account(name: str = "route") -> sa.ScalarSelect[Any]:
    """The agency of the first matching rule, as a scalar subquery over bound parameters.

    Its parameters are ``{name}_creditor_id``, ``{name}_country`` and ``{name}_product``
    (see ``route_parameters``); give each use in one statement its own ``name``. A split
    rule gives its first arm: ``experiment_for_account`` says when the arm is to be chosen.
    """
    return _first_rule(routing_rules.c.agency_id, name)


def experiment_for_account(name: str) -> sa.ScalarSelect[Any]:
    """The experiment of the first matching rule if it is a split rule (else null), with
    the parameters of ``agency_for_account``."""
    return _first_rule(routing_rules.c.experiment_id, name)


def _first_rule(column: Any, name: str) -> sa.ScalarSelect[Any]:
    rules = routing_rules.c
    agency = organizations.alias(f"{name}_agency")
    creditor = organizations.alias(f"{name}_creditor")
    return (
        sa.select(column)
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


@dataclass(frozen=True, slots=True)
class Route:
    """Where a segment goes: an agency, or a split between agencies by weight."""

    agency_id: str | None
    experiment_id: str | None = None
    weights: tuple[Weight, ...] = ()

    def agency_for(self, creditor_id: str, customer_id: str) -> str | None:
        """The agency of this customer's account."""
        if self.experiment_id is None or not self.weights:
            return self.agency_id
        return arm_for(creditor_id, customer_id, self.experiment_id, self.weights)


def weights_of(stored: Sequence[Mapping[str, Any]] | None) -> tuple[Weight, ...]:
    return tuple(Weight(w["agencyId"], int(w["percent"])) for w in stored or ())


async def route_many(
    conn: AsyncConnection, creditor_id: str, combinations: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str | None]:
    """The agency (a split's first arm) for each (country, product), in one query."""
    routes = await routes_many(conn, creditor_id, combinations)
    return {key: route.agency_id for key, route in routes.items()}


async def routes_many(
    conn: AsyncConnection, creditor_id: str, combinations: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Route]:
    """The route for each (country, product) of a creditor's new accounts, in one query."""
    parameters: dict[str, str] = {}
    for i, (country, product) in enumerate(combinations):
        parameters.update(route_parameters(creditor_id, country, product, f"route{i}"))
    row = (await conn.execute(_routes_query(len(combinations)), parameters)).one()
    return {
        key: Route(row[3 * i], row[3 * i + 1], weights_of(row[3 * i + 2]))
        for i, key in enumerate(combinations)
    }


@functools.lru_cache(maxsize=64)
def _routes_query(combinations: int) -> sa.Select[Any]:
    """The query of ``routes_many`` for this many combinations, built once: building it
    anew for every batch (nine scalar subqueries for three countries) cost more than the
    rest of the routing."""
    rules = routing_rules.c
    return sa.select(
        *(
            _first_rule(column, f"route{i}").label(f"route{i}_{n}")
            for i in range(combinations)
            for n, column in enumerate((rules.agency_id, rules.experiment_id, rules.weights))
        )
    )


async def splits(
    conn: AsyncConnection, creditor_id: str, experiment_ids: Sequence[str]
) -> dict[str, Route]:
    """The creditor's split rules of these experiments, by experiment id."""
    rules = routing_rules.c
    rows = await conn.execute(
        sa.select(rules.agency_id, rules.experiment_id, rules.weights).where(
            rules.creditor_id == creditor_id, rules.experiment_id.in_(list(experiment_ids))
        )
    )
    return {e: Route(a, e, weights_of(w)) for a, e, w in rows}
