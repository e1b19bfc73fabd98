"""Organizations: the creditors and collection agencies on the hub, and their API clients."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    #: ``CREDITOR`` or ``AGENCY``.
    kind: str
    name: str
    country: str
    created_at: dt.datetime
    #: A test organization: it never meets live ones (``hub.domain.sandbox``).
    sandbox: bool = False
    #: A simulated sandbox agency: the hub acts on its accounts (``hub.domain.sandbox_scenarios``).
    simulated: bool = False


@dataclass(frozen=True, slots=True)
class ApiClient:
    """An organization's API client: its secret is kept as a hash only."""

    id: str
    organization_id: str
    organization_kind: str
    secret_hash: str
    scopes: frozenset[str]
    revoked_at: dt.datetime | None
