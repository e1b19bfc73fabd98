"""What an attempt's outcome means for its message and its endpoint: pure rules, no I/O.

- 2xx is delivered. Anything else is tried again on the retry schedule
  (``EVENLY_WEBHOOK_RETRY_SCHEDULE``: the delay before each attempt after the first, each
  ±10 % jitter) until it is used up; then the message FAILED.
- 429, 502, 503 and 504 ask the hub to slow down: their ``Retry-After`` (bounded by
  ``hub.delivery.responses``) pauses the endpoint, and the next attempt is no sooner.
- The endpoint is disabled when it answers 410 Gone, or when every delivery failed for
  ``EVENLY_WEBHOOK_DISABLE_AFTER_SECONDS`` (nothing delivered since its oldest failed
  message was queued that long ago). ``hub.store.endpoints.Endpoints.disable`` writes it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence

from hub.store.delivery_queue import Outcome

#: Answers whose ``Retry-After`` is heeded: the receiver asks the hub to slow down.
SLOW_DOWN = frozenset({429, 502, 503, 504})
#: Each scheduled delay is drawn from ±this share of itself, so retries spread out.
JITTER = 0.1
GONE = "the receiver answered 410 Gone"

Uniform = Callable[[float, float], float]


def heeds_retry_after(status_code: int | None) -> bool:
    """Whether an answer's ``Retry-After`` pauses its endpoint."""
    return status_code in SLOW_DOWN


def next_attempt(
    outcome: Outcome, schedule: Sequence[float], uniform: Uniform = random.uniform
) -> dt.datetime | None:
    """When to try a failed delivery again, or None: delivered, gone, or the schedule used
    up. ``uniform`` draws the jitter (``random.uniform``)."""
    attempts = outcome.delivery.attempts
    if outcome.delivered or outcome.gone or attempts >= len(schedule):
        return None
    delay = schedule[attempts] * uniform(1 - JITTER, 1 + JITTER)
    if outcome.retry_after is not None:
        delay = max(delay, outcome.retry_after)
    return outcome.at + dt.timedelta(seconds=delay)


def pause_until(outcome: Outcome) -> dt.datetime | None:
    """Until when the endpoint pauses after this outcome, if its receiver asked to."""
    if outcome.retry_after is None:
        return None
    return outcome.at + dt.timedelta(seconds=outcome.retry_after)


def disable_reason(
    *, gone: bool, failing_since: dt.datetime | None, now: dt.datetime, window: dt.timedelta
) -> str | None:
    """Why the endpoint is to be disabled now, or None to keep it: ``gone`` (it answered
    410), or ``failing_since`` (when its oldest message that failed since its last delivery
    was queued) at least ``window`` ago."""
    if gone:
        return GONE
    if failing_since is not None and failing_since <= now - window:
        return f"every delivery failed for {_duration(window)}"
    return None


def _duration(span: dt.timedelta) -> str:
    """``5 days``, ``36 hours``, ``1 second``: the largest unit that divides the span."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"
