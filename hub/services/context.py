"""What every use case needs: the database, the PII cipher and a clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.settings import Settings
from hub.store.database import Database
from hub.store.pii import FieldCipher


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

    def __post_init__(self) -> None:
        if self.organizations is None:
            from hub.services.organizations import OrganizationCache

            self.organizations = OrganizationCache()

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceContext:
        return cls(
            db=Database(settings.resolved_database_url),
            cipher=FieldCipher.from_settings(settings),
            settings=settings,
        )
