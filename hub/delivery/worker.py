"""The delivery worker: claims due outbox messages, POSTs signed webhooks, records attempts.

- Claims (``hub.delivery.claims``) are leases, so many workers share the queue on
  PostgreSQL and a dead worker's messages are claimed again when its leases run out.
- Wakes on ``LISTEN evenly_outbox`` (PostgreSQL, NOTIFY at commit of the writing
  transaction) or on an in-process signal, and otherwise sleeps until the next message is
  due: no busy polling.
- Posts with one pooled aiohttp session (connect 5 s, total 15 s, no redirects; the
  response is read up to 1 KiB), connecting only to public addresses
  (``hub.delivery.resolver``; a refusal is logged as ``REFUSED_ADDRESS``).
- What a receiver answers is untrusted (``hub.delivery.responses``); outcomes are written
  in batches, each outcome on its own when a batch fails (``hub.delivery.recording``): 2xx
  delivered; 410 disables the endpoint; 429, 502, 503 and 504 pause the endpoint for
  ``Retry-After`` (at most an hour); anything else retries on the schedule
  (``EVENLY_WEBHOOK_RETRY_SCHEDULE``, with ±10 % jitter) until it is used up (FAILED).
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
import random
import time
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import asyncpg
import orjson
import sqlalchemy as sa
from evenly_webhooks import headers as signed_headers
from sqlalchemy.engine import make_url

from hub.delivery import claims
from hub.delivery.claims import Delivery
from hub.delivery.keys import WebhookSigningKey
from hub.delivery.pacing import Lane, Lanes
from hub.delivery.recording import Outcome, Record, Release, record
from hub.delivery.resolver import PublicOnlyResolver, public_socket_factory, refusal_of
from hub.delivery.responses import SNIPPET_BYTES, error_text, parse_retry_after, snippet_of
from hub.domain.time import rfc3339
from hub.observability import Metrics
from hub.services import webhook_endpoints as endpoint_service
from hub.services.context import ServiceContext
from hub.services.events import EVENTS_CHANNEL, OUTBOX_CHANNEL
from hub.services.maintenance import run_maintenance
from hub.store.tables import webhook_messages

log = logging.getLogger("hub.delivery")

SLOW_DOWN = frozenset({429, 502, 503, 504})
#: An attempt running longer than this marks its endpoint slow and moves to the slow lane.
SLOW_AFTER = 1.0
#: Attempts in the slow lane, beside the worker's slots, per slot.
SLOW_LANE_PER_SLOT = 4
#: A claim is posted only while this much of its lease is left beyond the delivery timeout
#: (or half the lease, when leases are shorter than that).
LEASE_MARGIN = 5.0
#: Signing secrets are read again at least this often (rotation bumps the endpoint anyway).
_SECRETS_MAX_AGE = 60.0
_MAX_SLEEP = 30.0
_QUEUE_EVERY = 5.0
_SQLITE_POLL = 1.0


def body_of(event_type: str, occurred_at: dt.datetime, data: Any) -> bytes:
    """The webhook body: ``{"type", "timestamp", "data"}`` (what receivers verify, raw)."""
    return orjson.dumps({"type": event_type, "timestamp": rfc3339(occurred_at), "data": data})


@dataclass(frozen=True, slots=True)
class _Secrets:
    version: dt.datetime
    secrets: list[str]
    #: Read again from then on: the soonest overlap end, or the cache's age limit.
    until: dt.datetime


def failure_reason(outcome: Outcome) -> str:
    """A failed attempt's kind, for metrics: names no endpoint or tenant."""
    if outcome.status_code is not None:
        return f"http_{outcome.status_code // 100}xx"
    if outcome.error == "timeout":
        return "timeout"
    if outcome.error is not None and outcome.error.startswith("REFUSED_ADDRESS"):
        return "refused_address"
    return "connection"


