"""What every use case needs: the database, the PII cipher and a clock."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hub.domain.organization import Organization
from hub.services.idempotency import RequestHasher
from hub.settings import Settings
from hub.store.database import Database
from hub.store.pii import FieldCipher
from hub.store.unit_of_work import Store

RULES_RECHECK_SECONDS = 5.0


class OrganizationCache:
    """Organizations by id, kept in process for ``ttl`` seconds.

    Organizations never change after creation (there is no rename), so a short-lived copy is
    safe; it spares a database read for every account's ``creditor`` and ``agency``.
    """

    def __init__(self, store: Store, ttl: float = 60.0, max_size: int = 10_000) -> None:
        self.store = store
        self.ttl = ttl
        self.max_size = max_size
        self._found: dict[str, tuple[float, Organization]] = {}

    def cached(self, organization_id: str) -> Organization | None:
        """The organization if a fresh copy is at hand, without waiting for anything."""
        entry = self._found.get(organization_id)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def remember(self, organization: Organization) -> None:
        """Keep ``organization``, read by a caller in its own unit of work."""
        if len(self._found) >= self.max_size:
            self._found.clear()
        self._found[organization.id] = (time.monotonic() + self.ttl, organization)

    async def get_many(self, ids: Sequence[str]) -> dict[str, Organization]:
        now = time.monotonic()
        found = {i: entry[1] for i in ids if (entry := self._found.get(i)) and entry[0] > now}
        missing = [i for i in ids if i not in found]
        if missing:
            async with self.store.read() as uow:
                loaded = await uow.organizations.get_many(missing)
            if len(self._found) + len(loaded) > self.max_size:
                self._found.clear()
            for org_id, organization in loaded.items():
                self._found[org_id] = (now + self.ttl, organization)
            found.update(loaded)
        return found


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class ServiceContext:
    db: Database
    cipher: FieldCipher
    settings: Settings
    clock: Callable[[], dt.datetime] = field(default=utcnow)
    #: True when ``clock`` already is the time of the accounts touched (the simulated
    #: agency's steps, the sweeps, a test clock's advance): ``account_now`` then does not
    #: look up an account's test clock (``hub.services.account_changes``).
    account_time: bool = False
    #: Organizations linked to visible accounts (creditor, agency), cached in process.
    organizations: OrganizationCache = field(default=None)  # type: ignore[assignment]
    #: Keyed hashes of idempotent requests; keyed from ``cipher`` unless given.
    request_hasher: RequestHasher = field(default=None)  # type: ignore[assignment]
    #: Storage: units of work with their repositories (``hub.store``).
    store: Store = field(init=False, repr=False)
    #: The compliance rule packs (``hub.compliance.RuleRegistry``), loaded on first use.
    _rules: Any = field(default=None, repr=False)
    _rules_checked: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.store = Store(self.db, self.cipher)
        if self.request_hasher is None:
            self.request_hasher = RequestHasher.from_cipher(self.cipher)
        if self.organizations is None:
            self.organizations = OrganizationCache(self.store)

    async def test_clock_time(self, uow: Any, clock_id: str) -> dt.datetime | None:
        """The time of test clock ``clock_id`` (deleted or not), or None (no such clock, or
        ``clock`` is the account's time already)."""
        if self.account_time:
            return None
        found: dt.datetime | None = await uow.sandbox_clocks.time_of(clock_id)
        return found

    def rules(self) -> Any:
        """The rule packs in force. New or changed pack files are picked up without a
        restart: the files are checked at most every ``RULES_RECHECK_SECONDS``."""
        from hub.compliance import PackFileError, RuleRegistry

        now = time.monotonic()
        if self._rules is None:
            self._rules = RuleRegistry.with_extra(self.settings.rules_dir or None)
            self._rules_checked = now
        elif now - self._rules_checked > RULES_RECHECK_SECONDS:
            self._rules_checked = now
            try:
                self._rules.reload()
            except PackFileError:
                # A broken new file must not stop contacts: keep the packs in force.
                logging.getLogger("evenly.compliance").exception("rule pack reload failed")
        return self._rules

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceContext:
        return cls(
            db=Database(settings.resolved_database_url, pool_size=settings.database_pool_size),
            cipher=FieldCipher.from_settings(settings),
            settings=settings,
        )
