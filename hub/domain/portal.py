"""Debtor portal links: who may issue one, how long it lives, and what makes it unusable.

A link is ``/p/<token>``: the token is 32 random bytes (256 bits) in URL-safe base64, handed
out once and kept only as a keyed hash (``hub.store.portal_links``), so the database alone
cannot open a link. A link is scoped to one customer of one creditor, and issued by the
organization collecting the account it was made for: the agency it is assigned to, or the
creditor while no agency has it.

Expiry: the issuer chooses a lifetime (``expiresIn``, default 7 days, at most 90). Each use
keeps the link alive for at least 24 hours more (sliding), but never past 90 days after it
was issued. A revoked link stays revoked.

Whatever makes a link unusable (unknown, expired or revoked token) is one refusal,
``PORTAL_LINK_INVALID``, so a caller cannot tell a guessed token from a dead one.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from hub.domain.account import OPEN, Account
from hub.domain.errors import DomainError

TOKEN_BYTES = 32
DEFAULT_LIFETIME = dt.timedelta(days=7)
MIN_LIFETIME = dt.timedelta(minutes=15)
MAX_LIFETIME = dt.timedelta(days=90)
SLIDING = dt.timedelta(hours=24)
PATH_PREFIX = "/p/"

#: A token as ``new_token`` writes it: URL-safe base64 of 32 bytes, no padding.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
#: A language tag the portal may speak: ``sv`` or ``sv-SE`` (BCP 47, language and region).
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")


def new_token() -> str:
    """A fresh link token: 256 random bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token_shaped(token: str) -> bool:
    """Whether ``token`` could have been issued (so others need no hashing nor a query)."""
    return _TOKEN.fullmatch(token) is not None


def link_path(token: str) -> str:
    return f"{PATH_PREFIX}{token}"


def logged_path(path: str) -> str:
    """``path`` as logs may show it: a portal path's token replaced by ``…`` (the token opens
    the link, so it is as secret as a password)."""
    if not path.startswith(PATH_PREFIX):
        return path
    _token, slash, rest = path[len(PATH_PREFIX) :].partition("/")
    return f"{PATH_PREFIX}…{slash}{rest}"


@dataclass(frozen=True, slots=True)
class PortalLink:
    """An issued link, without its token (which the hub never keeps)."""

    id: str
    #: The organization that issued it (and alone may revoke it, and receives its events).
    issuer_id: str
    creditor_id: str
    #: The agency collecting for the issuer; None when the creditor issued the link.
    agency_id: str | None
    customer_id: str
    #: The account the link was made for; the portal shows every open debt of the customer.
    account_id: str
    locale: str | None
    created_at: dt.datetime
    #: The end of the lifetime the issuer chose (``created_at`` + ``expiresIn``).
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    #: What the debtor confirms first (``hub.domain.portal_knowledge``): CODE by default.
    second_factor: str = "CODE"

    def valid_until(self) -> dt.datetime:
        """When the link stops working if not used again: the chosen lifetime, or 24 h after
        the last use if later, never past 90 days after issue."""
        until = self.expires_at
        if self.last_used_at is not None:
            until = max(until, self.last_used_at + SLIDING)
        return min(until, self.created_at + MAX_LIFETIME)

    def usable_at(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and now < self.valid_until()


def invalid_link() -> DomainError:
    """The one refusal for an unknown, expired or revoked token."""
    return DomainError.of("PORTAL_LINK_INVALID", "this link is not valid (any more)")


def check_lifetime(expires_in: dt.timedelta | None) -> dt.timedelta:
    """The lifetime a link gets: ``expires_in``, or 7 days; between 15 minutes and 90 days."""
    if expires_in is None:
        return DEFAULT_LIFETIME
    if not MIN_LIFETIME <= expires_in <= MAX_LIFETIME:
        raise DomainError.of(
            "INVALID_EXPIRY",
            "expiresIn must be between 900 seconds (15 minutes) and 7776000 (90 days)",
            "expiresIn",
        )
    return expires_in


def check_locale(locale: str | None) -> str | None:
    """A language tag such as ``sv`` or ``sv-SE``, or None (the customer's language)."""
    if locale is not None and _LOCALE.fullmatch(locale) is None:
        raise DomainError.of(
            "INVALID_LOCALE", "locale must be a language tag such as sv or sv-SE", "locale"
        )
    return locale


def check_issuer(account: Account, organization_id: str) -> None:
    """Only whoever collects an open account may send its customer a link: the agency it
    is assigned to, or its creditor while no agency has it."""
    if account.status not in OPEN:
        raise DomainError.of(
            "ACCOUNT_CLOSED", "the account is closed: there is nothing to show", "accountId"
        )
    collector = account.agency_id if account.agency_id is not None else account.creditor_id
    if collector != organization_id:
        raise DomainError.of(
            "PORTAL_NOT_COLLECTOR",
            "only the organization collecting the account may issue portal links "
            "(the agency it is assigned to, or the creditor while no agency has it)",
            "accountId",
        )
