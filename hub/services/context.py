"""What every use case needs: the database, the PII cipher and a clock."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.services.idempotency import RequestHasher
from hub.settings import Settings
from hub.store.database import Database
from hub.store.pii import FieldCipher

RULES_RECHECK_SECONDS = 5.0


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class ServiceContext:
    db: Database
    cipher: FieldCipher
    settings: Settings
    clock: Callable[[], dt.datetime] = field(default=utcnow)
    #: Organizations linked to visible accounts (creditor, agency), cached in process.
    organizations: Any = field(default=None)
    #: Keyed hashes of idempotent requests; keyed from ``cipher`` unless given.
    request_hasher: RequestHasher = field(default=None)  # type: ignore[assignment]
    #: The compliance rule packs (``hub.compliance.RuleRegistry``), loaded on first use.
    _rules: Any = field(default=None, repr=False)
    _rules_checked: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if self.request_hasher is None:
            self.request_hasher = RequestHasher.from_cipher(self.cipher)
        if self.organizations is None:
            from hub.services.organizations import OrganizationCache

            self.organizations = OrganizationCache()

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
