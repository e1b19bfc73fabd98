"""The portal's doors: asking for a one-time code, typing it (or answering the link's
knowledge check, ``hub.domain.portal_knowledge``), and the session it opens.

Before the second factor nothing tells a usable link from an unknown, expired or revoked
one: asking for a code answers the same for all (only a usable link makes a code and the
``portal.code_requested`` event, for its issuer alone), and a wrong code is refused with
the same ``PORTAL_CODE_INVALID`` as a code for a dead link. Sessions and form tokens are
HMACs under keys derived from the PII key, so they need no table.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

from hub.domain import portal as links
from hub.domain import portal_code as codes
from hub.domain import portal_knowledge as knowledge
from hub.domain.errors import DomainError
from hub.domain.payloads import portal_code_requested_row
from hub.domain.portal import PortalLink
from hub.services.context import ServiceContext

_SESSION_KEY = b"evenly portal session v1"
_FORM_KEY = b"evenly portal form v1"


def invalid_code() -> DomainError:
    """The one refusal for a wrong, expired or used-up code, and for a dead link."""
    return DomainError.of("PORTAL_CODE_INVALID", "this code is not valid", "code")


async def request_code(ctx: ServiceContext, token: str) -> None:
    """Make a new code for the link of ``token`` and tell its issuer; for a dead or unknown
    token, nothing (and nothing to tell the caller)."""
    if not links.is_token_shaped(token):
        return
    now = ctx.clock()
    async with ctx.store.transaction() as uow:
        link = await uow.portal_links.by_token(token)
        if link is None or not link.usable_at(now) or link.second_factor != knowledge.CODE:
            return
        code = codes.new_code()
        expires_at = now + codes.CODE_LIFETIME
        await uow.portal_links.set_code(link.id, code, expires_at)
        await uow.events.append([portal_code_requested_row(link, code, expires_at, now)])


async def verify_code(ctx: ServiceContext, token: str, typed: str) -> PortalLink:
    """The link of ``token`` if ``typed`` is its pending code (spending the code and
    recording a use of the link); else ``PORTAL_CODE_INVALID``."""
    code = codes.typed_code(typed)
    if code is None or not links.is_token_shaped(token):
        raise invalid_code()
    now = ctx.clock()
    async with ctx.store.transaction() as uow:
        link = await uow.portal_links.by_token(token)
        if link is None or not link.usable_at(now):
            raise invalid_code()
        matched = await uow.portal_links.try_code(link.id, code, now)
        if matched:
            await uow.portal_links.used(link.id, now)
    # A wrong try is written (the transaction commits) before it is refused.
    if not matched:
        raise invalid_code()
    return link


async def verify_knowledge(
    ctx: ServiceContext, token: str, factor: str, value: object
) -> PortalLink:
    """The link of ``token`` if it asks ``factor`` and ``value`` (a date, or a postcode as
    typed) is its customer's; else ``PORTAL_CODE_INVALID``, as for a wrong code. Every
    answer to a usable link uses one of its tries."""
    answer: dt.date | str | None = value if isinstance(value, dt.date) else None
    if factor == knowledge.POSTCODE and isinstance(value, str):
        answer = knowledge.normalize_postcode(value)
    if answer is None or factor not in knowledge.KNOWLEDGE or not links.is_token_shaped(token):
        raise invalid_code()
    now = ctx.clock()
    async with ctx.store.transaction() as uow:
        link = await uow.portal_links.by_token(token)
        if link is None or not link.usable_at(now):
            raise invalid_code()
        matched = await uow.portal_links.try_knowledge(link, factor, answer)
        if matched:
            await uow.portal_links.used(link.id, now)
    # As for codes, a wrong answer is written (its try counted) before it is refused.
    if not matched:
        raise invalid_code()
    return link


def _mac(ctx: ServiceContext, purpose: bytes, message: str) -> str:
    key = ctx.cipher.derive_key(purpose)
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_session(ctx: ServiceContext, link: PortalLink) -> str:
    """A session for ``link``, valid for ``SESSION_LIFETIME``: ``<link id>.<end>.<mac>``."""
    until = int((ctx.clock() + codes.SESSION_LIFETIME).timestamp())
    body = f"{link.id}.{until}"
    return f"{body}.{_mac(ctx, _SESSION_KEY, body)}"


async def session_link(ctx: ServiceContext, token: str, session: str | None) -> PortalLink | None:
    """The link of ``token`` if ``session`` is a live session of it and the link is still
    usable (a revoked or expired link ends its sessions); its use recorded."""
    if not session_valid(ctx, token, session):
        return None
    assert session is not None
    link_id = session.partition(".")[0]
    now = ctx.clock()
    async with ctx.store.transaction() as uow:
        link = await uow.portal_links.by_token(token)
        if link is None or link.id != link_id or not link.usable_at(now):
            return None
        await uow.portal_links.used(link.id, now)
    return link


def session_valid(ctx: ServiceContext, token: str, session: str | None) -> bool:
    """Whether ``session`` is a session the hub made and still live (its link unchecked)."""
    if not session or not links.is_token_shaped(token):
        return False
    link_id, _, rest = session.partition(".")
    until, _, mac = rest.partition(".")
    if not until.isdigit() or not hmac.compare_digest(
        mac, _mac(ctx, _SESSION_KEY, f"{link_id}.{until}")
    ):
        return False
    return ctx.clock() < dt.datetime.fromtimestamp(int(until), dt.UTC)


def new_form_secret() -> str:
    """The browser's secret for form tokens (kept in a cookie)."""
    return secrets.token_urlsafe(32)


def form_token(ctx: ServiceContext, secret: str, token: str) -> str:
    """The CSRF token of the forms of one link's pages, for the browser holding ``secret``."""
    return _mac(ctx, _FORM_KEY, f"{secret}:{token}")


def form_token_ok(ctx: ServiceContext, secret: str | None, token: str, given: str | None) -> bool:
    if not secret or not given:
        return False
    return hmac.compare_digest(given, form_token(ctx, secret, token))
