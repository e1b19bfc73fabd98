"""Debtor portal links in storage: kept by a keyed hash of their token, never the token.

The hash is HMAC-SHA256 under a key derived from the PII key (``FieldCipher.derive_key``):
a copy of the database alone can neither open a link nor check a guessed token offline.
The token's 256 random bits make a slow hash unnecessary.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.domain.account import OPEN, Account
from hub.domain.help_contact import HelpContact
from hub.domain.portal import PortalLink
from hub.domain.portal_branding import PortalBranding
from hub.domain.portal_code import MAX_TRIES
from hub.store import customer_knowledge as knowledge
from hub.store import records
from hub.store.portal_branding import branding_of
from hub.store.portal_tables import portal_branding
from hub.store.session import Session
from hub.store.tables import accounts, customers, help_contacts, portal_links


@dataclass(frozen=True, slots=True)
class LinkWithHelp:
    """A link with what its pages show around their content."""

    link: PortalLink
    help: HelpContact
    customer_language: str | None
    branding: PortalBranding


_OPEN_STATUSES = sorted(status.value for status in OPEN)

_PURPOSE = b"evenly portal link token v1"
_CODE_PURPOSE = b"evenly portal one-time code v1"


def _link(row: Mapping[Any, Any]) -> PortalLink:
    return PortalLink(
        id=row["id"],
        issuer_id=row["issuer_id"],
        creditor_id=row["creditor_id"],
        agency_id=row["agency_id"],
        customer_id=row["customer_id"],
        account_id=row["account_id"],
        locale=row["locale"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
        second_factor=row["second_factor"] or "CODE",
    )


class PortalLinks:
    """The portal links repository of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    def token_hash(self, token: str) -> str:
        key = self._uow.cipher.derive_key(_PURPOSE)
        return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()

    async def add(self, link: PortalLink, token: str) -> None:
        await self._uow.conn.execute(
            portal_links.insert().values(
                id=link.id,
                token_hash=self.token_hash(token),
                issuer_id=link.issuer_id,
                creditor_id=link.creditor_id,
                agency_id=link.agency_id,
                customer_id=link.customer_id,
                account_id=link.account_id,
                locale=link.locale,
                created_at=link.created_at,
                expires_at=link.expires_at,
                last_used_at=link.last_used_at,
                revoked_at=link.revoked_at,
                code_tries=0,
                second_factor=None if link.second_factor == "CODE" else link.second_factor,
            )
        )

    async def by_token(self, token: str) -> PortalLink | None:
        """The link of ``token``, usable or not (the caller decides)."""
        row = (
            (
                await self._uow.conn.execute(
                    sa.select(portal_links).where(
                        portal_links.c.token_hash == self.token_hash(token)
                    )
                )
            )
            .mappings()
            .first()
        )
        return _link(row) if row is not None else None

    async def with_help(self, token: str) -> LinkWithHelp | None:
        """The link of ``token`` with its issuer's help contact, its customer's language and
        its creditor's branding, in one query (what every portal page shows around it)."""
        row = (
            (
                await self._uow.conn.execute(
                    sa.select(
                        portal_links,
                        help_contacts.c.email.label("help_email"),
                        help_contacts.c.phone.label("help_phone"),
                        help_contacts.c.hours.label("help_hours"),
                        customers.c.language.label("customer_language"),
                        portal_branding.c.display_name,
                        portal_branding.c.primary_color,
                        portal_branding.c.accent_color,
                    )
                    .select_from(
                        portal_links.outerjoin(
                            help_contacts,
                            help_contacts.c.organization_id == portal_links.c.issuer_id,
                        )
                        .outerjoin(customers, customers.c.id == portal_links.c.customer_id)
                        .outerjoin(
                            portal_branding,
                            portal_branding.c.creditor_id == portal_links.c.creditor_id,
                        )
                    )
                    .where(portal_links.c.token_hash == self.token_hash(token))
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        help_ = HelpContact(row["help_email"], row["help_phone"], row["help_hours"])
        return LinkWithHelp(_link(row), help_, row["customer_language"], branding_of(row))

    async def of_issuer(self, issuer_id: str, link_id: str) -> PortalLink | None:
        """One of the links an organization issued; others' links are not found."""
        row = (
            (
                await self._uow.conn.execute(
                    sa.select(portal_links).where(
                        portal_links.c.id == link_id, portal_links.c.issuer_id == issuer_id
                    )
                )
            )
            .mappings()
            .first()
        )
        return _link(row) if row is not None else None

    async def revoke(self, link_id: str, now: dt.datetime) -> None:
        """Revoke the link now, unless it already was (the first revocation's time stays)."""
        await self._uow.conn.execute(
            portal_links.update()
            .where(portal_links.c.id == link_id, portal_links.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def used(self, link_id: str, now: dt.datetime) -> None:
        """Record a use of the link (its 24-hour sliding window starts again)."""
        await self._uow.conn.execute(
            portal_links.update().where(portal_links.c.id == link_id).values(last_used_at=now)
        )

    # --- the one-time code ------------------------------------------------------------------

    def _code_hash(self, link_id: str, code: str) -> str:
        key = self._uow.cipher.derive_key(_CODE_PURPOSE)
        return hmac.new(key, f"{link_id}:{code}".encode(), hashlib.sha256).hexdigest()

    async def set_code(self, link_id: str, code: str, expires_at: dt.datetime) -> None:
        """Make ``code`` the link's pending code (replacing any other), with no try used."""
        await self._uow.conn.execute(
            portal_links.update()
            .where(portal_links.c.id == link_id)
            .values(
                code_hash=self._code_hash(link_id, code), code_expires_at=expires_at, code_tries=0
            )
        )

    async def try_code(self, link_id: str, code: str, now: dt.datetime) -> bool:
        """Use one try of the pending code: True if ``code`` is it (and the code is spent).

        The try is claimed by one UPDATE guarded on the count, so concurrent guesses cannot
        together make more than ``MAX_TRIES``; an expired or used-up code matches nothing.
        """
        pending = portal_links.c
        claimed = await self._uow.conn.execute(
            portal_links.update()
            .where(
                pending.id == link_id,
                pending.code_hash.is_not(None),
                pending.code_tries < MAX_TRIES,
                pending.code_expires_at > now,
            )
            .values(code_tries=pending.code_tries + 1)
        )
        if claimed.rowcount != 1:
            return False
        stored = (
            await self._uow.conn.execute(sa.select(pending.code_hash).where(pending.id == link_id))
        ).scalar_one()
        if stored is None or not hmac.compare_digest(stored, self._code_hash(link_id, code)):
            return False
        await self._uow.conn.execute(
            portal_links.update()
            .where(pending.id == link_id)
            .values(code_hash=None, code_expires_at=None, code_tries=0)
        )
        return True

    async def try_knowledge(self, link: PortalLink, factor: str, value: dt.date | str) -> bool:
        """Use one of the link's ``MAX_TRIES`` knowledge answers: True if ``value`` is its
        customer's fact of ``factor`` (then the tries start again). The try is claimed by one
        guarded UPDATE, as a code's is; a link asking another factor matches nothing."""
        row = portal_links.c
        claimed = await self._uow.conn.execute(
            portal_links.update()
            .where(row.id == link.id, row.second_factor == factor, row.code_tries < MAX_TRIES)
            .values(code_tries=row.code_tries + 1)
        )
        if claimed.rowcount != 1:
            return False
        if not await knowledge.fact_matches(self._uow, link.customer_id, factor, value):
            return False
        await self._uow.conn.execute(
            portal_links.update().where(row.id == link.id).values(code_tries=0)
        )
        return True

    async def has_fact(self, customer_id: str, factor: str) -> bool:
        return await knowledge.has_fact(self._uow, customer_id, factor)

    # --- what the portal shows --------------------------------------------------------------

    async def open_accounts(self, link: PortalLink) -> list[Account]:
        """The link's scope: the open accounts of its customer with its creditor that its
        issuer collects (assigned to its agency; with none, when the creditor issued it)."""
        collector = (
            accounts.c.agency_id.is_(None)
            if link.agency_id is None
            else accounts.c.agency_id == link.agency_id
        )
        rows = await self._uow.conn.execute(
            sa.select(accounts)
            .where(
                accounts.c.customer_id == link.customer_id,
                accounts.c.creditor_id == link.creditor_id,
                collector,
                accounts.c.status.in_(_OPEN_STATUSES),
            )
            .order_by(accounts.c.id)
        )
        return [records.account_of(row) for row in rows.mappings()]
