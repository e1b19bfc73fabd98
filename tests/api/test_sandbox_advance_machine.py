"""A hypothesis state machine interleaves advanceTestAccount with the real agency and creditor
moves on one sandbox account (``tests/api/test_account_lifecycle_machine.py``'s moves, plus
advancing to any target), on a real database (SQLite and PostgreSQL). Refusals are fine;
after every step the account keeps the lifecycle's invariants:

- the books balance (the base machine's: balance within [0, original], succeeded payments
  = placed + adjustments - balance, PAID exactly when the balance is zero, events numbered
  1..version in feed order);
- its items agree with its state: at most one active plan, one open dispute, one active
  hold; DISPUTED has an open dispute, ON_HOLD an active hold, PAYMENT_PLAN an active plan;
  a closed account has no active plan or hold (an open dispute may outlive it) and has its
  ``closed_at``; ``resume_status`` is set exactly
  while DISPUTED or ON_HOLD;
- the counts read model (``account_counts``) sums to the creditor's accounts by status
  and balance;
- an advance that says it changed nothing wrote no event, and one that changed something
  ends in the state it was asked for.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from hub.auth.scopes import OrganizationKind
from hub.domain.account import AccountStatus
from hub.domain.sandbox_paths import AdvanceTarget
from hub.services import organizations as organization_service
from hub.services import sandbox_advance
from hub.store.tables import account_counts, accounts, disputes, holds, payment_plans
from tests.api.test_account_lifecycle_machine import AccountLifecycle, World
from tests.conftest import BACKENDS, IN_CI
from tests.scenario import principal_of

EXAMPLES = int(os.environ.get("EVENLY_MACHINE_EXAMPLES", 30 if IN_CI else 8))
STEPS = 15


class SandboxWorld(World):
    """The base world, with a sandbox creditor routed to a sandbox agency in its place."""

    def __init__(self, backend: str, data_dir: Path) -> None:
        super().__init__(backend, data_dir)
        principals = {}
        for kind in (OrganizationKind.CREDITOR, OrganizationKind.AGENCY):
            creds = self.run(
                organization_service.create_organization(
                    self.scenario.ctx,
                    kind=kind,
                    name=f"Sandbox {kind.value.title()} {uuid.uuid4().hex[:6]}",
                    country="SE",
                    sandbox=True,
                )
            )
            principals[kind] = principal_of(creds.organization_id, kind)
        self.creditor = principals[OrganizationKind.CREDITOR]
        self.agency = principals[OrganizationKind.AGENCY]
        self.run(self.scenario.route(self.creditor, self.agency, "SE"))


class SandboxLifecycle(AccountLifecycle):
    #: Advances that moved an account, over the whole run (so the test cannot pass idle).
    moved = 0

    @rule(to=st.sampled_from(AdvanceTarget))
    def advance(self, to: AdvanceTarget) -> None:
        before = self.world.run(self._read())[0]["version"]
        advanced = self.attempt(
            sandbox_advance.advance_test_account(self.ctx, self.world.agency, self.account_id, to)
        )
        if advanced is None:
            return
        after = self.world.run(self._read())[0]
        if advanced.changed:
            SandboxLifecycle.moved += 1
            assert after["status"] == to.value
            assert after["version"] > before
        else:
            assert after["version"] == before

    # Advancing is drawn as often as two of the real moves: the point is their interleaving.
    @rule(to=st.sampled_from(AdvanceTarget))
    def advance_again(self, to: AdvanceTarget) -> None:
        self.advance(to)

    def invariant_items_agree_with_the_state(self) -> None:
        account, plans, open_disputes, active_holds = self.world.run(self._read_items())
        status = AccountStatus(account["status"])
        assert plans <= 1 and open_disputes <= 1 and active_holds <= 1
        if status is AccountStatus.DISPUTED:
            assert open_disputes == 1
        if status is AccountStatus.ON_HOLD:
            assert active_holds == 1
        if status is AccountStatus.PAYMENT_PLAN:
            assert plans == 1
        if status.is_terminal:
            # A dispute may outlive the account: paid in full while disputed, it stays open
            # for the agency to resolve.
            assert (plans, active_holds) == (0, 0), status
            assert account["closed_at"] is not None
        else:
            assert account["closed_at"] is None
        paused = status in (AccountStatus.DISPUTED, AccountStatus.ON_HOLD)
        assert (account["resume_status"] is not None) == paused, (status, account["resume_status"])

    def invariant_counts_match_the_accounts(self) -> None:
        counted, actual = self.world.run(self._read_counts())
        assert counted == actual

    @invariant()
    def the_state_and_the_read_models_agree(self) -> None:
        if hasattr(self, "account_id"):
            self.invariant_items_agree_with_the_state()
            self.invariant_counts_match_the_accounts()

    async def _read_items(self) -> tuple[Any, int, int, int]:
        def count(table: sa.Table, status: str) -> Any:
            return (
                sa.select(sa.func.count())
                .where(table.c.account_id == self.account_id, table.c.status == status)
                .scalar_subquery()
            )

        async with self.world.services.db.read() as conn:
            account = (
                (await conn.execute(sa.select(accounts).where(accounts.c.id == self.account_id)))
                .one()
                ._mapping
            )
            found = (
                await conn.execute(
                    sa.select(
                        count(payment_plans, "ACTIVE"),
                        count(disputes, "OPEN"),
                        count(holds, "ACTIVE"),
                    )
                )
            ).one()
        return account, int(found[0]), int(found[1]), int(found[2])

    async def _read_counts(self) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
        creditor = self.world.creditor.organization_id
        c, a = account_counts, accounts
        async with self.world.services.db.read() as conn:
            counted_rows = await conn.execute(
                sa.select(c.c.status, sa.func.sum(c.c.accounts), sa.func.sum(c.c.balance_minor))
                .where(c.c.creditor_id == creditor)
                .group_by(c.c.status)
            )
            actual_rows = await conn.execute(
                sa.select(a.c.status, sa.func.count(), sa.func.sum(a.c.balance_minor))
                .where(a.c.creditor_id == creditor)
                .group_by(a.c.status)
            )
            counted = {
                s: (int(n), int(b or 0)) for s, n, b in counted_rows if int(n) or int(b or 0)
            }
            actual = {s: (int(n), int(b or 0)) for s, n, b in actual_rows}
        return counted, actual


@pytest.mark.parametrize("database", BACKENDS)
def test_advances_interleaved_with_real_moves_keep_the_account_invariants(
    database: str, tmp_path: Path
) -> None:
    world = SandboxWorld(database, tmp_path)
    SandboxLifecycle.world = world
    try:
        SandboxLifecycle.TestCase.settings = settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            derandomize=os.environ.get("CI", "") == "true",
        )
        SandboxLifecycle.moved = 0
        SandboxLifecycle.TestCase().runTest()
        assert SandboxLifecycle.moved > 0
        print(f"advances that moved the account: {SandboxLifecycle.moved}")
    finally:
        world.close()
