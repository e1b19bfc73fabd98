"""Lanes: how much of a delivery worker each endpoint may hold."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given
from hypothesis import strategies as st

from hub.delivery.pacing import UNRECORDED_BATCHES, Lanes, claim_room
from hub.store.delivery_queue import Delivery

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


def _delivery(endpoint_id: str) -> Delivery:
    return Delivery(
        message_id=next(_ids),
        endpoint_id=endpoint_id,
        url="https://93.184.216.34/hook",
        event_id="evt_1",
        event_type="account.placed",
        occurred_at=NOW,
        data={},
        attempts=1,
        lease_until=NOW + dt.timedelta(seconds=60),
        endpoint_version=NOW,
    )


def _fill(lanes: Lanes, endpoint_id: str, count: int) -> None:
    for _ in range(count):
        lanes.add(_delivery(endpoint_id))


def _start_all(lanes: Lanes, endpoint_id: str) -> int:
    lane = lanes.lane(endpoint_id)
    started = 0
    while lanes.start_next(lane, NOW) is not None:
        started += 1
    return started


def test_a_quick_endpoint_posts_its_concurrency_and_queues_a_batch_behind() -> None:
    lanes = Lanes(concurrency=8, lookahead=100)
    _fill(lanes, "we_quick", 108)
    assert _start_all(lanes, "we_quick") == 8
    assert lanes.room("we_quick", NOW) == 0 and lanes.closed(NOW) == ["we_quick"]
    assert lanes.load == 108


def test_a_slow_endpoint_gives_back_its_queue_and_leaves_the_claim_window() -> None:
    lanes = Lanes(concurrency=8, lookahead=100)
    _fill(lanes, "we_slow", 108)
    _fill(lanes, "we_quick", 10)
    _start_all(lanes, "we_slow")
    given = lanes.set_slow(lanes.lane("we_slow"), True)
    assert len(given) == 100
    # Its 8 attempts no longer count against the window; it may hold its slots, no more.
    assert lanes.load == 10
    assert lanes.room("we_slow", NOW) == 0 and "we_slow" in lanes.closed(NOW)
    lanes.finish(lanes.lane("we_slow"))
    assert lanes.room("we_slow", NOW) == 1 and lanes.load == 10
    assert lanes.set_slow(lanes.lane("we_slow"), False) == []
    assert lanes.load == 17  # quick again: its 7 in flight count once more


def test_a_paused_endpoint_holds_nothing_until_the_pause_ends() -> None:
    lanes = Lanes(concurrency=8, lookahead=100)
    _fill(lanes, "we_paused", 50)
    lane = lanes.lane("we_paused")
    _start_all(lanes, "we_paused")
    until = NOW + dt.timedelta(seconds=120)
    assert len(lanes.pause(lane, until)) == 42
    assert lanes.closed(NOW) == ["we_paused"] and lanes.room("we_paused", NOW) == 0
    lanes.add(_delivery("we_paused"))
    assert lanes.start_next(lane, NOW) is None  # queued, but not posted while paused
    for _ in range(8):  # the attempts that were in flight come back
        lanes.finish(lane)
    assert lanes.start_next(lane, NOW) is None
    after = until + dt.timedelta(seconds=1)
    assert lanes.start_next(lane, after) is not None
    assert lanes.any_paused(NOW) and not lanes.any_paused(after)


def test_stopping_drains_every_queue() -> None:
    lanes = Lanes(concurrency=2, lookahead=5)
    _fill(lanes, "we_a", 7)
    _fill(lanes, "we_b", 3)
    _start_all(lanes, "we_a")
    _start_all(lanes, "we_b")
    assert len(lanes.drain()) == 5 + 1
    assert lanes.load == 4  # what is in flight


def test_unrecorded_outcomes_hold_claims_back_only_past_two_batches() -> None:
    # A worker of 32 slots with batches of 100: a window of 132.
    def room(load: int, unrecorded: int) -> int:
        return claim_room(window=132, load=load, unrecorded=unrecorded, batch_size=100)

    assert room(0, 0) == 132
    assert room(32, 200) == 100  # two batches waiting to be written cost nothing
    assert room(32, 250) == 50
    assert room(32, 400) <= 0  # the database is slow: claim nothing more


@given(
    load=st.integers(0, 500),
    unrecorded=st.integers(0, 5_000),
    batch_size=st.integers(1, 500),
    slots=st.integers(1, 64),
)
def test_made_but_unrecorded_deliveries_stay_bounded(
    load: int, unrecorded: int, batch_size: int, slots: int
) -> None:
    """What a crash could send again (claimed now, plus made but unrecorded) never grows past
    the window and the recorder's batches, whatever the database's pace."""
    window = slots + batch_size
    room = claim_room(window=window, load=load, unrecorded=unrecorded, batch_size=batch_size)
    if room > 0:  # the worker claims only when it has room
        assert load + room + unrecorded <= window + UNRECORDED_BATCHES * batch_size
