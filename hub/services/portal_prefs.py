"""What the debtor asks for in the portal beside paying: the channels and hours they want to
be contacted on, a dispute, a hold for hardship; and each visit, for the link's issuer.

Everything is done as the collector of the link's debts (its issuer) would do it through
the API: channels are ``setChannelConsent`` (one call per channel changed), hours are
``set_contact_hours``, a dispute is ``openDispute``; so the events and webhooks are the
API's. A hold is the collector's to decide: the debtor's request is a ``hold.requested``
event for it to act on. Every debt id is looked up among the link's own open debts: any
other is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from hub.auth.tokens import Principal
from hub.domain import portal as links
from hub.domain.account import Account
from hub.domain.compliance import debtor_timezones
from hub.domain.contact_hours import ContactHours
from hub.domain.errors import DomainError
from hub.domain.help_contact import HelpContact
from hub.domain.payloads import hold_requested_row, portal_visited_row
from hub.domain.portal import PortalLink
from hub.domain.portal_branding import PortalBranding
from hub.domain.vocabulary import ContactChannel, DisputeReason, HoldReason
from hub.services import consent, disputes
from hub.services.context import ServiceContext
from hub.services.portal_access import session_valid
from hub.services.portal_payments import collector_principal

#: The channels a debtor chooses among in the portal.
CHANNELS = (
    ContactChannel.EMAIL,
    ContactChannel.SMS,
    ContactChannel.CALL,
    ContactChannel.LETTER,
    ContactChannel.PUSH,
)
_VISIT_KEY = b"evenly portal visit v1"


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the preferences form shows: the channels accepted and the hours, if any."""

    accepted: frozenset[ContactChannel]
    contact_hours: ContactHours | None


@dataclass(frozen=True, slots=True)
class Help:
    """Who collects the link's debts and how to reach them."""

    name: str
    contact: HelpContact
    #: The languages the page may speak, first first: the link's locale, the customer's.
    languages: tuple[str | None, ...] = ()
    #: The creditor's name (its display name, else its organization's) and colours.
    creditor: str = ""
    branding: PortalBranding = field(default_factory=PortalBranding)
    #: The agency collecting, if one is.
    agency: str | None = None


def _not_found() -> DomainError:
    return DomainError.of("NOT_FOUND", "no such debt", "account")


async def _collector(ctx: ServiceContext, link: PortalLink) -> Principal:
    found = await ctx.organizations.get_many([link.issuer_id])
    return collector_principal(link.issuer_id, found[link.issuer_id].kind)


async def preferences(ctx: ServiceContext, link: PortalLink) -> Preferences:
    async with ctx.store.read() as uow:
        debtor = await uow.customers.debtor(link.customer_id)
    return Preferences(frozenset(CHANNELS) - debtor.opted_out, debtor.contact_hours)


async def save_preferences(
    ctx: ServiceContext,
    link: PortalLink,
    accepted: frozenset[ContactChannel],
    hours: ContactHours | None,
) -> int:
    """Change what differs from what is stored; how many changes (each one event per open
    account of the customer)."""
    now = await preferences(ctx, link)
    principal = await _collector(ctx, link)
    changes = 0
    for channel in CHANNELS:
        wanted = channel in accepted
        if wanted != (channel in now.accepted):
            await consent.set_channel_consent(ctx, principal, link.customer_id, channel, wanted)
            changes += 1
    if hours != now.contact_hours:
        await consent.set_contact_hours(ctx, principal, link.customer_id, hours)
        changes += 1
    return changes


async def _own_debt(ctx: ServiceContext, link: PortalLink, account_id: str) -> Account:
    async with ctx.store.read() as uow:
        accounts = await uow.portal_links.open_accounts(link)
    account = next((a for a in accounts if a.id == account_id), None)
    if account is None:
        raise _not_found()
    return account


async def open_dispute(
    ctx: ServiceContext, link: PortalLink, account_id: str, reason: DisputeReason, details: str
) -> None:
    """The debtor disputes one of the link's debts: the collector's ``openDispute``."""
    account = await _own_debt(ctx, link, account_id)
    principal = await _collector(ctx, link)
    await disputes.open_dispute(
        ctx, principal, account.id, reason=reason, details=details.strip() or None
    )


async def request_hold(
    ctx: ServiceContext, link: PortalLink, account_id: str, reason: HoldReason
) -> None:
    """The debtor asks for a hold on one of the link's debts: ``hold.requested`` for the
    organization collecting it, which decides (``placeOnHold``)."""
    account = await _own_debt(ctx, link, account_id)
    async with ctx.store.transaction() as uow:
        await uow.events.append([hold_requested_row(link, account, reason.value, ctx.clock())])


def visit_mark(ctx: ServiceContext, token: str) -> str:
    """What a browser keeps (a cookie for its session) once its visit of a link is counted."""
    key = ctx.cipher.derive_key(_VISIT_KEY)
    digest = hmac.new(key, token.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode()


def channel_of(value: str | None) -> ContactChannel | None:
    """The channel a link says it came from (``?c=sms``), if it is one."""
    try:
        return ContactChannel((value or "").strip().upper()[:10])
    except ValueError:
        return None


async def record_visit(ctx: ServiceContext, token: str, channel: ContactChannel | None) -> None:
    """``portal.visited`` for the issuer of the link of ``token``, at the debtor's local
    hour; for an unknown or dead token, nothing (and nothing to tell the caller)."""
    if not links.is_token_shaped(token):
        return
    now = ctx.clock()
    async with ctx.store.transaction() as uow:
        link = await uow.portal_links.by_token(token)
        if link is None or not link.usable_at(now):
            return
        debtor = await uow.customers.debtor(link.customer_id)
        country = await uow.customers.country(link.customer_id)
        pack = ctx.rules().pack_for(country, now)
        zones = debtor_timezones(
            debtor.timezone, debtor.phone, pack.timezones if pack is not None else ("UTC",)
        )
        zone = zones[0] if zones else "UTC"
        hour = now.astimezone(ZoneInfo(zone)).hour
        channel_name = channel.value if channel is not None else None
        await uow.events.append([portal_visited_row(link, channel_name, hour, zone, now)])


async def help_for(ctx: ServiceContext, token: str, session: str | None) -> Help | None:
    """Who to ask for help, for a browser with a live session of the link of ``token``;
    None before the second factor (nothing may tell whether a link exists)."""
    if not session_valid(ctx, token, session):
        return None
    now = ctx.clock()
    async with ctx.store.read() as uow:
        found_link = await uow.portal_links.with_help(token)
    if found_link is None or not found_link.link.usable_at(now):
        return None
    link = found_link.link
    ids = [link.issuer_id, link.creditor_id, *([link.agency_id] if link.agency_id else [])]
    found = await ctx.organizations.get_many(ids)
    branding = found_link.branding
    return Help(
        found[link.issuer_id].name,
        found_link.help,
        (link.locale, found_link.customer_language),
        branding.display_name or found[link.creditor_id].name,
        branding,
        found[link.agency_id].name if link.agency_id else None,
    )
