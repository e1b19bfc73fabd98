"""Test clocks: create, read, advance (asynchronous, or waited on), delete; every limit and
refusal with its code; isolation (another organization's clock, live organizations); and
accounts on a clock living at its time (the simulated agency's steps, plan breaking after
the grace period, ``occurredAt``), with ``test_clock.ready`` at the end."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.money import Money
from hub.domain.payment_plan import Cadence
from hub.services import accounts as account_service
from hub.services import organizations as organization_service
from hub.services import plans
from hub.services.clock_advance import run_advancing
from hub.services.sandbox_agency import schedule_new
from tests.api.test_event_schemas import as_webhook_body, problems
from tests.conftest import Backend, Caller, placement

CREATE = """mutation($input: CreateTestClockInput!) { createTestClock(input: $input) {
  testClock { id name status frozenTime advancingTo } userErrors { field code message } } }"""
ADVANCE = """mutation($input: AdvanceTestClockInput!) { advanceTestClock(input: $input) {
  testClock { id status frozenTime advancingTo } userErrors { field code message } } }"""
DELETE = """mutation($input: DeleteTestClockInput!) { deleteTestClock(input: $input) {
  deleted userErrors { field code } } }"""
GET = """query($id: ID!) { testClock(id: $id) { id name status frozenTime } }"""
PLACE = """mutation($input: PlaceAccountInput!) { placeAccount(input: $input) {
  account { id } userErrors { field code } } }"""
EVENTS = """query($id: ID!) { account(id: $id) { status events(first: 50) {
  nodes { type occurredAt } } } }"""
FEED = "{ events(first: 100) { nodes { type occurredAt data livemode } } }"
START = "2026-01-05T09:00:00Z"
T0 = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _create(caller: Caller, at: str = START, name: str | None = "q1") -> dict[str, Any]:
    body = await caller.data(CREATE, {"input": {"frozenTime": at, "name": name}})
    payload: dict[str, Any] = body["createTestClock"]
    return payload


async def _advance(caller: Caller, **input_: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await caller.data(ADVANCE, {"input": input_}))["advanceTestClock"]
    return payload


def _codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


async def _simulated(backend: Backend, creditor: Caller) -> str:
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
    return str(agency.organization_id)


async def _place_on(caller: Caller, clock_id: str, scenario: str) -> str:
    item = placement(metadata={"sandboxScenario": scenario})
    body = await caller.data(PLACE, {"input": {**item, "testClockId": clock_id}})
    assert body["placeAccount"]["userErrors"] == []
    return str(body["placeAccount"]["account"]["id"])


async def test_a_clock_is_created_read_advanced_by_the_worker_and_deleted(
    make_caller: Any, backend: Backend
) -> None:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    created = await _create(creditor)
    assert created["userErrors"] == []
    clock = created["testClock"]
    assert (clock["name"], clock["status"], _time(clock["frozenTime"])) == ("q1", "READY", T0)
    assert clock["id"].startswith("clk_")
    # Asynchronous: the advance marks it ADVANCING; the worker's runner moves it.
    advancing = await _advance(creditor, id=clock["id"], by="P7D")
    assert advancing["userErrors"] == []
    assert advancing["testClock"]["status"] == "ADVANCING"
    assert _time(advancing["testClock"]["advancingTo"]) == T0 + dt.timedelta(days=7)
    again = await _advance(creditor, id=clock["id"], by="P1D")
    assert _codes(again) == ["TEST_CLOCK_ADVANCING"]
    assert await run_advancing(backend.services) == 1
    read = (await creditor.data(GET, {"id": clock["id"]}))["testClock"]
    assert (read["status"], _time(read["frozenTime"])) == ("READY", T0 + dt.timedelta(days=7))
    ready = [
        e for e in (await creditor.data(FEED))["events"]["nodes"] if e["type"] == "test_clock.ready"
    ]
    assert [(e["data"]["testClockId"], e["data"]["status"], e["livemode"]) for e in ready] == [
        (clock["id"], "READY", False)
    ]
    assert _time(ready[0]["data"]["frozenTime"]) == T0 + dt.timedelta(days=7)
    assert problems(json.loads(as_webhook_body(ready[0])), "test_clock.ready") == []
    # to: an absolute time, waited on.
    waited = await _advance(creditor, id=clock["id"], to="2026-02-01T00:00:00Z", wait=True)
    assert waited["testClock"]["status"] == "READY"
    assert _time(waited["testClock"]["frozenTime"]) == dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    deleted = (await creditor.data(DELETE, {"input": {"id": clock["id"]}}))["deleteTestClock"]
    assert deleted == {"deleted": True, "userErrors": []}
    assert (await creditor.data(GET, {"id": clock["id"]}))["testClock"] is None
    gone = await _advance(creditor, id=clock["id"], by="P1D")
    assert _codes(gone) == ["NOT_FOUND"]
    twice = (await creditor.data(DELETE, {"input": {"id": clock["id"]}}))["deleteTestClock"]
    assert twice["deleted"] is False
    assert [e["code"] for e in twice["userErrors"]] == ["NOT_FOUND"]


@pytest.mark.parametrize(
    ("input_", "code"),
    [
        ({"to": "2026-01-04T09:00:00Z"}, "TEST_CLOCK_BACKWARDS"),
        ({"by": "P732D"}, "TEST_CLOCK_ADVANCE_TOO_LONG"),
        ({"to": "2028-01-07T09:00:00Z"}, "TEST_CLOCK_ADVANCE_TOO_LONG"),
        ({}, "INVALID_TEST_CLOCK_ADVANCE"),
        ({"to": "2026-02-01T00:00:00Z", "by": "P1D"}, "INVALID_TEST_CLOCK_ADVANCE"),
        ({"by": "P1M"}, "INVALID_TEST_CLOCK_ADVANCE"),
        ({"by": "seven days"}, "INVALID_TEST_CLOCK_ADVANCE"),
        ({"by": "P"}, "INVALID_TEST_CLOCK_ADVANCE"),
        ({"by": "PT"}, "INVALID_TEST_CLOCK_ADVANCE"),
    ],
)
async def test_an_advance_beyond_the_limits_is_refused_with_its_code(
    make_caller: Any, input_: dict[str, Any], code: str
) -> None:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    clock_id = (await _create(creditor))["testClock"]["id"]
    refused = await _advance(creditor, id=clock_id, **input_)
    assert (_codes(refused), refused["testClock"]) == ([code], None)
    read = (await creditor.data(GET, {"id": clock_id}))["testClock"]
    assert (read["status"], _time(read["frozenTime"])) == ("READY", T0)


async def test_two_years_exactly_is_allowed(make_caller: Any) -> None:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    clock_id = (await _create(creditor))["testClock"]["id"]
    assert (await _advance(creditor, id=clock_id, by="P731D"))["userErrors"] == []


async def test_an_organization_has_at_most_ten_clocks(make_caller: Any) -> None:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    ids = [(await _create(creditor))["testClock"]["id"] for _ in range(10)]
    refused = await _create(creditor)
    assert (_codes(refused), refused["testClock"]) == (["TEST_CLOCK_LIMIT"], None)
    await creditor.data(DELETE, {"input": {"id": ids[0]}})
    assert (await _create(creditor))["userErrors"] == []  # a deleted clock no longer counts


async def test_clocks_created_at_once_stay_within_the_limit(make_caller: Any) -> None:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    made = await asyncio.gather(*(_create(creditor, name=f"c{i}") for i in range(14)))
    assert sorted(c for p in made for c in _codes(p)) == ["TEST_CLOCK_LIMIT"] * 4
    assert sum(p["testClock"] is not None for p in made) == 10


async def test_a_clock_needs_a_time_zone_and_a_short_name(make_caller: Any) -> None:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    naive = await creditor.graphql(CREATE, {"input": {"frozenTime": "2026-01-05T09:00:00"}})
    assert naive["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _codes(await _create(creditor, name="x" * 101)) == ["INVALID_TEST_CLOCK"]


async def test_another_organizations_clock_is_not_found(make_caller: Any) -> None:
    owner = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    other = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    clock_id = (await _create(owner))["testClock"]["id"]
    assert (await other.data(GET, {"id": clock_id}))["testClock"] is None
    assert _codes(await _advance(other, id=clock_id, by="P1D")) == ["NOT_FOUND"]
    refused = (await other.data(DELETE, {"input": {"id": clock_id}}))["deleteTestClock"]
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    item = {**placement(), "testClockId": clock_id}
    placed = (await other.data(PLACE, {"input": item}))["placeAccount"]
    assert placed["account"] is None
    assert placed["userErrors"] == [{"field": ["testClockId"], "code": "NOT_FOUND"}]
    assert (await owner.data(GET, {"id": clock_id}))["testClock"]["status"] == "READY"


async def test_a_live_organization_is_forbidden(make_caller: Any) -> None:
    live = await make_caller(OrganizationKind.CREDITOR)
    for query, variables in [
        (CREATE, {"input": {"frozenTime": START}}),
        (ADVANCE, {"input": {"id": "clk_x", "by": "P1D"}}),
        (DELETE, {"input": {"id": "clk_x"}}),
        (GET, {"id": "clk_x"}),
    ]:
        body = await live.graphql(query, variables)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN", body
        assert error["extensions"]["reason"] == "SANDBOX_ONLY"
    placed = (await live.data(PLACE, {"input": {**placement(), "testClockId": "clk_x"}}))[
        "placeAccount"
    ]
    assert placed["userErrors"] == [{"field": ["testClockId"], "code": "SANDBOX_ONLY"}]


async def test_a_scenario_on_a_clock_plays_at_the_clocks_time(
    make_caller: Any, backend: Backend
) -> None:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    await _simulated(backend, creditor)
    clock_id = (await _create(creditor))["testClock"]["id"]
    account_id = await _place_on(creditor, clock_id, "plan_then_pays")
    placed = (await creditor.data(EVENTS, {"id": account_id}))["account"]
    assert [_time(e["occurredAt"]) for e in placed["events"]["nodes"]] == [T0, T0]
    # Nothing happens on the wall clock: the wall-clock runner never sees its steps.
    await schedule_new(backend.services, dt.datetime.now(dt.UTC))
    async with backend.services.store.read() as uow:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
        due = await uow.sandbox_steps.due(later, 100_000)
        assert account_id not in {s.account_id for s in due}
        on_clock = await uow.sandbox_steps.due_on_clock(clock_id, T0 + dt.timedelta(days=30), 100)
        assert {s.account_id for s in on_clock} == {account_id}
    assert (await creditor.data(EVENTS, {"id": account_id}))["account"]["status"] == "PLACED"
    done = await _advance(creditor, id=clock_id, by="P30D", wait=True)
    assert done["testClock"]["status"] == "READY"
    account = (await creditor.data(EVENTS, {"id": account_id}))["account"]
    assert account["status"] == "PAID"
    nodes = account["events"]["nodes"]
    assert [e["type"] for e in nodes] == [
        "account.placed",
        "account.assigned",
        "account.acknowledged",
        "contact.attempted",
        "payment_plan.created",
        "payment.received",
        "payment_plan.completed",
        "account.closed",
        "customer.rehabilitated",
    ]
    times = [_time(e["occurredAt"]) for e in nodes]
    assert times == sorted(times)
    assert times[0] >= T0 and times[-1] <= T0 + dt.timedelta(days=30)
    assert times[-1].date() >= (T0 + dt.timedelta(days=9)).date()  # the scenario's day 9


async def test_a_plan_on_a_clock_breaks_on_the_simulated_day_after_the_grace_period(
    make_caller: Any, backend: Backend
) -> None:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    agency_id = await _simulated(backend, creditor)
    clock_id = (await _create(creditor))["testClock"]["id"]
    account_id = await _place_on(creditor, clock_id, "manual")
    agency = Principal("agency", agency_id, OrganizationKind.AGENCY, frozenset())
    first_due = T0.date() + dt.timedelta(days=7)
    # A move through the API's use case on a clocked account happens at the clock's time.
    await account_service.acknowledge_placement(
        backend.services, agency, account_id, agency_reference="MANUAL-1"
    )
    applied = await plans.create_payment_plan(
        backend.services,
        agency,
        account_id,
        cadence=Cadence.WEEKLY,
        start_date=first_due,
        installment_amount=Money(25000, "SEK"),
        installments=None,
    )
    assert applied.account.status.value == "PAYMENT_PLAN"
    await _advance(creditor, id=clock_id, by="P60D", wait=True)
    nodes = (await creditor.data(EVENTS, {"id": account_id}))["account"]["events"]["nodes"]
    created = [_time(e["occurredAt"]) for e in nodes if e["type"] == "payment_plan.created"]
    assert created == [T0]
    acknowledged = [_time(e["occurredAt"]) for e in nodes if e["type"] == "account.acknowledged"]
    assert acknowledged == [T0]
    broken = [_time(e["occurredAt"]) for e in nodes if e["type"] == "payment_plan.broken"]
    grace = backend.settings.plan_grace_days
    assert [b.date() for b in broken] == [first_due + dt.timedelta(days=grace + 1)]


async def test_a_scenarios_plan_breaks_on_its_simulated_day_not_at_the_missed_step(
    make_caller: Any, backend: Backend
) -> None:
    """``plan_breaks``: the plan (day 2) starts a week later; the clock halts daily while it
    runs, so it breaks the day after the grace period, before the scenario's day-20 step."""
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    await _simulated(backend, creditor)
    clock_id = (await _create(creditor))["testClock"]["id"]
    account_id = await _place_on(creditor, clock_id, "plan_breaks")
    await _advance(creditor, id=clock_id, by="P40D", wait=True)
    nodes = (await creditor.data(EVENTS, {"id": account_id}))["account"]["events"]["nodes"]
    assert [e["type"] for e in nodes][-2:] == ["payment_plan.created", "payment_plan.broken"]
    first_due = (T0 + dt.timedelta(days=2)).date() + dt.timedelta(days=7)
    grace = backend.settings.plan_grace_days
    assert _time(nodes[-1]["occurredAt"]).date() == first_due + dt.timedelta(days=grace + 1)
