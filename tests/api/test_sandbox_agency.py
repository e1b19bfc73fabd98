"""The simulated sandbox agency plays each scenario through the real use cases: the
creditor's feed shows the events the scenario promises, in order."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.sandbox_scenarios import DEFAULT_SCENARIO, scenarios
from hub.domain.vocabulary import ContactChannel
from hub.services import accounts as account_service
from hub.services import compliance
from hub.services import organizations as organization_service
from hub.services.sandbox_agency import run_due
from hub.store.sandbox_steps import StoredStep
from hub.store.tables import sandbox_steps
from tests.conftest import Backend, Caller, place

FEED = "{ events(first: 100) { nodes { type } } }"
ACCOUNT = "query A($id: ID!) { account(id: $id) { agency { id } } }"
CONTACTS = "query C($id: ID!) { account(id: $id) { contactAttempts { occurredAt } } }"
LONDON = ZoneInfo("Europe/London")


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
    """Run the agency over the scenario's days, and a week more for contacts put off to
    the next allowed time (with the steps after them)."""
    per_day = backend.settings.sandbox_seconds_per_day
    start = dt.datetime.now(dt.UTC)
    for day in range(days + 8):
        await run_due(backend.services, start + dt.timedelta(seconds=day * per_day + 1))


@pytest.mark.parametrize("name", sorted(scenarios()))
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


async def test_the_customer_email_tag_chooses_the_scenario(
    backend: Backend, make_caller: Any
) -> None:
    creditor = await _simulated_pair(make_caller, backend)
    await place(creditor, customer={"email": "ada+pays_in_full@example.com"})
    await _play(backend, 3)
    types = [n["type"] for n in (await creditor.data(FEED))["events"]["nodes"]]
    assert types == list(scenarios()["pays_in_full"].events)
    assert types != list(scenarios()[DEFAULT_SCENARIO].events)


def _night_a_week_after(after: dt.datetime) -> dt.datetime:
    """03:00 in London a week after ``after``: the British pack allows no contact on any
    channel then (08:00 to 21:00 only)."""
    local = after.astimezone(LONDON) + dt.timedelta(days=7)
    return dt.datetime.combine(local.date(), dt.time(3), LONDON).astimezone(dt.UTC)


async def test_a_refused_contact_waits_for_the_next_allowed_time_with_the_later_steps(
    backend: Backend, make_caller: Any
) -> None:
    creditor = await _simulated_pair(make_caller, backend)
    british = {
        "country": "GB",
        "timezone": "Europe/London",
        "language": "en-GB",
        "phone": "+447700900123",
    }
    pounds = {"amountMinor": 8999, "currency": "GBP"}
    placed = await place(
        creditor,
        customer=british,
        originalAmount=pounds,
        balance=pounds,
        metadata={"sandboxScenario": "manual"},
    )
    account_id = placed["account"]["id"]
    await run_due(backend.services)  # the manual scenario's marker: the account is scheduled
    night = _night_a_week_after(dt.datetime.now(dt.UTC))
    agency_id = (await creditor.data(ACCOUNT, {"id": account_id}))["account"]["agency"]["id"]
    sim = Principal("test", agency_id, OrganizationKind.AGENCY, frozenset())
    await account_service.acknowledge_placement(
        backend.services, sim, account_id, agency_reference=None
    )
    now = dt.datetime.now(dt.UTC)
    rows = [  # the unreachable scenario's first two contacts, made to act on a night
        StoredStep("sst_test1", account_id, agency_id, "unreachable", 1, now, night),
        StoredStep(
            "sst_test2",
            account_id,
            agency_id,
            "unreachable",
            2,
            now + dt.timedelta(hours=1),
            night + dt.timedelta(days=2),
        ),
    ]
    async with backend.services.store.transaction() as uow:
        await uow.sandbox_steps.add(rows)
    decision = await compliance.contact_permission(
        backend.services, sim, account_id, ContactChannel.EMAIL, night
    )
    assert not decision.allowed and decision.next_allowed_at is not None
    delay = decision.next_allowed_at - night

    await run_due(backend.services, now)  # put off: nothing contacted yet
    assert await _contacts(creditor, account_id) == []
    moved = await _steps(backend, account_id)
    assert moved["sst_test1"].acts_at == decision.next_allowed_at
    assert moved["sst_test2"].acts_at == night + dt.timedelta(days=2) + delay
    assert moved["sst_test1"].due_at > now and moved["sst_test2"].due_at > moved["sst_test1"].due_at

    await run_due(backend.services, now + dt.timedelta(days=1))
    assert await _contacts(creditor, account_id) == [
        decision.next_allowed_at,
        night + dt.timedelta(days=2) + delay,
    ]


async def _contacts(creditor: Caller, account_id: str) -> list[dt.datetime]:
    found = (await creditor.data(CONTACTS, {"id": account_id}))["account"]["contactAttempts"]
    return [dt.datetime.fromisoformat(c["occurredAt"].replace("Z", "+00:00")) for c in found]


async def _steps(backend: Backend, account_id: str) -> dict[str, StoredStep]:
    c = sandbox_steps.c
    async with backend.services.store.read() as uow:
        rows = await uow.conn.execute(sa.select(sandbox_steps).where(c.account_id == account_id))
    return {
        r.id: StoredStep(
            r.id, r.account_id, r.agency_id, r.scenario, r.position, r.due_at, r.acts_at
        )
        for r in rows
    }