class DeliveryWorker:
    def __init__(
        self,
        services: ServiceContext,
        signing_key: WebhookSigningKey,
        *,
        metrics: Metrics | None = None,
        batch_size: int = 100,
        flush_interval: float = 0.05,
    ) -> None:
        settings = services.settings
        self.services = services
        self.signing_key = signing_key
        self.schedule = settings.retry_schedule
        self.concurrency = settings.webhook_concurrency
        self.batch_size = batch_size
        self.lease = dt.timedelta(seconds=settings.webhook_lease_seconds)
        self.disable_after = dt.timedelta(seconds=settings.webhook_disable_after_seconds)
        self.flush_interval = flush_interval
        self.timeout = settings.webhook_timeout_seconds
        self.allow_insecure = settings.allow_insecure_webhooks
        self._lease_needed = min(self.timeout + LEASE_MARGIN, self.lease.total_seconds() / 2)
        self._slots = asyncio.Semaphore(self.concurrency)
        self._slow_room = SLOW_LANE_PER_SLOT * self.concurrency
        self.lanes = Lanes(concurrency=settings.webhook_endpoint_concurrency, lookahead=batch_size)
        # Claimed messages of quick lanes at most: every slot busy and a batch ahead.
        self.window = self.concurrency + batch_size
        self._secrets: dict[str, _Secrets] = {}
        self._secret_loads: dict[str, tuple[dt.datetime, asyncio.Future[_Secrets]]] = {}
        self._records: list[Record] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._wake = asyncio.Event()
        self._flushed = asyncio.Event()
        self.metrics = metrics or Metrics()
        self._queue_measured = 0.0

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; then finish what is in flight and record it."""
        db = self.services.db
        db.outbox_listeners.append(self.wake)
        connector = aiohttp.TCPConnector(
            limit=self.concurrency + self._slow_room,
            resolver=PublicOnlyResolver(allow_insecure=self.allow_insecure),
            socket_factory=public_socket_factory(allow_insecure=self.allow_insecure),
        )
        timeout = aiohttp.ClientTimeout(total=self.timeout, connect=min(5.0, self.timeout))
        listener = asyncio.create_task(self._listen(stop)) if not db.is_sqlite else None
        flusher = asyncio.create_task(self._flush_loop(stop))
        # Time-driven account changes (broken plans, expired holds) run beside delivery.
        maintenance = asyncio.create_task(run_maintenance(self.services, stop))
        try:
            async with aiohttp.ClientSession(
                connector=connector, timeout=timeout, auto_decompress=False
            ) as session:
                self._session = session
                await self._loop(stop)
                self._give_back(self.lanes.drain(), None)
                if self._in_flight:
                    await asyncio.wait(self._in_flight, timeout=20)
        finally:
            db.outbox_listeners.remove(self.wake)
            if listener is not None:
                listener.cancel()
            stop.set()
            await flusher
            await maintenance
            await self._flush()

    async def _loop(self, stop: asyncio.Event) -> None:
        # Claim ahead of the free slots (deliveries queue in their lanes), in batches of at
        # least half a batch, so the posting never waits for a claim round trip.
        low = max(1, self.batch_size // 2)
        while not stop.is_set():
            # Cleared before looking, so a wake-up that comes while we look is not lost.
            self._wake.clear()
            room = self.window - self.lanes.load
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
            if self._in_flight or self.lanes.any_paused(self.services.clock()):
                # Deliveries finishing wake us (low-water mark, or an endpoint with room);
                # a paused endpoint's backlog is due but not ours to claim until it ends.
                await self._sleep(stop, 1.0)
                continue
            await self._sleep(stop, await self._until_next_due())

    def _dispatch(self, lane: Lane) -> None:
        """Start the lane's queued deliveries while it has free slots."""
        now = self.services.clock()
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
        async with self.services.db.read() as conn:
            if time.monotonic() - self._queue_measured > _QUEUE_EVERY:
                self._queue_measured = time.monotonic()
                depth = await conn.scalar(
                    sa.select(sa.func.count()).where(
                        webhook_messages.c.status.in_(["PENDING", "SENDING"])
                    )
                )
                self.metrics.webhook_queue.set(depth or 0)
            due = await conn.scalar(
                sa.select(sa.func.min(webhook_messages.c.next_attempt_at)).where(
                    webhook_messages.c.status == "PENDING"
                )
            )
            leased = await conn.scalar(
                sa.select(sa.func.min(webhook_messages.c.locked_until)).where(
                    webhook_messages.c.status == "SENDING"
                )
            )
        # SQLite has no NOTIFY: poll about once a second for work queued by other processes.
        longest = _MAX_SLEEP if not self.services.db.is_sqlite else _SQLITE_POLL
        moments = [m for m in (due, leased) if m is not None]
        if not moments:
            return longest
        if isinstance(moments[0], str):  # SQLite aggregates lose the column type
            moments = [dt.datetime.fromisoformat(m).replace(tzinfo=dt.UTC) for m in moments]
        soonest = min(m if m.tzinfo else m.replace(tzinfo=dt.UTC) for m in moments)
        return min(longest, max(0.0, (soonest - self.services.clock()).total_seconds()))

    async def _claim(self, limit: int) -> list[Delivery]:
        """Claim up to ``limit`` due messages (leased to this worker) with their events."""
        now = self.services.clock()
        async with self.services.db.transaction() as conn:
            claimed = await claims.claim(
                conn, limit=limit, closed=self.lanes.closed(now), now=now, lease=self.lease
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
            await claims.give_back(conn, extra)
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
            if result.retry_after is not None:
                until = result.at + dt.timedelta(seconds=result.retry_after)
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
            now = self.services.clock()
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

    async def _signing_secrets(self, delivery: Delivery) -> list[str]:
        """The endpoint's secrets, read once however many deliveries need them. A claim
        carries the endpoint's version: one newer than the cached secrets (a rotation) means
        reading them again, so a new secret signs from the moment it is committed."""
        endpoint_id = delivery.endpoint_id
        cached = self._secrets.get(endpoint_id)
        if (
            cached is not None
            and cached.version >= delivery.endpoint_version
            and self.services.clock() < cached.until
        ):
            return cached.secrets
        # A read that began after the claim sees at least what the claim saw.
        claimed_at = delivery.lease_until - self.lease
        loading = self._secret_loads.get(endpoint_id)
        if loading is None or loading[0] < claimed_at:
            future = asyncio.ensure_future(self._load_secrets(endpoint_id))
            loading = self._secret_loads[endpoint_id] = (self.services.clock(), future)

            def forget(_: object, mine: tuple[dt.datetime, Any] = loading) -> None:
                if self._secret_loads.get(endpoint_id) is mine:
                    del self._secret_loads[endpoint_id]

            future.add_done_callback(forget)
        loaded: _Secrets = await asyncio.shield(loading[1])
        return loaded.secrets

    async def _load_secrets(self, endpoint_id: str) -> _Secrets:
        now = self.services.clock()
        async with self.services.db.read() as conn:
            state = await endpoint_service.signing_state(conn, self.services, endpoint_id, now)
        until = now + dt.timedelta(seconds=_SECRETS_MAX_AGE)
        if state.expires_at is not None:
            until = min(until, state.expires_at)
        loaded = _Secrets(state.version, state.secrets, until)
        cached = self._secrets.get(endpoint_id)
        if cached is None or cached.version <= loaded.version:  # reads may end out of order
            self._secrets[endpoint_id] = loaded
        return loaded

    async def _post(self, delivery: Delivery) -> Outcome:
        assert self._session is not None
        body = body_of(delivery.event_type, delivery.occurred_at, delivery.data)
        started = time.perf_counter()
        at = self.services.clock()
        status: int | None = None
        snippet: str | None = None
        error: str | None = None
        retry_after: float | None = None
        try:
            secrets = await self._signing_secrets(delivery)
            sent = signed_headers(
                body,
                msg_id=delivery.event_id,
                timestamp=int(time.time()),
                secrets=secrets,
                signing_keys=[self.signing_key.private_key],
            )
            async with self._session.post(
                delivery.url,
                data=body,
                headers={
                    **sent,
                    "content-type": "application/json",
                    "user-agent": "Evenly-Webhooks/1",
                },
                allow_redirects=False,
            ) as response:
                status = response.status
                snippet = snippet_of(await response.content.read(SNIPPET_BYTES))
                if status in SLOW_DOWN:
                    retry_after = parse_retry_after(
                        response.headers.get("retry-after"), time.time()
                    )
        except TimeoutError:
            error = "timeout"
        except Exception as exc:  # whatever the receiver did, it is this attempt's outcome
            refused = refusal_of(exc)
            error = f"REFUSED_ADDRESS: {refused}" if refused is not None else error_text(exc)
            if not isinstance(exc, aiohttp.ClientError | OSError):
                log.warning("webhook attempt failed unexpectedly", exc_info=True)
        duration = time.perf_counter() - started
        outcome = Outcome(
            delivery=delivery,
            at=at,
            duration_ms=int(duration * 1000),
            status_code=status,
            snippet=snippet,
            error=error,
            retry_after=retry_after,
            next_at=None,
        )
        self.metrics.webhook_latency.observe(duration)
        if outcome.delivered:
            self.metrics.webhook_attempts.labels("delivered").inc()
            return outcome
        if not outcome.gone:
            outcome = replace(outcome, next_at=self._next_attempt(outcome))
        self.metrics.webhook_failures.labels(failure_reason(outcome)).inc()
        kind = "gone" if outcome.gone else "retry" if outcome.next_at is not None else "failed"
        self.metrics.webhook_attempts.labels(kind).inc()
        return outcome

    def _next_attempt(self, outcome: Outcome) -> dt.datetime | None:
        """When to try again, or None when the schedule is used up."""
        attempts = outcome.delivery.attempts
        if attempts >= len(self.schedule):
            return None
        delay = self.schedule[attempts] * random.uniform(0.9, 1.1)
        if outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        return outcome.at + dt.timedelta(seconds=delay)

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
        now = self.services.clock()
        unwritten = await record(self.services.db, batch, now=now, disable_after=self.disable_after)
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

    def _on_events(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload != "0":
            self.wake()

    async def _listen(self, stop: asyncio.Event) -> None:
        """PostgreSQL: wake on NOTIFY from any hub process; reconnect if the link drops."""
        url = make_url(self.services.db.url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not stop.is_set():
            try:
                conn = await asyncpg.connect(dsn)
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(1)
                continue
            try:
                await conn.add_listener(OUTBOX_CHANNEL, lambda *_: self.wake())
                # Events that queued no message (payload "0") give the worker nothing to do.
                await conn.add_listener(EVENTS_CHANNEL, self._on_events)
                self.wake()  # catch up on anything written while not listening
                await stop.wait()
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()
