"""Every scenario on a test clock, in real processes (a server and a separate worker, on
SQLite and PostgreSQL): accounts placed on a clock do nothing on the wall clock; one
``advanceTestClock(by: "P120D", wait: true)`` plays each to its end, with exactly the events
its scenario promises, in order, each dated at the clock's time within the four months;
``test_clock.ready`` follows, and every webhook (``test_clock.ready`` included) reaches a
real receiver with a body that validates against its schema."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from hub.domain.sandbox_scenarios import scenarios
from tests.api.test_event_schemas import check_event, problems
from tests.conftest import placement
from tests.e2e.conftest import HubServer
from tests.e2e.receiver import Receiver, json_of
from tests.e2e.test_simulated_agency import _by_account, _feed, _simulated_creditor, _token
from tests.e2e.test_webhooks import _endpoint, _gql

START = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
CREATE = """mutation($input: CreateTestClockInput!) { createTestClock(input: $input) {
  testClock { id } userErrors { code } } }"""
ADVANCE = """mutation($input: AdvanceTestClockInput!) { advanceTestClock(input: $input) {
  testClock { status frozenTime } userErrors { code message } } }"""
PLACE = """mutation($input: PlaceAccountInput!) { placeAccount(input: $input) {
  account { id } userErrors { field code } } }"""


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.slow  # about 30 s on SQLite, 60 s on PostgreSQL
async def test_every_scenario_on_a_clock_plays_out_over_months_in_one_advance(
    hub_server: HubServer,
) -> None:
    hub_server.env.update(
        # A wall-clock scenario day lasts an hour: only the clock can move these accounts.
        EVENLY_SANDBOX_SECONDS_PER_DAY="3600",
        EVENLY_SANDBOX_INTERVAL_SECONDS="0.1",
        EVENLY_ALLOW_LOOPBACK_WEBHOOKS="1",
    )
    hub_server.start("--no-worker")
    hub_server.start_worker()
    receiver = Receiver()
    await receiver.start()
    try:
        creditor = await _simulated_creditor(hub_server)
        token = await _token(hub_server, creditor)
        await _endpoint(hub_server, token, receiver.url)  # every event type
        clock = (
            await _gql(hub_server, token, CREATE, {"input": {"frozenTime": START.isoformat()}})
        )["createTestClock"]["testClock"]
        expected: dict[str, str] = {}
        for name in sorted(scenarios()):
            item = {**placement(metadata={"sandboxScenario": name}), "testClockId": clock["id"]}
            placed = (await _gql(hub_server, token, PLACE, {"input": item}))["placeAccount"]
            assert placed["userErrors"] == [], placed
            expected[placed["account"]["id"]] = name
        await asyncio.sleep(1.0)  # the worker runs ten times: nothing moves on the wall clock
        before = _by_account(await _feed(hub_server, token))
        assert {a: [e["type"] for e in before[a]] for a in expected} == {
            a: ["account.placed", "account.assigned"] for a in expected
        }
        advanced = (
            await _gql(
                hub_server,
                token,
                ADVANCE,
                {"input": {"id": clock["id"], "by": "P120D", "wait": True}},
            )
        )["advanceTestClock"]
        assert advanced["userErrors"] == []
        assert advanced["testClock"]["status"] == "READY"
        end = START + dt.timedelta(days=120)
        assert _time(advanced["testClock"]["frozenTime"]) == end
        feed = await _feed(hub_server, token)
        played = _by_account(feed)
        assert {a: [e["type"] for e in played[a]] for a in expected} == {
            a: list(scenarios()[name].events) for a, name in expected.items()
        }
        for account in expected:
            times = [_time(e["occurredAt"]) for e in played[account]]
            assert times == sorted(times), account
            assert times[0] >= START and times[-1] <= end, (account, times)
        [ready] = [e for e in feed if e["type"] == "test_clock.ready"]
        assert (ready["data"]["testClockId"], _time(ready["data"]["frozenTime"])) == (
            clock["id"],
            end,
        )
        events = {e["id"]: e for account in expected for e in played[account]}
        events[ready["id"]] = ready
        await receiver.wait_for(lambda: set(receiver.delivered_ids()) >= set(events))
        delivered = [r for r in receiver.received if r.headers["webhook-id"] in events]
        assert sorted(r.headers["webhook-id"] for r in delivered) == sorted(events)
        for received in delivered:
            body = json_of(received)
            assert problems(received.body) == [], (body["type"], body)
            if body["type"] != "test_clock.ready":
                check_event(body, creditor["organization_id"])
            event = events[received.headers["webhook-id"]]
            assert body == {
                "type": event["type"],
                "timestamp": event["occurredAt"],
                "livemode": False,
                "data": event["data"],
            }
    finally:
        await receiver.stop()
