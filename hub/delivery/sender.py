"""Posting one delivery: the body, its Standard Webhooks signatures, the POST, the answer.

One pooled aiohttp session per worker (connect 5 s, total ``EVENLY_WEBHOOK_TIMEOUT_SECONDS``,
no redirects, bodies left compressed); the response is read up to 1 KiB. It connects only to
public addresses (``hub.delivery.resolver``; a refusal is recorded as ``REFUSED_ADDRESS``);
``sink://`` URLs are answered by the hub's own sink (``hub.delivery.sink``), in-process.
What a receiver answers is untrusted and kept only as parsed by ``hub.delivery.responses``.
Each delivery is signed with the endpoint's secrets (``v1``, HMAC) and the hub's key
(``v1a``, Ed25519); ``webhook-id`` is the event id, so receivers dedupe.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from evenly_webhooks import headers as signed_headers

from hub.delivery import policy
from hub.delivery.keys import WebhookSigningKey
from hub.delivery.resolver import PublicOnlyResolver, public_socket_factory, refusal_of
from hub.delivery.responses import SNIPPET_BYTES, error_text, parse_retry_after, snippet_of
from hub.delivery.signing import SigningSecrets
from hub.delivery.sink import sink_answer
from hub.domain.payloads import webhook_body
from hub.domain.sink_urls import is_sink_url
from hub.observability import Metrics
from hub.store.delivery_queue import Delivery, Outcome

log = logging.getLogger("hub.delivery")

USER_AGENT = "Evenly-Webhooks/1"


def body_of(event_type: str, occurred_at: dt.datetime, data: Any, livemode: bool) -> bytes:
    """The webhook body (``hub.domain.payloads.webhook_body``), as receivers verify it, raw."""
    return orjson.dumps(webhook_body(event_type, occurred_at, data, livemode))


def failure_reason(outcome: Outcome) -> str:
    """A failed attempt's kind, for metrics: names no endpoint or tenant."""
    if outcome.status_code is not None:
        return f"http_{outcome.status_code // 100}xx"
    if outcome.error == "timeout":
        return "timeout"
    if outcome.error is not None and outcome.error.startswith("REFUSED_ADDRESS"):
        return "refused_address"
    return "connection"


@dataclass
class _Answer:
    """What came back so far: a body that breaks off still leaves its status."""

    status: int | None = None
    snippet: str | None = None
    retry_after: float | None = None


class Sender:
    """Posts deliveries, signed, over one pooled session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        signing_key: WebhookSigningKey,
        secrets: SigningSecrets,
        clock: Callable[[], dt.datetime],
        metrics: Metrics,
    ) -> None:
        self.session = session
        self.signing_key = signing_key
        self.secrets = secrets
        self.clock = clock
        self.metrics = metrics

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        *,
        connections: int,
        timeout_seconds: float,
        allow_loopback: bool,
        signing_key: WebhookSigningKey,
        secrets: SigningSecrets,
        clock: Callable[[], dt.datetime],
        metrics: Metrics,
    ) -> AsyncIterator[Sender]:
        """A sender with up to ``connections`` open at once, for the block."""
        connector = aiohttp.TCPConnector(
            limit=connections,
            resolver=PublicOnlyResolver(allow_loopback=allow_loopback),
            socket_factory=public_socket_factory(allow_loopback=allow_loopback),
        )
        limits = aiohttp.ClientTimeout(total=timeout_seconds, connect=min(5.0, timeout_seconds))
        async with aiohttp.ClientSession(
            connector=connector, timeout=limits, auto_decompress=False
        ) as session:
            yield cls(session, signing_key, secrets, clock, metrics)

    async def post(self, delivery: Delivery) -> Outcome:
        """One attempt at ``delivery``: whatever the receiver did, it is the outcome (with no
        next attempt yet: that is the policy's)."""
        body = body_of(delivery.event_type, delivery.occurred_at, delivery.data, delivery.livemode)
        started = time.perf_counter()
        at = self.clock()
        answer = _Answer()
        error: str | None = None
        try:
            if is_sink_url(delivery.url):
                answer.status, answer.snippet, answer.retry_after = sink_answer(delivery.url)
            else:
                await self._exchange(delivery, body, answer)
        except TimeoutError:
            error = "timeout"
        except Exception as exc:  # whatever the receiver did, it is this attempt's outcome
            refused = refusal_of(exc)
            error = f"REFUSED_ADDRESS: {refused}" if refused is not None else error_text(exc)
            if not isinstance(exc, aiohttp.ClientError | OSError):
                log.warning("webhook attempt failed unexpectedly", exc_info=True)
        duration = time.perf_counter() - started
        self.metrics.webhook_latency.observe(duration)
        return Outcome(
            delivery=delivery,
            at=at,
            duration_ms=int(duration * 1000),
            status_code=answer.status,
            snippet=answer.snippet,
            error=error,
            retry_after=answer.retry_after,
            next_at=None,
        )

    async def _exchange(self, delivery: Delivery, body: bytes, answer: _Answer) -> None:
        secrets = await self.secrets.of(delivery)
        sent = signed_headers(
            body,
            msg_id=delivery.event_id,
            timestamp=int(time.time()),
            secrets=secrets,
            signing_keys=[self.signing_key.private_key],
        )
        headers = {**sent, "content-type": "application/json", "user-agent": USER_AGENT}
        async with self.session.post(
            delivery.url, data=body, headers=headers, allow_redirects=False
        ) as response:
            answer.status = response.status
            answer.snippet = snippet_of(await response.content.read(SNIPPET_BYTES))
            if policy.heeds_retry_after(response.status):
                answer.retry_after = parse_retry_after(
                    response.headers.get("retry-after"), time.time()
                )
