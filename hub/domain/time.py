"""How the hub writes instants: RFC 3339, UTC, ``Z``, always with microseconds.

One fixed shape everywhere (API, events, webhook bodies), so receivers that parse a fixed
format, or compare strings, never meet a variant.
"""

from __future__ import annotations

import datetime as dt
import functools


@functools.lru_cache(maxsize=1024)
def rfc3339(value: dt.datetime) -> str:
    """``2026-01-31T12:00:00.000000Z`` for any aware datetime. Remembered: a batch's events
    show the same few instants hundreds of times (a placement of 500 accounts, 2,000)."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


#: Reports may be stamped a little ahead of the hub's clock (clock skew), not more.
CLOCK_SKEW = dt.timedelta(minutes=5)
#: How long before its placement a reported payment or contact may be dated.
MAX_REPORT_AGE_BEFORE_PLACEMENT = dt.timedelta(days=365)
