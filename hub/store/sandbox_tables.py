"""The sandbox's tables: the simulated agency's pending steps (``hub.store.sandbox_steps``),
test clocks (``hub.store.sandbox_clocks``) and where deleted sandbox events were in the feed (``hub.store.sandbox_cleanup``)."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.columns import timestamp


class SandboxStep(SQLModel, table=True):
    """A pending step of the simulated sandbox agency (``hub.domain.sandbox_scenarios``) for
    one account: claimed once (``claimed_at``) by the runner when ``due_at`` has passed."""

    __tablename__ = "sandbox_steps"

    id: str = Field(primary_key=True, max_length=40)
    account_id: str = Field(foreign_key="accounts.id", index=True, max_length=40)
    agency_id: str = Field(foreign_key="organizations.id", max_length=40)
    scenario: str = Field(max_length=64)
    position: int = Field(default=0)
    #: When the runner may take it (wall time, compressed), and the account's day it acts at.
    due_at: dt.datetime = timestamp()
    acts_at: dt.datetime = timestamp()
    claimed_at: dt.datetime | None = timestamp(nullable=True)

    __table_args__ = (sa.Index("ix_sandbox_steps_due", "claimed_at", "due_at"),)


class DeletedEvent(SQLModel, table=True):
    """Where an event of a deleted sandbox run was in the feed (``hub.store.sandbox_cleanup``),
    so ``after: "evt_…"`` naming it still resumes at its place, for the same audience."""

    __tablename__ = "deleted_events"

    id: str = Field(primary_key=True, max_length=40)
    txid: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    position: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    # No foreign keys: the rows outlive nothing they would point at but the organizations.
    creditor_id: str = Field(max_length=40)
    agency_id: str | None = Field(default=None, max_length=40)
    deleted_at: dt.datetime = timestamp()


class TestClock(SQLModel, table=True):
    """A sandbox organization's test clock (``hub.domain.test_clocks``): its time, and while
    ``ADVANCING`` where it is going and which runner holds it until when (the lease)."""

    __tablename__ = "test_clocks"
    __test__ = False  # not a pytest test class

    id: str = Field(primary_key=True, max_length=40)
    organization_id: str = Field(foreign_key="organizations.id", index=True, max_length=40)
    name: str | None = Field(default=None, max_length=100)
    status: str = Field(max_length=16)
    frozen_time: dt.datetime = timestamp()
    advancing_to: dt.datetime | None = timestamp(nullable=True)
    lease_until: dt.datetime | None = timestamp(nullable=True)
    created_at: dt.datetime = timestamp()
    deleted_at: dt.datetime | None = timestamp(nullable=True)


sandbox_steps = SandboxStep.__table__  # type: ignore[attr-defined]
deleted_events = DeletedEvent.__table__  # type: ignore[attr-defined]
test_clocks = TestClock.__table__  # type: ignore[attr-defined]
