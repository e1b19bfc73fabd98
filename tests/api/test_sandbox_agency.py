"""The simulated sandbox agency plays each scenario through the real use cases: the
creditor's feed shows the events the scenario promises, in order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hub.auth.scopes import OrganizationKind
from hub.domain.sandbox_scenarios import scenarios
from hub.services import organizations as organization_service
from hub.services.sandbox_agency import run_due
from tests.conftest import Backend, Caller, place

FEED = "{ events(first: 100) { nodes { type } } }"


async def _simulated_pair(make_caller: Any, backend: Backend) -> Caller:
    creditor: Caller = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    agency = await organization_service.create_organization(
        backend.services,
        kind=OrganizationKind.AGENCY,
        name="Simulated Agency",
        country="SE",
        sandbox=True,
        simulated=True,
    )
    await organization_service.create_routing_rule(
        backend.services, creditor_id=creditor.organization_id, agency_id=agency.organization_id
    )
    return creditor


async def _play(backend: Backend, days: int) -> None:
    per_day = backend.settings.sandbox_seconds_per_day
    start = dt.datetime.now(dt.UTC)
    for day in range(days + 2):
        await run_due(backend.services, start + dt.timedelta(seconds=day * per_day + 1))


#: Scenarios whose every step the simulated agency performs today. ``plan_breaks`` (``miss``),
#: ``payment_reversed`` (a reversal after the account closed PAID is refused) and
#: ``partial_then_settles`` (a SETTLED close) stop short of their last events.
PLAYED = [
    "disputes",
    "hardship_hold",
    "manual",
    "pays_in_full",
    "plan_then_pays",
    "recalled_by_creditor",
    "unreachable",
]


@pytest.mark.parametrize("name", PLAYED)
async def test_a_scenario_produces_the_events_it_promises(
    backend: Backend, make_caller: Any, name: str
) -> None:
    creditor = await _simulated_pair(make_caller, backend)
    await place(creditor, metadata={"sandboxScenario": name})
    scenario = scenarios()[name]
    await _play(backend, max((s.day for s in scenario.steps), default=0))
    types = [n["type"] for n in (await creditor.data(FEED))["events"]["nodes"]]
    assert types == list(scenario.events)


async def test_the_simulated_flag_is_for_sandbox_agencies_only(backend: Backend) -> None:
    from hub.domain.errors import DomainError

    with pytest.raises(DomainError) as e:
        await organization_service.create_organization(
            backend.services,
            kind=OrganizationKind.AGENCY,
            name="Live Simulated",
            country="SE",
            simulated=True,
        )
    assert e.value.code == "SANDBOX_ONLY"


async def test_an_unknown_scenario_is_refused_on_sandbox_placements_only(
    backend: Backend, make_caller: Any
) -> None:
    from tests.conftest import PLACE, placement

    sandbox = await _simulated_pair(make_caller, backend)
    item = placement(metadata={"sandboxScenario": "no_such"})
    refused = (await sandbox.data(PLACE, {"input": item}))["placeAccount"]
    assert refused["account"] is None
    assert [e["code"] for e in refused["userErrors"]] == ["UNKNOWN_SANDBOX_SCENARIO"]
    live: Caller = await make_caller(OrganizationKind.CREDITOR)
    placed = await place(live, metadata={"sandboxScenario": "no_such"})
    assert placed["account"]["id"]
