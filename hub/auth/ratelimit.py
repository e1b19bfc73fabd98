"""Token buckets per key (in process memory: each hub process limits on its own).

One limiter counts an API client's requests; another counts failed token requests per
client id and per source address (``hub.api.oauth``). The table of buckets is bounded:
past ``max_keys`` the least recently used bucket goes (an old bucket has mostly refilled).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._max_keys = max_keys

    @property
    def tracked_keys(self) -> int:
        """How many keys have a bucket now (at most ``max_keys``)."""
        return len(self._buckets)

    def take(self, key: str, now: float | None = None) -> float:
        """Take one token for ``key``: 0.0 if allowed, else seconds until a token is free."""
        return self.take_all((key,), now)

    def take_all(self, keys: Sequence[str], now: float | None = None) -> float:
        """Take one token from each key's bucket: 0.0 if every one had a token, else the
        seconds until they all do (and nothing is taken)."""
        now = time.monotonic() if now is None else now
        buckets = [self._refilled(key, now) for key in keys]
        short = [1 - bucket.tokens for bucket in buckets if bucket.tokens < 1]
        if short:
            return max(short) / self.rate if self.rate > 0 else math.inf
        for key, bucket in zip(keys, buckets, strict=True):
            bucket.tokens -= 1
            self._keep(key, bucket)
        return 0.0

    def give_back(self, keys: Sequence[str], now: float | None = None) -> None:
        """Return a token taken by ``take_all`` (the attempt it paid for did not count)."""
        now = time.monotonic() if now is None else now
        for key in keys:
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket.tokens = min(self.burst, self._refilled(key, now).tokens + 1)

    def _refilled(self, key: str, now: float) -> _Bucket:
        """The key's bucket as of ``now``; a new, full one (not yet kept) if it has none."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        return bucket

    def _keep(self, key: str, bucket: _Bucket) -> None:
        if key in self._buckets:
            self._buckets.move_to_end(key)
            return
        self._buckets[key] = bucket
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
