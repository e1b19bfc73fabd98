"""Routing rules, evaluated by the database on both backends (hub.store.routing)."""

from __future__ import annotations

from typing import Any

from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from hub.store.routing import route
from tests.conftest import Backend, Caller


async def _world(
    make_caller: Any, backend: Backend, rules: list[dict[str, Any]]
) -> tuple[str, dict[str, str]]:
    """A creditor with ``rules`` (in creation order) to fresh agencies named by each rule."""
    creditor: Caller = await make_caller(OrganizationKind.CREDITOR)
    agencies: dict[str, str] = {}
    for spec in rules:
        name = spec.pop("agency")
        if name not in agencies:
            agencies[name] = (await make_caller(OrganizationKind.AGENCY)).organization_id
        await organization_service.create_routing_rule(
            backend.services, creditor_id=creditor.organization_id, agency_id=agencies[name], **spec
        )
    return creditor.organization_id, agencies


async def _route(backend: Backend, creditor: str, country: str, product: str) -> str | None:
    async with backend.services.db.read() as conn:
        return await route(conn, creditor, country, product)


async def test_lowest_priority_number_wins_then_the_oldest_rule(
    make_caller: Any, backend: Backend
) -> None:
    creditor, ag = await _world(
        make_caller,
        backend,
        [
            {"agency": "anything", "priority": 90},
            {"agency": "fi", "country": "FI", "priority": 10},
            {"agency": "se_loans", "country": "SE", "product": "LOAN", "priority": 20},
            {"agency": "se", "country": "SE", "priority": 30},
            {"agency": "se_late", "country": "SE", "priority": 30},
        ],
    )
    assert await _route(backend, creditor, "SE", "LOAN") == ag["se_loans"]
    assert await _route(backend, creditor, "SE", "CARD") == ag["se"]
    assert await _route(backend, creditor, "FI", "LOAN") == ag["fi"]
    assert await _route(backend, creditor, "NO", "CARD") == ag["anything"]


async def test_an_earlier_wildcard_rule_shadows_a_later_specific_one(
    make_caller: Any, backend: Backend
) -> None:
    creditor, ag = await _world(
        make_caller,
        backend,
        [
            {"agency": "catch_all", "priority": 1},
            {"agency": "se_card", "country": "SE", "product": "CARD", "priority": 2},
        ],
    )
    assert await _route(backend, creditor, "SE", "CARD") == ag["catch_all"]


async def test_an_empty_country_or_product_matches_anything_the_other_must_match(
    make_caller: Any, backend: Backend
) -> None:
    creditor, ag = await _world(
        make_caller,
        backend,
        [{"agency": "bnpl", "product": "BNPL_INVOICE"}, {"agency": "de", "country": "DE"}],
    )
    assert await _route(backend, creditor, "US", "BNPL_INVOICE") == ag["bnpl"]
    assert await _route(backend, creditor, "DE", "BNPL_INVOICE") == ag["bnpl"]
    assert await _route(backend, creditor, "DE", "LOAN") == ag["de"]
    assert await _route(backend, creditor, "AT", "LOAN") is None


async def test_no_rules_or_no_match_means_no_agency(make_caller: Any, backend: Backend) -> None:
    creditor, _ = await _world(make_caller, backend, [{"agency": "fi", "country": "FI"}])
    assert await _route(backend, creditor, "SE", "LOAN") is None
    lonely, _ = await _world(make_caller, backend, [])
    assert await _route(backend, lonely, "SE", "LOAN") is None


async def test_rules_of_other_creditors_do_not_apply(make_caller: Any, backend: Backend) -> None:
    _, _ = await _world(make_caller, backend, [{"agency": "theirs"}])
    mine, _ = await _world(make_caller, backend, [])
    assert await _route(backend, mine, "SE", "LOAN") is None


async def test_routing_many_combinations_at_once_agrees_with_one_at_a_time(
    make_caller: Any, backend: Backend
) -> None:
    from hub.store.routing import route_many

    creditor, _ = await _world(
        make_caller,
        backend,
        [
            {"agency": "se_loans", "country": "SE", "product": "LOAN"},
            {"agency": "gb", "country": "GB"},
        ],
    )
    combinations = [("SE", "LOAN"), ("SE", "CARD"), ("GB", "CARD"), ("DE", "LOAN")]
    async with backend.services.db.read() as conn:
        together = await route_many(conn, creditor, combinations)
    for country, product in combinations:
        assert together[(country, product)] == await _route(backend, creditor, country, product)
    assert together[("SE", "CARD")] is None and together[("GB", "CARD")] is not None
