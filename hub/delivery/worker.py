"""The delivery worker: claims due messages from the store's queue, posts them, records.

- Claims (``hub.store.delivery_queue``) are leases, so many workers share the queue on
  PostgreSQL and a dead worker's messages are claimed again when its leases run out.
- Wakes when messages are queued, in this process or (PostgreSQL) another one: the
  process's one listener tells it (``hub.store.event_bus.EventBus.on_outbox``); otherwise
  it sleeps until the next message is due (no busy polling; about once a second on SQLite,
  where other processes' commits are not announced).
- Posts with ``hub.delivery.sender`` (pooled, signed, public addresses only); outcomes are
  written in batches, each outcome on its own when a batch fails (``hub.delivery.recording``);
  what each outcome means for the next attempt, a pause or the endpoint is
  ``hub.delivery.policy``.
- Each endpoint has a lane (``hub.delivery.pacing``): at most its concurrency posting, a
  queue only while it answers quickly, nothing while paused. An attempt that takes longer
  than ``SLOW_AFTER`` gives its worker slot back and waits in the slow lane, so slow
  endpoints never hold the slots or claims other endpoints need. Delivery is at least once;
  receivers dedupe by ``webhook-id`` (the event id).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from hub.delivery import policy
from hub.delivery.keys import WebhookSigningKey
from hub.delivery.pacing import Lane, Lanes, claim_room
from hub.delivery.recording import record
from hub.delivery.sender import Sender, failure_reason
from hub.delivery.signing import SigningSecrets
from hub.observability import Metrics
from hub.settings import Settings
from hub.store.delivery_queue import Delivery, Outcome, Record, Release
from hub.store.event_bus import EventBus
from hub.store.unit_of_work import Store

log = logging.getLogger("hub.delivery")

#: An attempt running longer than this marks its endpoint slow and moves to the slow lane.
SLOW_AFTER = 1.0
#: Attempts in the slow lane, beside the worker's slots, per slot.
SLOW_LANE_PER_SLOT = 4
#: A claim is posted only while this much of its lease is left beyond the delivery timeout
#: (or half the lease, when leases are shorter than that).
LEASE_MARGIN = 5.0
_MAX_SLEEP = 30.0
_QUEUE_EVERY = 5.0
#: How often to look for work other processes queued, where their commits are not announced.
_POLL = 1.0


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DeliveryWorker:
    """Delivers the queue's due messages until stopped (``run``)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        signing_key: WebhookSigningKey,
        bus: EventBus,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
        metrics: Metrics | None = None,
        batch_size: int = 100,
        flush_interval: float = 0.05,
    ) -> None:
        self.store = store
        self.settings = settings
        self.signing_key = signing_key
        self.bus = bus
        self.clock = clock
        self.schedule = settings.retry_schedule
        self.concurrency = settings.webhook_concurrency
        self.batch_size = batch_size
        self.lease = dt.timedelta(seconds=settings.webhook_lease_seconds)
        self.disable_after = dt.timedelta(seconds=settings.webhook_disable_after_seconds)
        self.flush_interval = flush_interval
        self.timeout = settings.webhook_timeout_seconds
        self._lease_needed = min(self.timeout + LEASE_MARGIN, self.lease.total_seconds() / 2)
        self._slots = asyncio.Semaphore(self.concurrency)
        self._slow_room = SLOW_LANE_PER_SLOT * self.concurrency
        self.lanes = Lanes(concurrency=settings.webhook_endpoint_concurrency, lookahead=batch_size)
        # Claimed messages of quick lanes at most: every slot busy and a batch ahead.
        self.window = self.concurrency + batch_size
        self._records: list[Record] = []
        self._recording = 0  # records of the batch being written
        self._in_flight: set[asyncio.Task[None]] = set()
        self._sender: Sender | None = None
        self._wake = asyncio.Event()
        self._flushed = asyncio.Event()
        self.metrics = metrics or Metrics()
        self._queue_measured = 0.0

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; then finish what is in flight and record it."""
        stop_listening = self.bus.on_outbox(self.wake)
        flusher = asyncio.create_task(self._flush_loop(stop))
        try:
            async with Sender.open(
                connections=self.concurrency + self._slow_room,
                timeout_seconds=self.timeout,
                allow_loopback=self.settings.webhooks_may_reach_loopback,
                signing_key=self.signing_key,
                secrets=SigningSecrets(self.store, self.clock, self.lease),
                clock=self.clock,
                metrics=self.metrics,
            ) as sender:
                self._sender = sender
                await self._loop(stop)
                self._give_back(self.lanes.drain(), None)
                if self._in_flight:
                    await asyncio.wait(self._in_flight, timeout=20)
        finally:
            stop_listening()
            stop.set()
            await flusher
            await self._flush()

    async def _loop(self, stop: asyncio.Event) -> None:
        # Claim ahead of the free slots (deliveries queue in their lanes), in batches of at
        # least half a batch, so the posting never waits for a claim round trip.
        low = max(1, self.batch_size // 2)
        while not stop.is_set():
            # Cleared before looking, so a wake-up that comes while we look is not lost.
            self._wake.clear()
            room = claim_room(
                window=self.window,
                load=self.lanes.load,
                unrecorded=len(self._records) + self._recording,
                batch_size=self.batch_size,
            )
            want = max(1, min(room, self.batch_size))
            claimed: list[Delivery] = []
            if room >= low or self.lanes.load == 0:
                try:
                    claimed = await self._claim(want)
                except Exception:
                    log.exception("claiming webhook messages failed")
                    await self._sleep(stop, 1.0)
                    continue
            lanes = {id(lane): lane for lane in map(self.lanes.add, claimed)}
            for lane in lanes.values():
                self._dispatch(lane)
            if claimed and len(claimed) == want:
                continue  # more may be due right now
            if self._in_flight or self.lanes.any_paused(self.clock()):
                # Deliveries finishing wake us (low-water mark, or an endpoint with room);
                # a paused endpoint's backlog is due but not ours to claim until it ends.
                await self._sleep(stop, 1.0)
                continue
            await self._sleep(stop, await self._until_next_due())

    def _dispatch(self, lane: Lane) -> None:
        """Start the lane's queued deliveries while it has free slots."""
        now = self.clock()
        while (delivery := self.lanes.start_next(lane, now)) is not None:
            task = asyncio.create_task(self._deliver(lane, delivery))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        waits = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
        try:
            await asyncio.wait(
                waits, timeout=max(0.0, seconds), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waits:
                waiter.cancel()

    async def _until_next_due(self) -> float:
        async with self.store.read() as uow:
            if time.monotonic() - self._queue_measured > _QUEUE_EVERY:
                self._queue_measured = time.monotonic()
                self.metrics.webhook_queue.set(await uow.delivery_queue.depth())
            soonest = await uow.delivery_queue.next_due()
        longest = _MAX_SLEEP if self.bus.hears_other_processes else _POLL
        if soonest is None:
            return longest
        return min(longest, max(0.0, (soonest - self.clock()).total_seconds()))

    async def _claim(self, limit: int) -> list[Delivery]:
        """Claim up to ``limit`` due messages (leased to this worker) with their events."""
        now = self.clock()
        async with self.store.transaction() as uow:
            claimed = await uow.delivery_queue.claim(
                limit=limit, closed=self.lanes.closed(now), now=now, lease=self.lease
            )
            # At most what each lane may take; give the rest back, in their place.
            room = {d.endpoint_id: self.lanes.room(d.endpoint_id, now) for d in claimed}
            kept: list[Delivery] = []
            extra: list[tuple[Delivery, dt.datetime | None]] = []
            for delivery in claimed:
                if room[delivery.endpoint_id] > 0:
                    room[delivery.endpoint_id] -= 1
                    kept.append(delivery)
                else:
                    extra.append((delivery, None))
            await uow.delivery_queue.give_back(extra)
            return kept

    async def _deliver(self, lane: Lane, delivery: Delivery) -> None:
        try:
            result = await self._attempt(lane, delivery)
        except Exception:  # never strand a claim: give it back to be tried again
            log.exception("delivering webhook message %s failed", delivery.message_id)
            result = Release(delivery, None)
        if isinstance(result, Outcome):
            if result.duration_ms < SLOW_AFTER * 1000:
                self._give_back(self.lanes.set_slow(lane, False), None)
            until = policy.pause_until(result)
            if until is not None:
                self._give_back(self.lanes.pause(lane, until), until)
        was_full = lane.claimed >= self.lanes.cap(lane)
        self.lanes.finish(lane)
        self._records.append(result)
        if len(self._records) >= self.batch_size:
            self._flushed.set()
        self._dispatch(lane)
        if was_full or self.lanes.load == self.window - self.batch_size // 2:
            self.wake()  # the endpoint has room again, or the low-water mark: worth a claim

    def _give_back(self, deliveries: list[Delivery], due: dt.datetime | None) -> None:
        self._records.extend(Release(d, due) for d in deliveries)

    async def _attempt(self, lane: Lane, delivery: Delivery) -> Record:
        """Post the delivery in a worker slot, or give it back if it may not go now."""
        await self._slots.acquire()
        holding, moved = True, False

        def to_slow_lane() -> None:
            # Taking longer than SLOW_AFTER: the endpoint is slow; free the slot for others.
            nonlocal holding, moved
            self._give_back(self.lanes.set_slow(lane, True), None)
            if self._slow_room > 0:
                self._slow_room -= 1
                self._slots.release()
                holding, moved = False, True

        timer = asyncio.get_running_loop().call_later(SLOW_AFTER, to_slow_lane)
        try:
            now = self.clock()
            if lane.paused(now):
                return Release(delivery, lane.paused_until)
            if (delivery.lease_until - now).total_seconds() < self._lease_needed:
                return Release(delivery, None)  # it might not be recorded before its lease ends
            return await self._post(delivery)
        finally:
            timer.cancel()
            if holding:
                self._slots.release()
            if moved:
                self._slow_room += 1

    async def _post(self, delivery: Delivery) -> Outcome:
        assert self._sender is not None
        outcome = await self._sender.post(delivery)
        next_at = policy.next_attempt(outcome, self.schedule)
        if next_at is not None:
            outcome = replace(outcome, next_at=next_at)
        if outcome.delivered:
            self.metrics.webhook_attempts.labels("delivered").inc()
            return outcome
        self.metrics.webhook_failures.labels(failure_reason(outcome)).inc()
        kind = "gone" if outcome.gone else "retry" if outcome.next_at is not None else "failed"
        self.metrics.webhook_attempts.labels(kind).inc()
        return outcome

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._flushed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flushed.wait(), self.flush_interval)
            try:
                await self._flush()
            except Exception:
                log.exception("recording webhook attempts failed")
                await asyncio.sleep(0.5)

    async def _flush(self) -> None:
        if not self._records:
            return
        batch, self._records = self._records, []
        now = self.clock()
        self._recording = len(batch)
        try:
            unwritten = await record(self.store, batch, now=now, disable_after=self.disable_after)
        finally:
            self._recording = 0
            self.wake()  # claims held back for unrecorded outcomes may go on
        if unwritten:
            # The database is down: keep them while their leases last; after that the
            # messages are claimed again anyway.
            kept = [r for r in unwritten if r.delivery.lease_until > now]
            if len(kept) < len(unwritten):
                log.error("dropped %d unrecorded webhook outcomes", len(unwritten) - len(kept))
            self._records[:0] = kept
            await asyncio.sleep(0.5)
        if any(isinstance(r, Release) or r.status == "PENDING" for r in batch):
            self.wake()  # the claim loop may sleep until a lease ends; retries come sooner
