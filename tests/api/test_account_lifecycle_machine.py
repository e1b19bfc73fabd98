"""A hypothesis state machine drives one account through random agency and creditor moves.

Each step calls the real use cases on a real database (SQLite and PostgreSQL); refusals
are fine, what matters is that after every step the books balance:

- the balance is never negative nor above the original amount;
- succeeded payments = placed balance + accepted adjustments - balance (reversed, failed
  and pending payments moved nothing);
- PAID exactly when the balance is zero;
- the account's events are numbered 1..version without gaps (every change is an event).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from hub.auth.scopes import OrganizationKind
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.payment_plan import Cadence
from hub.domain.vocabulary import (
    CloseReason,
    ContactChannel,
    ContactDirection,
    ContactOutcome,
    DisputeOutcome,
    DisputeReason,
    HoldReason,
    PaymentChannel,
    PaymentMethod,
)
from hub.services import accounts as account_service
from hub.services import closing as closing_service
from hub.services import contacts as contacts_service
from hub.services import disputes as disputes_service
from hub.services import holds as holds_service
from hub.services import maintenance as maintenance_service
from hub.services import payments as payments_service
from hub.services import plans as plans_service
from hub.services.context import ServiceContext
from hub.store.migrate import upgrade
from hub.store.tables import accounts, events, payments
from tests.conftest import (
    BACKENDS,
    IN_CI,
    _create_postgres_database,
    _drop_postgres_database,
    postgres_url,
)
from tests.conftest import (
    test_settings as settings_for,
)
from tests.scenario import Scenario

T = TypeVar("T")
EXAMPLES = 60 if IN_CI else 20


class World:
    """One database, one event loop, a creditor routed to an agency; shared by examples."""

    def __init__(self, backend: str, data_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.pg_name: str | None = None
        if backend == "postgresql":
            self.pg_name = self.run(_create_postgres_database())
            url = postgres_url(self.pg_name)
        else:
            url = f"sqlite+aiosqlite:///{data_dir / 'machine.db'}"
        self.services = ServiceContext.from_settings(settings_for(data_dir, url))
        self.run(upgrade(self.services.db.engine))
        self.scenario = Scenario(self.services, dt.datetime.now(dt.UTC))
        self.creditor = self.run(self.scenario.organization(OrganizationKind.CREDITOR))
        self.agency = self.run(self.scenario.organization(OrganizationKind.AGENCY))
        self.run(self.scenario.route(self.creditor, self.agency, "SE"))

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def close(self) -> None:
        self.run(self.services.db.dispose())
        if self.pg_name is not None:
            self.run(_drop_postgres_database(self.pg_name))
        self.loop.close()


class AccountLifecycle(RuleBasedStateMachine):
    world: World

    payments = Bundle("payments")
    disputes = Bundle("disputes")
    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.ctx: ServiceContext = dataclasses.replace(
            self.world.services, clock=lambda: dt.datetime.now(dt.UTC)
        )
        self.adjustments = 0
        self.steps = 0

    def attempt(self, work: Coroutine[Any, Any, T]) -> T | None:
        """Run a use case; a refusal (DomainError) is a legal outcome of a random move."""
        try:
            done = self.world.run(work)
        except DomainError as refusal:
            event(f"refused {refusal.code}")
            return None
        event(f"done {work.__qualname__}")
        return done

    @initialize(balance=st.integers(100, 50_000), acknowledged=st.booleans())
    def place(self, balance: int, acknowledged: bool) -> None:
        self.balance_at_placement = self.balance = balance
        self.account_id = self.world.run(self.world.scenario.place(self.world.creditor, balance))
        if acknowledged:
            self.acknowledge()

    @rule()
    def acknowledge(self) -> None:
        self.attempt(
            account_service.acknowledge_placement(
                self.ctx, self.world.agency, self.account_id, agency_reference=None
            )
        )

    @rule(
        channel=st.sampled_from(ContactChannel),
        direction=st.sampled_from(ContactDirection),
        outcome=st.sampled_from(ContactOutcome),
    )
    def contact(
        self, channel: ContactChannel, direction: ContactDirection, outcome: ContactOutcome
    ) -> None:
        self.attempt(
            contacts_service.log_contact_attempt(
                self.ctx,
                self.world.agency,
                self.account_id,
                channel=channel,
                direction=direction,
                outcome=outcome,
                occurred_at=dt.datetime.now(dt.UTC),
            )
        )

    @rule(installment=st.integers(1, 60_000), cadence=st.sampled_from(Cadence))
    def plan(self, installment: int, cadence: Cadence) -> None:
        self.attempt(
            plans_service.create_payment_plan(
                self.ctx,
                self.world.agency,
                self.account_id,
                cadence=cadence,
                start_date=dt.datetime.now(dt.UTC).date(),
                installment_amount=Money(installment, "SEK"),
                installments=None,
            )
        )

    @rule(
        target=payments,
        percent=st.integers(-1, 105),
        pending=st.booleans(),
        channel=st.sampled_from([PaymentChannel.AGENCY, PaymentChannel.PORTAL]),
        direct=st.booleans(),
    )
    def pay(self, percent: int, pending: bool, channel: PaymentChannel, direct: bool) -> Any:
        """A share of the current balance: sometimes all of it, sometimes too much."""
        amount = self.balance * percent // 100
        applied = self.attempt(
            payments_service.record_payment(
                self.ctx,
                self.world.creditor if direct else self.world.agency,
                self.account_id,
                amount=Money(amount, "SEK"),
                method=PaymentMethod.CARD,
                channel=channel,
                received_at=dt.datetime.now(dt.UTC),
                pending=pending and not direct,
            )
        )
        return applied.result["payment_id"] if applied else multiple()

    @rule(payment=payments, succeeded=st.booleans())
    def settle(self, payment: str, succeeded: bool) -> None:
        self.attempt(
            payments_service.settle_payment(
                self.ctx, self.world.agency, payment, succeeded=succeeded
            )
        )

    @rule(payment=payments)
    def reverse(self, payment: str) -> None:
        self.attempt(
            payments_service.reverse_payment(
                self.ctx, self.world.agency, payment, reason="chargeback"
            )
        )

    @rule(delta=st.integers(-20_000, 20_000))
    def adjust(self, delta: int) -> None:
        applied = self.attempt(
            account_service.adjust_balance(
                self.ctx,
                self.world.creditor,
                self.account_id,
                amount=Money(delta, "SEK"),
                reason="correction",
            )
        )
        if applied is not None:
            self.adjustments += delta

    @rule(target=disputes, reason=st.sampled_from(DisputeReason))
    def open_dispute(self, reason: DisputeReason) -> Any:
        applied = self.attempt(
            disputes_service.open_dispute(
                self.ctx, self.world.agency, self.account_id, reason=reason, details=None
            )
        )
        return applied.result["dispute_id"] if applied else multiple()

    @rule(dispute=disputes, outcome=st.sampled_from(DisputeOutcome))
    def resolve_dispute(self, dispute: str, outcome: DisputeOutcome) -> None:
        self.attempt(
            disputes_service.resolve_dispute(
                self.ctx, self.world.agency, dispute, outcome=outcome, notes=None
            )
        )

    @rule(target=holds, reason=st.sampled_from(HoldReason), days=st.none() | st.integers(1, 30))
    def hold(self, reason: HoldReason, days: int | None) -> Any:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(days=days) if days else None
        applied = self.attempt(
            holds_service.place_on_hold(
                self.ctx, self.world.agency, self.account_id, reason=reason, until=until, notes=None
            )
        )
        return applied.result["hold_id"] if applied else multiple()

    @rule(hold=holds)
    def release(self, hold: str) -> None:
        self.attempt(holds_service.release_hold(self.ctx, self.world.agency, hold))

    # Closing moves come late in a run, so the moves before them get exercised.
    @precondition(lambda self: self.steps > 12)
    @rule(reason=st.sampled_from(CloseReason), settlement=st.none() | st.integers(1, 60_000))
    def close(self, reason: CloseReason, settlement: int | None) -> None:
        self.attempt(
            closing_service.close_account(
                self.ctx,
                self.world.agency,
                self.account_id,
                reason=reason,
                settlement_amount=Money(settlement, "SEK") if settlement else None,
            )
        )

    @precondition(lambda self: self.steps > 12)
    @rule()
    def recall(self) -> None:
        self.attempt(
            account_service.recall_account(
                self.ctx, self.world.creditor, self.account_id, reason=None
            )
        )

    @rule(days=st.integers(1, 200))
    def time_passes(self, days: int) -> None:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
        self.world.run(maintenance_service.sweep(self.ctx, now=later))

    @invariant()
    def the_books_balance(self) -> None:
        if not hasattr(self, "account_id"):
            return
        self.steps += 1
        account, succeeded, sequences = self.world.run(self._read())
        balance = self.balance = account["balance_minor"]
        assert 0 <= balance <= account["original_amount_minor"]
        assert succeeded == self.balance_at_placement + self.adjustments - balance
        assert (account["status"] == "PAID") == (balance == 0)
        assert sequences == list(range(1, account["version"] + 1))

    async def _read(self) -> tuple[Any, int, list[int]]:
        async with self.world.services.db.read() as conn:
            account = (
                (await conn.execute(sa.select(accounts).where(accounts.c.id == self.account_id)))
                .one()
                ._mapping
            )
            succeeded = await conn.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount_minor), 0)).where(
                    payments.c.account_id == self.account_id, payments.c.status == "SUCCEEDED"
                )
            )
            sequences = (
                await conn.scalars(
                    sa.select(events.c.sequence)
                    .where(events.c.account_id == self.account_id)
                    .order_by(events.c.position)
                )
            ).all()
        return account, int(succeeded), list(sequences)


@pytest.mark.parametrize("database", BACKENDS)
def test_account_lifecycle_keeps_the_books(database: str, tmp_path: Path) -> None:
    world = World(database, tmp_path)
    AccountLifecycle.world = world
    try:
        AccountLifecycle.TestCase.settings = settings(
            max_examples=EXAMPLES,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            derandomize=os.environ.get("CI", "") == "true",
        )
        AccountLifecycle.TestCase().runTest()
    finally:
        world.close()
