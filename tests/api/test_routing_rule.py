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


def _rules(chance: random.Random, agencies: list[str]) -> list[RoutingRule]:
    return [
        RoutingRule(
            new_id("rr"),
            chance.choice(agencies),
            chance.choice([None, *COUNTRIES]),
            chance.choice([None, *PRODUCTS]),
            chance.randint(0, 3),
        )
        for _ in range(chance.randint(0, 6))
    ]


async def test_the_sql_rule_chooses_as_the_pure_rule_does(backend: Backend) -> None:
    now = dt.datetime.now(dt.UTC)
    creditor = f"org_{uuid.uuid4().hex[:12]}"
    agencies = [f"org_{uuid.uuid4().hex[:12]}" for _ in range(3)]
    async with backend.services.db.transaction() as conn:
        await conn.execute(
            organizations.insert(),
            [
                {"id": i, "kind": k, "name": i, "country": "SE", "created_at": now}
                for i, k in [(creditor, "CREDITOR"), *((a, "AGENCY") for a in agencies)]
            ],
        )
    chance = random.Random(20261201)
    for _ in range(60):
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
        assert chosen == choose_agency(rules, country, product), (rules, country, product)
