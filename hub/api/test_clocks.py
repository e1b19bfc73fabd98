"""Test clocks in GraphQL (``hub.services.test_clocks``): ``createTestClock``,
``advanceTestClock``, ``deleteTestClock`` and ``testClock``.

Sandbox creditors only: a live organization gets ``FORBIDDEN`` (reason ``SANDBOX_ONLY``),
like the other sandbox mutations (``hub.api.sandbox``). Refusals are ``userErrors`` with the
codes of ``hub.domain.test_clocks``; another organization's or a deleted clock is
``NOT_FOUND`` (and ``testClock`` is null).
"""

from __future__ import annotations

import enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.context import RequestContext, request_context
from hub.api.errors import ApiError, UserError
from hub.api.sandbox import sandbox_write
from hub.api.scalars import DateTime
from hub.auth.scopes import Scope
from hub.auth.tokens import Principal
from hub.domain.errors import DomainError
from hub.domain.sandbox import SANDBOX_ONLY
from hub.domain.test_clocks import MAX_ADVANCE, MAX_CLOCKS
from hub.services import test_clocks
from hub.services.test_clocks import WAIT_SECONDS, StoredClock


@strawberry.enum(description="Where a test clock is.")
class TestClockStatus(enum.Enum):
    __test__ = False  # not a pytest test class
    ADVANCING = strawberry.enum_value(
        "ADVANCING", description="Moving to its target; its accounts are being brought along."
    )
    READY = strawberry.enum_value(
        "READY", description="At its time: every account on it is at that time."
    )


@strawberry.type(description="A sandbox test clock: simulated time for the accounts placed on it.")
class TestClock:
    __test__ = False  # not a pytest test class
    id: strawberry.ID = strawberry.field(description="Its ID (`clk_…`).")
    name: str | None = strawberry.field(description="The name it was created with.")
    status: TestClockStatus = strawberry.field(description="`ADVANCING` or `READY`.")
    frozen_time: DateTime = strawberry.field(
        description="The clock's time (while `ADVANCING`, where it has got to)."
    )
    advancing_to: DateTime | None = strawberry.field(
        description="While `ADVANCING`, the time it is moving to; else null."
    )

    @classmethod
    def of(cls, clock: StoredClock) -> TestClock:
        return cls(
            id=strawberry.ID(clock.id),
            name=clock.name,
            status=TestClockStatus(clock.status.value),
            frozen_time=clock.frozen_time,
            advancing_to=clock.advancing_to,
        )


@strawberry.input(description="A new test clock.")
class CreateTestClockInput:
    frozen_time: DateTime = strawberry.field(description="Its time to start at (with a zone).")
    name: str | None = strawberry.field(default=None, description="A name, at most 100 chars.")


@strawberry.input(description="Advance a test clock: give exactly one of `to` and `by`.")
class AdvanceTestClockInput:
    id: strawberry.ID = strawberry.field(description="The clock's ID.")
    to: DateTime | None = strawberry.field(
        default=None, description="The time to move to (not before the clock's time)."
    )
    by: str | None = strawberry.field(
        default=None,
        description=(
            "How far to move: an ISO 8601 duration of weeks, days, hours, minutes and "
            "seconds, e.g. `P7D`, `P1W2D`, `PT12H` (no years or months)."
        ),
    )
    wait: bool = strawberry.field(
        default=False,
        description=(
            f"Return only when the clock is `READY` (at most {int(WAIT_SECONDS)} seconds; "
            "after that the clock comes back still `ADVANCING`, and becomes ready later)."
        ),
    )


@strawberry.input(description="Delete a test clock.")
class DeleteTestClockInput:
    id: strawberry.ID = strawberry.field(description="The clock's ID.")


