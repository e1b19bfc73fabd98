"""``client.sandbox.clocks``: test clocks, simulated time for sandbox accounts.

Place accounts on a clock (``client.accounts.place(..., test_clock_id=clock.id)``), then
``advance`` it: the simulated agency's steps, plan breaks and hold ends up to the new time
happen, each event dated at the clock's time. ``advance`` waits until the clock is
``READY`` by default (the hub waits up to 25 s per request; the SDK then polls until
``timeout``); ``wait=False`` returns at once with the clock ``ADVANCING``.

Limits, refused with ``UserError`` and the code: a clock moves only forward
(``TEST_CLOCK_BACKWARDS``), at most 731 days at a time (``TEST_CLOCK_ADVANCE_TOO_LONG``), at
most 10 per organization (``TEST_CLOCK_LIMIT``), not while advancing
(``TEST_CLOCK_ADVANCING``); neither or both of ``to`` and ``by``, or a bad duration, is
``INVALID_TEST_CLOCK_ADVANCE``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

from evenly._base_client import Call
from evenly._exceptions import NotFoundError
from evenly._models import EvenlyModel
from evenly._operations import (
    ADVANCE_TEST_CLOCK,
    CREATE_TEST_CLOCK,
    DELETE_TEST_CLOCK,
    TEST_CLOCK,
)
from evenly.resources._resource import AsyncResource, SyncResource, payload, payload_object

__all__ = ["AsyncClocks", "Clocks", "TestClock"]

#: How long ``advance`` waits for ``READY`` in all, by default (seconds).
ADVANCE_TIMEOUT = 300.0
_POLL_SECONDS = 0.5


class TestClock(EvenlyModel):
    """A test clock: ``status`` is ``ADVANCING`` or ``READY``."""

    __test__ = False  # not a pytest test class

    id: str
    name: str | None = None
    status: str
    frozen_time: dt.datetime
    advancing_to: dt.datetime | None = None


def _time(value: dt.datetime | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _create(frozen_time: dt.datetime | str, name: str | None) -> Call[TestClock]:
    return Call(
        CREATE_TEST_CLOCK,
        {"input": {"frozenTime": _time(frozen_time), "name": name}},
        payload_object("createTestClock", "testClock", TestClock),
        retry_safe=False,  # a retry would make a second clock
    )


def _advance(
    clock_id: str, to: dt.datetime | str | None, by: str | None, wait: bool
) -> Call[TestClock]:
    input_: dict[str, Any] = {"id": clock_id, "wait": wait}
    if to is not None:
        input_["to"] = _time(to)
    if by is not None:
        input_["by"] = by
    return Call(
        ADVANCE_TEST_CLOCK,
        {"input": input_},
        payload_object("advanceTestClock", "testClock", TestClock),
        retry_safe=False,  # a retry would advance it twice
    )


def _get(clock_id: str) -> Call[TestClock]:
    def parse(data: dict[str, Any], request_id: str | None) -> TestClock:
        if data["testClock"] is None:
            raise NotFoundError(
                f"no test clock {clock_id!r}", code="NOT_FOUND", request_id=request_id
            )
        return TestClock.model_validate(data["testClock"])

    return Call(TEST_CLOCK, {"id": clock_id}, parse)


def _delete(clock_id: str) -> Call[bool]:
    read = payload("deleteTestClock")
    return Call(
        DELETE_TEST_CLOCK,
        {"input": {"id": clock_id}},
        lambda data, rid: bool(read(data, rid)["deleted"]),
        retry_safe=False,
    )


class Clocks(SyncResource):
    """Test clocks: ``client.sandbox.clocks``."""

    def create(self, frozen_time: dt.datetime | str, *, name: str | None = None) -> TestClock:
        """A new clock at ``frozen_time`` (with a time zone)."""
        return self._client.execute(_create(frozen_time, name))

    def get(self, clock_id: str) -> TestClock:
        """The clock; ``NotFoundError`` if it is not yours or was deleted."""
        return self._client.execute(_get(clock_id))

    def advance(
        self,
        clock_id: str,
        *,
        to: dt.datetime | str | None = None,
        by: str | None = None,
        wait: bool = True,
        timeout: float = ADVANCE_TIMEOUT,
    ) -> TestClock:
        """Move the clock to ``to`` or ``by`` an ISO 8601 duration (``"P7D"``); with
        ``wait`` (the default) return once it is ``READY``, raising ``TimeoutError`` after
        ``timeout`` seconds (the clock goes on advancing)."""
        clock = self._client.execute(_advance(clock_id, to, by, wait))
        deadline = time.monotonic() + timeout
        while wait and clock.status != "READY":
            if time.monotonic() > deadline:
                raise TimeoutError(f"test clock {clock_id} still advancing after {timeout} s")
            time.sleep(_POLL_SECONDS)
            clock = self.get(clock_id)
        return clock

    def delete(self, clock_id: str) -> bool:
        """Delete the clock; its accounts stay at its last time."""
        return self._client.execute(_delete(clock_id))


class AsyncClocks(AsyncResource):
    """``client.sandbox.clocks`` of ``AsyncEvenly``: the same methods, awaited."""

    async def create(self, frozen_time: dt.datetime | str, *, name: str | None = None) -> TestClock:
        """A new clock at ``frozen_time`` (see ``Clocks.create``)."""
        return await self._client.execute(_create(frozen_time, name))

    async def get(self, clock_id: str) -> TestClock:
        """The clock (see ``Clocks.get``)."""
        return await self._client.execute(_get(clock_id))

    async def advance(
        self,
        clock_id: str,
        *,
        to: dt.datetime | str | None = None,
        by: str | None = None,
        wait: bool = True,
        timeout: float = ADVANCE_TIMEOUT,  # noqa: ASYNC109 (the same argument as the sync one)
    ) -> TestClock:
        """Move the clock and, by default, wait until it is ``READY`` (see
        ``Clocks.advance``)."""
        clock = await self._client.execute(_advance(clock_id, to, by, wait))
        deadline = time.monotonic() + timeout
        while wait and clock.status != "READY":
            if time.monotonic() > deadline:
                raise TimeoutError(f"test clock {clock_id} still advancing after {timeout} s")
            await asyncio.sleep(_POLL_SECONDS)
            clock = await self.get(clock_id)
        return clock

    async def delete(self, clock_id: str) -> bool:
        """Delete the clock (see ``Clocks.delete``)."""
        return await self._client.execute(_delete(clock_id))
