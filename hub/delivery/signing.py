"""The endpoints' signing secrets, read once however many deliveries need them.

A claim carries its endpoint's version (``updated_at``, moved by every rotation): a version
newer than the cached secrets means reading them again, so a new secret signs from the
moment its rotation commits. Cached secrets are read again anyway when an overlap ends (an
old secret stops signing then) and at least every ``MAX_AGE_SECONDS``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hub.store.delivery_queue import Delivery
from hub.store.unit_of_work import Store

#: Signing secrets are read again at least this often (rotation bumps the endpoint anyway).
MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class _Secrets:
    version: dt.datetime
    secrets: list[str]
    #: Read again from then on: the soonest overlap end, or the cache's age limit.
    until: dt.datetime


class SigningSecrets:
    """Each endpoint's current secrets, cached per worker."""

    def __init__(self, store: Store, clock: Callable[[], dt.datetime], lease: dt.timedelta) -> None:
        self.store = store
        self.clock = clock
        self.lease = lease
        self._cached: dict[str, _Secrets] = {}
        self._loads: dict[str, tuple[dt.datetime, asyncio.Future[_Secrets]]] = {}

    async def of(self, delivery: Delivery) -> list[str]:
        """The secrets that sign ``delivery``, newest first."""
        endpoint_id = delivery.endpoint_id
        cached = self._cached.get(endpoint_id)
        if (
            cached is not None
            and cached.version >= delivery.endpoint_version
            and self.clock() < cached.until
        ):
            return cached.secrets
        # A read that began after the claim sees at least what the claim saw.
        claimed_at = delivery.lease_until - self.lease
        loading = self._loads.get(endpoint_id)
        if loading is None or loading[0] < claimed_at:
            future = asyncio.ensure_future(self._load(endpoint_id))
            loading = self._loads[endpoint_id] = (self.clock(), future)

            def forget(_: object, mine: tuple[dt.datetime, Any] = loading) -> None:
                if self._loads.get(endpoint_id) is mine:
                    del self._loads[endpoint_id]

            future.add_done_callback(forget)
        loaded: _Secrets = await asyncio.shield(loading[1])
        return loaded.secrets

    async def _load(self, endpoint_id: str) -> _Secrets:
        now = self.clock()
        async with self.store.read() as uow:
            state = await uow.endpoints.signing_state(endpoint_id, now)
        until = now + dt.timedelta(seconds=MAX_AGE_SECONDS)
        if state.expires_at is not None:
            until = min(until, state.expires_at)
        loaded = _Secrets(state.version, state.secrets, until)
        cached = self._cached.get(endpoint_id)
        if cached is None or cached.version <= loaded.version:  # reads may end out of order
            self._cached[endpoint_id] = loaded
        return loaded
