"""Scopes: what an access token allows. The one list of scopes and who may hold them."""

from __future__ import annotations

import re
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


# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), joined by single spaces.
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")


class InvalidScope(ValueError):
    """A scope string that is not RFC 6749 §3.3 scope tokens separated by single spaces."""


def parse_scopes(text: str) -> frozenset[str]:
    """Scopes from an RFC 6749 §3.3 scope string; ``""`` is no scope.

    Tokens are printable ASCII except ``"`` and ``\\``, separated by one U+0020 each: tabs,
    other Unicode spaces, doubled or surrounding spaces raise ``InvalidScope``.
    """
    if not text:
        return frozenset()
    tokens = text.split(" ")
    if not all(_SCOPE_TOKEN.fullmatch(token) for token in tokens):
        raise InvalidScope("scope must be scope tokens separated by single spaces (RFC 6749 §3.3)")
    return frozenset(tokens)


def format_scopes(scopes: frozenset[str] | set[str]) -> str:
    return " ".join(sorted(scopes))
