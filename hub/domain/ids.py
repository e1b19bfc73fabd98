"""Identifiers: prefixed, time-ordered (ULID), so ``ORDER BY id`` is creation order."""

from __future__ import annotations

import os
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Every pair of characters, by the 10 bits it encodes.
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_lock = threading.Lock()
_last_ms = 0
_last_rand = 0


def ulid() -> str:
    """A monotonic ULID: 48-bit milliseconds then 80 bits that increase within a millisecond."""
    global _last_ms, _last_rand
    with _lock:
        now = time.time_ns() // 1_000_000
        if now <= _last_ms:
            now = _last_ms
            _last_rand += 1
        else:
            _last_rand = int.from_bytes(os.urandom(10), "big") >> 1
        _last_ms = now
        value = (now << 80) | (_last_rand & ((1 << 80) - 1))
    # 26 characters of 5 bits, taken two at a time (a placement of 100 accounts makes 400 ids).
    p = _PAIRS
    return "".join(
        (
            p[value >> 120],
            p[(value >> 110) & 1023],
            p[(value >> 100) & 1023],
            p[(value >> 90) & 1023],
            p[(value >> 80) & 1023],
            p[(value >> 70) & 1023],
            p[(value >> 60) & 1023],
            p[(value >> 50) & 1023],
            p[(value >> 40) & 1023],
            p[(value >> 30) & 1023],
            p[(value >> 20) & 1023],
            p[(value >> 10) & 1023],
            p[value & 1023],
        )
    )


def new_id(prefix: str) -> str:
    """``prefix_`` followed by a ULID, e.g. ``acc_01J…``."""
    return f"{prefix}_{ulid()}"
