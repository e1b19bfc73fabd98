"""The routing rule as SQL (what a placement's INSERT runs) chooses the agency the pure rule
chooses, over many random sets of rules."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from hub.domain.ids import new_id
from hub.domain.routing import RoutingRule, choose_agency
from hub.store import routing
from hub.store.tables import organizations, routing_rules
from tests.conftest import Backend

COUNTRIES = ["SE", "GB", "DE"]
PRODUCTS = ["BNPL_INVOICE", "CARD"]


def _rules(chance: random.Random, agencies: dict[str, bool]) -> list[RoutingRule]:
    """Random rules to ``agencies`` (id: whether it is a sandbox organization), some across
    modes: written straight to the table, past the refusal a real rule would meet."""
    return [
        RoutingRule(
            new_id("rr"),
            agency,
            chance.choice([None, *COUNTRIES]),
            chance.choice([None, *PRODUCTS]),
            chance.randint(0, 3),
            agency_sandbox=agencies[agency],
        )
        for agency in (chance.choice(sorted(agencies)) for _ in range(chance.randint(0, 6)))
    ]


async def test_the_sql_rule_chooses_as_the_pure_rule_does(backend: Backend) -> None:
    now = dt.datetime.now(dt.UTC)
    creditors = {f"org_{uuid.uuid4().hex[:12]}": sandbox for sandbox in (False, True)}
    agencies = {f"org_{uuid.uuid4().hex[:12]}": i % 2 == 1 for i in range(4)}
    async with backend.services.db.transaction() as conn:
        await conn.execute(
            organizations.insert(),
            [
                {"id": i, "kind": k, "name": i, "country": "SE", "created_at": now, "sandbox": s}
                for i, k, s in [
                    *((c, "CREDITOR", s) for c, s in creditors.items()),
                    *((a, "AGENCY", s) for a, s in agencies.items()),
                ]
            ],
        )
    chance = random.Random(20261201)
    for _ in range(80):
        creditor = chance.choice(sorted(creditors))
        rules = _rules(chance, agencies)
        country, product = chance.choice(COUNTRIES), chance.choice(PRODUCTS)
        async with backend.services.db.transaction() as conn:
            await conn.execute(
                routing_rules.delete().where(routing_rules.c.creditor_id == creditor)
            )
            if rules:
                await conn.execute(
                    routing_rules.insert(),
                    [
                        {
                            "id": r.id,
                            "creditor_id": creditor,
                            "agency_id": r.agency_id,
                            "country": r.country,
                            "product": r.product,
                            "priority": r.priority,
                            "created_at": now,
                        }
                        for r in rules
                    ],
                )
            chosen = await routing.route(conn, creditor, country, product)
        expected = choose_agency(rules, country, product, sandbox=creditors[creditor])
        assert chosen == expected, (rules, country, product)
        if chosen is not None:
            assert agencies[chosen] == creditors[creditor]
