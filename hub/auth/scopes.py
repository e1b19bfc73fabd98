"""Scopes: what an access token allows. The one list of scopes and who may hold them."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    ACCOUNTS_READ = "accounts:read"
    ACCOUNTS_WRITE = "accounts:write"
    EVENTS_READ = "events:read"
    WEBHOOKS_MANAGE = "webhooks:manage"
    AGENCY_WRITE = "agency:write"


class OrganizationKind(StrEnum):
    CREDITOR = "CREDITOR"
    AGENCY = "AGENCY"


#: Scopes a client of each kind of organization may hold; new clients get all of them.
ALLOWED_SCOPES: dict[OrganizationKind, frozenset[Scope]] = {
    OrganizationKind.CREDITOR: frozenset(
        {Scope.ACCOUNTS_READ, Scope.ACCOUNTS_WRITE, Scope.EVENTS_READ, Scope.WEBHOOKS_MANAGE}
    ),
    OrganizationKind.AGENCY: frozenset(
        {Scope.ACCOUNTS_READ, Scope.EVENTS_READ, Scope.WEBHOOKS_MANAGE, Scope.AGENCY_WRITE}
    ),
}


def parse_scopes(text: str) -> frozenset[str]:
    """Scopes from an RFC 6749 space-delimited string."""
    return frozenset(text.split())


def format_scopes(scopes: frozenset[str] | set[str]) -> str:
    return " ".join(sorted(scopes))
