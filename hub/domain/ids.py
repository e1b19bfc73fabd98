"""Identifiers: prefixed, time-ordered (ULID), so ``ORDER BY id`` is creation order."""

from __future__ import annotations

import os
import threading
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
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
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """``prefix_`` followed by a ULID, e.g. ``acc_01J…``."""
    return f"{prefix}_{ulid()}"