@strawberry.type(description="Result of a test clock mutation.")
class TestClockPayload:
    __test__ = False  # not a pytest test class
    test_clock: TestClock | None = strawberry.field(description="The clock, as it is now.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.type(description="Result of `deleteTestClock`.")
class DeleteTestClockPayload:
    deleted: bool = strawberry.field(description="True if the clock was deleted.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


def _payload(clock: StoredClock | None, errors: list[UserError]) -> TestClockPayload:
    return TestClockPayload(
        test_clock=TestClock.of(clock) if clock is not None else None, user_errors=errors
    )


_LIMITS = (
    f"A clock moves only forward (`TEST_CLOCK_BACKWARDS`), at most {MAX_ADVANCE.days} days "
    f"(two years) at a time (`TEST_CLOCK_ADVANCE_TOO_LONG`); an organization has at most "
    f"{MAX_CLOCKS} (`TEST_CLOCK_LIMIT`)."
)


@strawberry.type(description="Test clock mutations.")
class TestClockMutation:
    @strawberry.mutation(
        description=(
            "Sandbox creditors only: a test clock at `frozenTime`; place accounts on it "
            f"(`testClockId`) and advance it. {_LIMITS} Needs `accounts:write`; a live "
            "organization gets `FORBIDDEN` (reason `SANDBOX_ONLY`)."
        )
    )
    async def create_test_clock(
        self,
        info: Info,
        input: Annotated[
            CreateTestClockInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> TestClockPayload:
        clock, errors = await sandbox_write(
            info,
            Scope.ACCOUNTS_WRITE,
            lambda ctx, principal: test_clocks.create_test_clock(
                ctx.services, principal, input.frozen_time, input.name
            ),
        )
        return _payload(clock, errors)

    @strawberry.mutation(
        description=(
            "Sandbox creditors only: move a clock forward, to `to` or `by` a duration. "
            "Asynchronous: the clock is `ADVANCING` until every account on it is at the new "
            "time (the simulated agency's steps, plans broken past the grace period, holds "
            "ended, each event dated at the clock), then `READY`, with a `test_clock.ready` "
            "event; `wait: true` returns when it is ready. Neither or both of `to` and `by`, "
            "or a bad duration, is `INVALID_TEST_CLOCK_ADVANCE`; advancing while it advances "
            f"is `TEST_CLOCK_ADVANCING`. {_LIMITS} Needs `accounts:write`."
        )
    )
    async def advance_test_clock(
        self,
        info: Info,
        input: Annotated[
            AdvanceTestClockInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> TestClockPayload:
        clock, errors = await sandbox_write(
            info,
            Scope.ACCOUNTS_WRITE,
            lambda ctx, principal: test_clocks.advance_test_clock(
                ctx.services,
                principal,
                str(input.id),
                to=input.to,
                by=input.by,
                wait=input.wait,
            ),
        )
        return _payload(clock, errors)

    @strawberry.mutation(
        description=(
            "Sandbox creditors only: delete a clock (it no longer counts toward the limit). "
            "Its accounts stay at its last time; remove them with `deleteSandboxData`. "
            "Needs `accounts:write`."
        )
    )
    async def delete_test_clock(
        self,
        info: Info,
        input: Annotated[
            DeleteTestClockInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> DeleteTestClockPayload:
        async def work(ctx: RequestContext, principal: Principal) -> bool:
            await test_clocks.delete_test_clock(ctx.services, principal, str(input.id))
            return True

        deleted, errors = await sandbox_write(info, Scope.ACCOUNTS_WRITE, work)
        return DeleteTestClockPayload(deleted=bool(deleted), user_errors=errors)


@strawberry.type(description="Test clock reads.")
class TestClockQuery:
    @strawberry.field(
        description=(
            "Sandbox creditors only: one of your test clocks; null if it does not exist, is "
            "another organization's or was deleted. Needs `accounts:read`; a live "
            "organization gets `FORBIDDEN` (reason `SANDBOX_ONLY`)."
        )
    )
    async def test_clock(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The clock's ID.")],
    ) -> TestClock | None:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        try:
            clock = await test_clocks.get_test_clock(ctx.services, principal, str(id))
        except DomainError as error:
            if error.code == SANDBOX_ONLY:
                raise ApiError(
                    "FORBIDDEN", error.problems[0].message, reason=SANDBOX_ONLY
                ) from None
            return None
        return TestClock.of(clock)
