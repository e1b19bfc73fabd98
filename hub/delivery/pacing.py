"""How much of a worker each endpoint may hold: its lane.

A lane has at most ``EVENLY_WEBHOOK_ENDPOINT_CONCURRENCY`` deliveries posting and, while the
endpoint answers quickly, up to a batch of claimed messages queued behind them, so a busy
endpoint never waits for a claim round trip. An endpoint that answers slowly keeps no queue
(what it has queued would wait past its lease); one paused by ``Retry-After`` keeps nothing
and is not claimed for until the pause ends. The queue of a lane that turns slow or paused
is given back at once. Only lanes that answer quickly count against the worker's claim
window (``load``), so a slow or paused endpoint never holds the claims others need.

Outcomes not yet written to the database count against the window too, beyond the two
batches the recorder may hold (one being written, one filling): while the database is slow
to take them, the worker stops claiming instead of piling up deliveries it has made but not
recorded, which a crash would send again (``claim_room``).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field

from hub.store.delivery_queue import Delivery

#: Outcomes the recorder may hold (one batch being written, one filling) before they count
#: against the claim window, in batches.
UNRECORDED_BATCHES = 2


def claim_room(*, window: int, load: int, unrecorded: int, batch_size: int) -> int:
    """How many more messages the worker may claim: its window less what its quick lanes
    hold and less the unrecorded outcomes beyond ``UNRECORDED_BATCHES`` batches."""
    held_back = max(0, unrecorded - UNRECORDED_BATCHES * batch_size)
    return window - load - held_back


@dataclass(eq=False)
class Lane:
    """One endpoint's share of a worker."""

    endpoint_id: str
    running: int = 0
    waiting: deque[Delivery] = field(default_factory=deque)
    paused_until: dt.datetime | None = None
    slow: bool = False

    @property
    def claimed(self) -> int:
        return self.running + len(self.waiting)

    def paused(self, now: dt.datetime) -> bool:
        return self.paused_until is not None and self.paused_until > now


class Lanes:
    """Every endpoint's lane in one worker, and the load they put on its claim window."""

    def __init__(self, *, concurrency: int, lookahead: int) -> None:
        self.concurrency = concurrency
        self.lookahead = lookahead
        self._lanes: dict[str, Lane] = {}
        #: Claimed messages of lanes that answer quickly: what counts against the claim window.
        self.load = 0

    def lane(self, endpoint_id: str) -> Lane:
        lane = self._lanes.get(endpoint_id)
        if lane is None:
            lane = self._lanes[endpoint_id] = Lane(endpoint_id)
        return lane

    def cap(self, lane: Lane) -> int:
        """How many claimed messages the lane may hold."""
        return self.concurrency + (0 if lane.slow else self.lookahead)

    def room(self, endpoint_id: str, now: dt.datetime) -> int:
        """How many more messages the endpoint's lane may take now."""
        lane = self._lanes.get(endpoint_id)
        if lane is None:
            return self.concurrency + self.lookahead
        if lane.paused(now):
            return 0
        return max(0, self.cap(lane) - lane.claimed)

    def closed(self, now: dt.datetime) -> list[str]:
        """Endpoints not to claim for now: paused, or holding all they may."""
        closed = []
        for endpoint_id, lane in list(self._lanes.items()):
            if lane.paused(now) or lane.claimed >= self.cap(lane):
                closed.append(endpoint_id)
            elif lane.claimed == 0 and not lane.slow:
                del self._lanes[endpoint_id]  # nothing to remember
        return closed

    def any_paused(self, now: dt.datetime) -> bool:
        return any(lane.paused(now) for lane in self._lanes.values())

    def add(self, delivery: Delivery) -> Lane:
        """Queue a claimed delivery in its endpoint's lane."""
        lane = self.lane(delivery.endpoint_id)
        lane.waiting.append(delivery)
        if not lane.slow:
            self.load += 1
        return lane

    def start_next(self, lane: Lane, now: dt.datetime) -> Delivery | None:
        """The lane's next delivery to post, if it has one and a free slot."""
        if lane.running >= self.concurrency or not lane.waiting or lane.paused(now):
            return None
        lane.running += 1
        return lane.waiting.popleft()

    def finish(self, lane: Lane) -> None:
        """A delivery of the lane is done (posted or given back)."""
        lane.running -= 1
        if not lane.slow:
            self.load -= 1

    def pause(self, lane: Lane, until: dt.datetime) -> list[Delivery]:
        """Pause the lane until ``until``; returns its queue, to give back."""
        if lane.paused_until is None or lane.paused_until < until:
            lane.paused_until = until
        return self._take_waiting(lane)

    def set_slow(self, lane: Lane, slow: bool) -> list[Delivery]:
        """Mark the lane slow or quick; a lane turning slow returns its queue, to give back."""
        if slow == lane.slow:
            return []
        given = self._take_waiting(lane) if slow else []
        lane.slow = slow
        self.load += -lane.claimed if slow else lane.claimed
        return given

    def drain(self) -> list[Delivery]:
        """Every queued delivery (the worker is stopping): to give back."""
        return [d for lane in self._lanes.values() for d in self._take_waiting(lane)]

    def _take_waiting(self, lane: Lane) -> list[Delivery]:
        taken = list(lane.waiting)
        lane.waiting.clear()
        if not lane.slow:
            self.load -= len(taken)
        return taken
