"""A unit of work: one use case's storage work on one connection, with its repositories.

``Store.change()`` is the unit for a read-then-write change checked by a version guard: on
PostgreSQL its reads run outside any transaction and the change is written in one
autocommitted statement (``Accounts.save``); on SQLite the whole block is one transaction
(writers take turns there). ``Store.transaction()`` is one transaction for work of several
statements (placing a batch, a customer's consent across accounts). ``Store.read()`` is for
reads alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.exc import IntegrityError

from hub.store.accounts import Accounts
from hub.store.customers import Customers
from hub.store.database import Database
from hub.store.delivery_log import DeliveryLog
from hub.store.delivery_queue import DeliveryQueue
from hub.store.endpoints import Endpoints
from hub.store.event_log import EventLog
from hub.store.help_contacts import HelpContacts
from hub.store.idempotency import IdempotencyKeys
from hub.store.items import Items
from hub.store.organizations import Organizations
from hub.store.pii import FieldCipher
from hub.store.placements import Placements
from hub.store.plan_offers import PlanOfferStore
from hub.store.portal_branding import PortalBrandings
from hub.store.portal_links import PortalLinks
from hub.store.sandbox_cleanup import SandboxCleanup
from hub.store.sandbox_clocks import SandboxClocks
from hub.store.sandbox_steps import SandboxSteps
from hub.store.session import Session
from hub.store.writes import WriteConflict


class UnitOfWork(Session):
    """A session with its repositories, one for each kind of thing the hub keeps."""

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self)

    @cached_property
    def items(self) -> Items:
        return Items(self)

    @cached_property
    def events(self) -> EventLog:
        return EventLog(self)

    @cached_property
    def customers(self) -> Customers:
        return Customers(self)

    @cached_property
    def idempotency(self) -> IdempotencyKeys:
        return IdempotencyKeys(self)

    @cached_property
    def placements(self) -> Placements:
        return Placements(self)

    @cached_property
    def organizations(self) -> Organizations:
        return Organizations(self)

    @cached_property
    def endpoints(self) -> Endpoints:
        return Endpoints(self)

    @cached_property
    def delivery_log(self) -> DeliveryLog:
        return DeliveryLog(self)

    @cached_property
    def delivery_queue(self) -> DeliveryQueue:
        return DeliveryQueue(self)

    @cached_property
    def portal_links(self) -> PortalLinks:
        return PortalLinks(self)

    @cached_property
    def sandbox_steps(self) -> SandboxSteps:
        return SandboxSteps(self)

    @cached_property
    def sandbox_clocks(self) -> SandboxClocks:
        return SandboxClocks(self)

    @cached_property
    def sandbox_cleanup(self) -> SandboxCleanup:
        return SandboxCleanup(self)

    @cached_property
    def plan_offers(self) -> PlanOfferStore:
        return PlanOfferStore(self)

    @cached_property
    def help_contacts(self) -> HelpContacts:
        return HelpContacts(self)

    @cached_property
    def portal_branding(self) -> PortalBrandings:
        return PortalBrandings(self)


@dataclass(frozen=True)
class Store:
    """The hub's storage: the database and the cipher of the personal data it keeps."""

    db: Database
    cipher: FieldCipher

    @asynccontextmanager
    async def change(self) -> AsyncIterator[UnitOfWork]:
        with _conflicts_as_error():
            async with self.db.optimistic() as conn:
                yield UnitOfWork(conn, self.db.dialect, self.cipher)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        with _conflicts_as_error():
            async with self.db.transaction() as conn:
                yield UnitOfWork(conn, self.db.dialect, self.cipher)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        async with self.db.read() as conn:
            yield UnitOfWork(conn, self.db.dialect, self.cipher)


@contextmanager
def _conflicts_as_error() -> Iterator[None]:
    """A unique key that refused a row means a concurrent writer won a race."""
    try:
        yield
    except IntegrityError as error:
        raise WriteConflict() from error
