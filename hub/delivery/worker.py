"""The delivery worker: claims due outbox messages, POSTs signed webhooks, records attempts.

- Claims with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so many workers share the queue and
  each message is claimed by one worker at a time; a claim is a lease (``locked_until``),
  so messages of a worker that died are claimed again when it runs out. On SQLite writes
  are serialized, so one worker is the model there.
- Wakes on ``LISTEN evenly_outbox`` (PostgreSQL, NOTIFY at commit of the writing
  transaction) or on an in-process signal, and otherwise sleeps until the next message is
  due: no busy polling.
- Posts with one pooled aiohttp session (connect 5 s, total 15 s, no redirects; the
  response is read up to 1 KiB) through a resolver that refuses non-public addresses.
- Outcomes are written in batches: 2xx delivered; 410 disables the endpoint; 429, 502,
  503 and 504 pause the endpoint for ``Retry-After``; anything else retries on the schedule
  (``EVENLY_WEBHOOK_RETRY_SCHEDULE``, with ±10 % jitter) until it is used up (FAILED).
- Concurrency is capped per worker and per endpoint, so a slow endpoint holds only its own
  slots. Delivery is at least once; receivers dedupe by ``webhook-id`` (the event id).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import logging
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import orjson
import sqlalchemy as sa
from evenly_webhooks import headers as signed_headers
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url

from hub.delivery.keys import WebhookSigningKey
from hub.delivery.resolver import PublicOnlyResolver
from hub.domain.events import ENDPOINT_DISABLED
from hub.domain.time import rfc3339
from hub.observability import Metrics
from hub.services import events as event_log
from hub.services import webhook_endpoints as endpoint_service
from hub.services.context import ServiceContext
from hub.services.events import EVENTS_CHANNEL, OUTBOX_CHANNEL
from hub.services.maintenance import run_maintenance
from hub.store.tables import (
    events,
    organizations,
    webhook_attempts,
    webhook_endpoints,
    webhook_messages,
    webhook_subscriptions,
)

log = logging.getLogger("hub.delivery")

SNIPPET_BYTES = 1024
SLOW_DOWN = frozenset({429, 502, 503, 504})
_SECRETS_TTL = 1.0
_MAX_SLEEP = 30.0
_QUEUE_EVERY = 5.0
_SQLITE_POLL = 1.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed message with what it takes to send it."""

    message_id: int
    endpoint_id: str
    url: str
    event_id: str
    event_type: str
    occurred_at: dt.datetime
    data: Any
    attempts: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt gave."""

    delivery: Delivery
    at: dt.datetime
    duration_ms: int
    status_code: int | None
    snippet: str | None
    error: str | None
    retry_after: float | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


# PostgreSQL: one round trip. Due messages in index order (status, next_attempt_at) and
# expired leases, locked with SKIP LOCKED so workers never claim the same message; then
# marked SENDING with a lease and returned with their event and endpoint URL.
_CLAIM_POSTGRESQL = (
    sa.text(
        """
    WITH due AS (
        SELECT id FROM webhook_messages
        WHERE status = 'PENDING' AND next_attempt_at <= :now AND endpoint_id <> ALL(:full)
        ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED
    ), expired AS (
        SELECT id FROM webhook_messages
        WHERE status = 'SENDING' AND locked_until < :now AND endpoint_id <> ALL(:full)
        LIMIT :limit FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE webhook_messages AS m
        SET status = 'SENDING', locked_until = :until, attempts = m.attempts + 1
        WHERE m.id IN (SELECT id FROM due UNION ALL SELECT id FROM expired LIMIT :limit)
        RETURNING m.id, m.endpoint_id, m.attempts, m.event_id
    )
    SELECT claimed.id, claimed.endpoint_id, claimed.attempts, endpoint.url,
           event.id AS event_id, event.type, event.occurred_at, event.data
    FROM claimed
    JOIN webhook_endpoints AS endpoint ON endpoint.id = claimed.endpoint_id
    JOIN events AS event ON event.id = claimed.event_id
    """
    )
    .bindparams(
        sa.bindparam("now", type_=events.c.occurred_at.type),
        sa.bindparam("until", type_=events.c.occurred_at.type),
        sa.bindparam("limit", type_=sa.Integer()),
        sa.bindparam("full", type_=ARRAY(sa.String())),
    )
    .columns(occurred_at=events.c.occurred_at.type, data=events.c.data.type)
)


async def _claim_sqlite(
    conn: Any, limit: int, full: list[str], now: dt.datetime, until: dt.datetime
) -> Any:
    """SQLite (one writer at a time): the same claim, as UPDATE … RETURNING then a join."""
    m = webhook_messages
    due = sa.or_(
        sa.and_(m.c.status == "PENDING", m.c.next_attempt_at <= now),
        sa.and_(m.c.status == "SENDING", m.c.locked_until < now),
    )
    if full:
        due = sa.and_(due, m.c.endpoint_id.not_in(full))
    chosen = sa.select(m.c.id).where(due).order_by(m.c.next_attempt_at, m.c.id).limit(limit)
    ids = list(
        (
            await conn.execute(
                m.update()
                .where(m.c.id.in_(chosen.scalar_subquery()))
                .values(status="SENDING", locked_until=until, attempts=m.c.attempts + 1)
                .returning(m.c.id)
            )
        ).scalars()
    )
    return await conn.execute(
        sa.select(
            m.c.id,
            m.c.endpoint_id,
            m.c.attempts,
            webhook_endpoints.c.url,
            events.c.id.label("event_id"),
            events.c.type,
            events.c.occurred_at,
            events.c.data,
        )
        .join(webhook_endpoints, webhook_endpoints.c.id == m.c.endpoint_id)
        .join(events, events.c.id == m.c.event_id)
        .where(m.c.id.in_(ids))
    )


def body_of(event_type: str, occurred_at: dt.datetime, data: Any) -> bytes:
    """The webhook body: ``{"type", "timestamp", "data"}`` (what receivers verify, raw)."""
    return orjson.dumps({"type": event_type, "timestamp": rfc3339(occurred_at), "data": data})


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


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
        self._slots = asyncio.Semaphore(self.concurrency)
        self._endpoint_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.webhook_endpoint_concurrency)
        )
        self._paused_until: dict[str, float] = {}
        self._secrets: dict[str, tuple[float, list[str]]] = {}
        self._secret_loads: dict[str, asyncio.Future[list[str]]] = {}
        self._outcomes: list[Outcome] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        # In-flight deliveries per endpoint: claims skip endpoints at their cap, so a slow
        # endpoint's backlog never takes the slots other endpoints need.
        self.endpoint_cap = settings.webhook_endpoint_concurrency
        # Claimed (posting or queued) per endpoint at most: its slots and one batch ahead.
        self._endpoint_claims = self.endpoint_cap + batch_size
        self._busy: Counter[str] = Counter()
        self.timeout = settings.webhook_timeout_seconds
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
            limit=self.concurrency,
            resolver=PublicOnlyResolver(
                allow_insecure=self.services.settings.allow_insecure_webhooks
            ),
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
                await self._loop(session, stop)
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

    async def _loop(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        # Claim ahead of the free slots (deliveries queue for them), in batches of at least
        # half a batch, so the posting never waits for a claim round trip.
        high = self.concurrency + self.batch_size
        low = max(1, self.batch_size // 2)
        while not stop.is_set():
            # Cleared before looking, so a wake-up that comes while we look is not lost.
            self._wake.clear()
            room = high - len(self._in_flight)
            want = min(room, self.batch_size)
            claimed: list[Delivery] = []
            if room >= low or not self._in_flight:
                try:
                    claimed = await self._claim(want)
                except Exception:
                    log.exception("claiming webhook messages failed")
                    await self._sleep(stop, 1.0)
                    continue
            for delivery in claimed:
                self._busy[delivery.endpoint_id] += 1
                task = asyncio.create_task(self._deliver(session, delivery))
                self._in_flight.add(task)
                task.add_done_callback(self._done(delivery.endpoint_id))
            if claimed and len(claimed) == want:
                continue  # more may be due right now
            if self._in_flight:
                # Deliveries finishing wake us (low-water mark, or an endpoint with room).
                await self._sleep(stop, 1.0)
                continue
            await self._sleep(stop, await self._until_next_due())

    def _done(self, endpoint_id: str) -> Callable[[asyncio.Task[None]], None]:
        def done(task: asyncio.Task[None]) -> None:
            self._in_flight.discard(task)
            self._busy[endpoint_id] -= 1
            if self._busy[endpoint_id] <= 0:
                del self._busy[endpoint_id]
            if self._busy.get(endpoint_id, 0) == self._endpoint_claims - 1:
                self.wake()  # the endpoint has room again: its backlog can be claimed
            elif len(self._in_flight) == self.concurrency + self.batch_size // 2:
                self.wake()  # low-water mark: worth claiming a batch

        return done

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
        full = [e for e, n in self._busy.items() if n >= self._endpoint_claims]
        m = webhook_messages
        async with self.services.db.transaction() as conn:
            if conn.dialect.name == "postgresql":
                rows = await conn.execute(
                    _CLAIM_POSTGRESQL,
                    {"now": now, "until": now + self.lease, "limit": limit, "full": full},
                )
            else:
                rows = await _claim_sqlite(conn, limit, full, now, now + self.lease)
            claimed = [
                Delivery(
                    message_id=r.id,
                    endpoint_id=r.endpoint_id,
                    url=r.url,
                    event_id=r.event_id,
                    event_type=r.type,
                    occurred_at=r.occurred_at,
                    data=r.data,
                    attempts=r.attempts,
                )
                for r in rows
            ]
            # At most the endpoint's free slots each; give the rest back, untouched.
            room = {
                d.endpoint_id: self._endpoint_claims - self._busy[d.endpoint_id] for d in claimed
            }
            kept: list[Delivery] = []
            extra: list[int] = []
            for delivery in sorted(claimed, key=lambda d: d.message_id):
                if room[delivery.endpoint_id] > 0:
                    room[delivery.endpoint_id] -= 1
                    kept.append(delivery)
                else:
                    extra.append(delivery.message_id)
            if extra:
                await conn.execute(
                    m.update()
                    .where(m.c.id.in_(extra))
                    .values(status="PENDING", locked_until=None, attempts=m.c.attempts - 1)
                )
            return kept

    async def _signing_secrets(self, endpoint_id: str) -> list[str]:
        """The endpoint's secrets, read once per endpoint per second however many deliver."""
        now = time.monotonic()
        cached = self._secrets.get(endpoint_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        loading = self._secret_loads.get(endpoint_id)
        if loading is None:
            loading = asyncio.ensure_future(self._load_secrets(endpoint_id))
            self._secret_loads[endpoint_id] = loading
            loading.add_done_callback(lambda _: self._secret_loads.pop(endpoint_id, None))
        return await asyncio.shield(loading)

    async def _load_secrets(self, endpoint_id: str) -> list[str]:
        async with self.services.db.read() as conn:
            secrets = await endpoint_service.signing_secrets(
                conn, self.services, endpoint_id, self.services.clock()
            )
        self._secrets[endpoint_id] = (time.monotonic() + _SECRETS_TTL, secrets)
        return secrets

    async def _deliver(self, session: aiohttp.ClientSession, delivery: Delivery) -> None:
        async with self._endpoint_slots[delivery.endpoint_id]:
            pause = self._paused_until.get(delivery.endpoint_id, 0.0) - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            async with self._slots:
                outcome = await self._post(session, delivery)
        if outcome.retry_after is not None:
            self._paused_until[delivery.endpoint_id] = time.monotonic() + outcome.retry_after
        self._outcomes.append(outcome)
        if len(self._outcomes) >= self.batch_size:
            self._flushed.set()

    async def _post(self, session: aiohttp.ClientSession, delivery: Delivery) -> Outcome:
        body = body_of(delivery.event_type, delivery.occurred_at, delivery.data)
        started = time.perf_counter()
        at = self.services.clock()
        status: int | None = None
        snippet: str | None = None
        error: str | None = None
        retry_after: float | None = None
        try:
            secrets = await self._signing_secrets(delivery.endpoint_id)
            sent = signed_headers(
                body,
                msg_id=delivery.event_id,
                timestamp=int(time.time()),
                secrets=secrets,
                signing_keys=[self.signing_key.private_key],
            )
            async with session.post(
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
                raw = await response.content.read(SNIPPET_BYTES)
                snippet = raw.decode("utf-8", "replace")
                if status in SLOW_DOWN:
                    retry_after = parse_retry_after(
                        response.headers.get("retry-after"), time.time()
                    )
        except TimeoutError:
            error = "timeout"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        duration = int((time.perf_counter() - started) * 1000)
        return Outcome(delivery, at, duration, status, snippet, error, retry_after)

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

    def _next_attempt(self, outcome: Outcome) -> dt.datetime | None:
        """When to try again, or None when the schedule is used up."""
        attempts = outcome.delivery.attempts
        if attempts >= len(self.schedule):
            return None
        delay = self.schedule[attempts] * random.uniform(0.9, 1.1)
        if outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        return outcome.at + dt.timedelta(seconds=delay)

    async def _flush(self) -> None:
        if not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        updates: list[dict[str, Any]] = []
        gone: set[str] = set()
        for outcome in outcomes:
            d = outcome.delivery
            self.metrics.webhook_latency.observe(outcome.duration_ms / 1000)
            row: dict[str, Any] = {
                "b_id": d.message_id,
                "b_code": outcome.status_code,
                "b_error": outcome.error,
                "b_locked": None,
            }
            if outcome.delivered:
                self.metrics.webhook_attempts.labels("delivered").inc()
                row.update(b_status="DELIVERED", b_next=outcome.at, b_delivered=outcome.at)
            else:
                following = None if outcome.gone else self._next_attempt(outcome)
                self.metrics.webhook_failures.labels(d.endpoint_id).inc()
                kind = "gone" if outcome.gone else "retry" if following is not None else "failed"
                self.metrics.webhook_attempts.labels(kind).inc()
                row.update(
                    b_status="PENDING" if following is not None else "FAILED",
                    b_next=following or outcome.at,
                    b_delivered=None,
                )
                if outcome.gone:
                    gone.add(d.endpoint_id)
            updates.append(row)
        attempts = [
            {
                "message_id": o.delivery.message_id,
                "at": o.at,
                "status_code": o.status_code,
                "duration_ms": o.duration_ms,
                "response_snippet": o.snippet,
                "error": o.error,
            }
            for o in outcomes
        ]
        m = webhook_messages
        async with self.services.db.transaction() as conn:
            await conn.execute(
                m.update()
                .where(m.c.id == sa.bindparam("b_id"))
                .values(
                    status=sa.bindparam("b_status"),
                    next_attempt_at=sa.bindparam("b_next"),
                    delivered_at=sa.bindparam("b_delivered"),
                    last_status_code=sa.bindparam("b_code"),
                    last_error=sa.bindparam("b_error"),
                    locked_until=sa.bindparam("b_locked"),
                ),
                updates,
            )
            await conn.execute(webhook_attempts.insert(), attempts)
            now = self.services.clock()
            for endpoint_id in gone:
                await _disable(conn, endpoint_id, "the receiver answered 410 Gone", now)
            failed = {
                o.delivery.endpoint_id
                for o, r in zip(outcomes, updates, strict=True)
                if r["b_status"] == "FAILED"
            }
            for endpoint_id in failed - gone:
                if await _failing_too_long(conn, endpoint_id, now, self.disable_after):
                    reason = f"every delivery failed for {_duration(self.disable_after)}"
                    await _disable(conn, endpoint_id, reason, now)
        if any(row["b_status"] == "PENDING" for row in updates):
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


def _duration(span: dt.timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


async def _failing_too_long(
    conn: Any, endpoint_id: str, now: dt.datetime, window: dt.timedelta
) -> bool:
    """True when nothing reached the endpoint for ``window`` while its deliveries failed."""
    m = webhook_messages
    last_success = await conn.scalar(
        sa.select(sa.func.max(m.c.delivered_at)).where(m.c.endpoint_id == endpoint_id)
    )
    first_failure = sa.select(sa.func.min(m.c.created_at)).where(
        m.c.endpoint_id == endpoint_id, m.c.status == "FAILED"
    )
    if last_success is not None:
        first_failure = first_failure.where(m.c.created_at > last_success)
    oldest = await conn.scalar(first_failure)
    if oldest is None:
        return False
    if isinstance(oldest, str):  # SQLite aggregates lose the column type
        oldest = dt.datetime.fromisoformat(oldest).replace(tzinfo=dt.UTC)
    return bool(oldest <= now - window)


async def _disable(conn: Any, endpoint_id: str, reason: str, now: dt.datetime) -> None:
    """Disable an endpoint, stop queueing for it, and tell its organization (an event)."""
    endpoint = (
        await conn.execute(
            sa.select(webhook_endpoints.c.organization_id, organizations.c.kind)
            .join(organizations, organizations.c.id == webhook_endpoints.c.organization_id)
            .where(webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.enabled.is_(True))
        )
    ).first()
    if endpoint is None:
        return  # already disabled (or deleted)
    await conn.execute(
        webhook_endpoints.update()
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(enabled=False, disabled_reason=reason, updated_at=now)
    )
    await conn.execute(
        webhook_subscriptions.delete().where(webhook_subscriptions.c.endpoint_id == endpoint_id)
    )
    await event_log.append(
        conn,
        [
            event_log.organization_event(
                ENDPOINT_DISABLED,
                endpoint.organization_id,
                endpoint.kind,
                now,
                {"endpointId": endpoint_id, "reason": reason},
            )
        ],
    )
