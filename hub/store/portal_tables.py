"""The debtor portal's tables: its links (``hub.store.portal_links``), the agencies'
plan offers (``hub.store.plan_offers``) and the organizations' help contacts
(``hub.store.help_contacts``)."""

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.store.columns import timestamp


class PortalLink(SQLModel, table=True):
    """A debtor portal link (``hub.domain.portal``): only a keyed hash of its token is kept."""

    __tablename__ = "portal_links"

    id: str = Field(primary_key=True, max_length=40)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    issuer_id: str = Field(foreign_key="organizations.id", index=True, max_length=40)
    creditor_id: str = Field(foreign_key="organizations.id", max_length=40)
    agency_id: str | None = Field(default=None, foreign_key="organizations.id", max_length=40)
    customer_id: str = Field(foreign_key="customers.id", index=True, max_length=40)
    account_id: str = Field(foreign_key="accounts.id", max_length=40)
    locale: str | None = Field(default=None, max_length=35)
    created_at: dt.datetime = timestamp()
    expires_at: dt.datetime = timestamp()
    last_used_at: dt.datetime | None = timestamp(nullable=True)
    revoked_at: dt.datetime | None = timestamp(nullable=True)
    #: The pending one-time code (``hub.domain.portal_code``): a keyed hash, until when, tries.
    code_hash: str | None = Field(default=None, max_length=64)
    code_expires_at: dt.datetime | None = timestamp(nullable=True)
    code_tries: int = Field(default=0)
    #: ``DATE_OF_BIRTH`` or ``POSTCODE`` (``hub.domain.portal_knowledge``); null: a code.
    second_factor: str | None = Field(default=None, max_length=16)


class CustomerKnowledge(SQLModel, table=True):
    """What a debtor may be asked by the portal (``hub.domain.portal_knowledge``): keyed
    hashes of the date of birth and postcode given at placement, never the facts."""

    __tablename__ = "customer_knowledge"

    customer_id: str = Field(primary_key=True, foreign_key="customers.id", max_length=40)
    dob_hash: str | None = Field(default=None, max_length=64)
    postcode_hash: str | None = Field(default=None, max_length=64)
    updated_at: dt.datetime = timestamp()


class PortalPlanOffer(SQLModel, table=True):
    """An agency's terms for self-service plans (``hub.domain.plan_offers``); ``creditor_id``
    is empty for the offer covering all its creditors."""

    __tablename__ = "portal_plan_offers"

    agency_id: str = Field(primary_key=True, foreign_key="organizations.id", max_length=40)
    creditor_id: str = Field(primary_key=True, max_length=40)
    cadences: str = Field(max_length=64)
    minimum_minor: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger()))
    minimum_currency: str | None = Field(default=None, max_length=3)
    max_installments: int | None = Field(default=None)
    max_days: int | None = Field(default=None)
    updated_at: dt.datetime = timestamp()


class HelpContact(SQLModel, table=True):
    """How debtors reach an organization for help (``hub.domain.help_contact``): shown on
    every portal page of its links. Business contact details, not personal data."""

    __tablename__ = "help_contacts"

    organization_id: str = Field(primary_key=True, foreign_key="organizations.id", max_length=40)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    hours: str | None = Field(default=None, max_length=200)
    updated_at: dt.datetime = timestamp()


class PortalBranding(SQLModel, table=True):
    """A creditor's branding of the portal (``hub.domain.portal_branding``): its display
    name and colours, shown on the pages of its debts."""

    __tablename__ = "portal_branding"

    creditor_id: str = Field(primary_key=True, foreign_key="organizations.id", max_length=40)
    display_name: str | None = Field(default=None, max_length=80)
    primary_color: str | None = Field(default=None, max_length=7)
    accent_color: str | None = Field(default=None, max_length=7)
    updated_at: dt.datetime = timestamp()


portal_links = PortalLink.__table__  # type: ignore[attr-defined]
portal_plan_offers = PortalPlanOffer.__table__  # type: ignore[attr-defined]
help_contacts = HelpContact.__table__  # type: ignore[attr-defined]
portal_branding = PortalBranding.__table__  # type: ignore[attr-defined]
customer_knowledge = CustomerKnowledge.__table__  # type: ignore[attr-defined]
