"""Lanes: how much of a delivery worker each endpoint may hold."""

from __future__ import annotations

import datetime as dt
import itertools

from hub.delivery.pacing import Lanes
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
