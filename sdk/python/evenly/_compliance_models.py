"""Typed answers of the compliance reads: may a debtor be contacted, what allowed each
contact, and the rule packs the hub holds (``client.compliance``)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from evenly._models import ContactAttempt, ContactChannel, Customer, EvenlyModel

__all__ = [
    "ComplianceReportEntry",
    "ComplianceRule",
    "ComplianceSource",
    "ConsentResult",
    "ContactPermission",
    "ContactRefusal",
    "RulePack",
    "RulePackRef",
]


class RulePackRef(EvenlyModel):
    """Which version of which jurisdiction's pack."""

    jurisdiction: str
    version: str


class ContactRefusal(EvenlyModel):
    """One rule that refuses a contact."""

    rule_id: str
    message: str
    citation: str
    #: True for an industry convention, False for a statute or regulation.
    convention: bool


class ContactPermission(EvenlyModel):
    """May the debtor be contacted on a channel at a moment, and if not why and when next."""

    allowed: bool
    reasons: list[ContactRefusal] = Field(default_factory=list)
    next_allowed_at: dt.datetime | None = None
    rule_pack: RulePackRef | None = None
    timezones: list[str] = Field(default_factory=list)


class ComplianceReportEntry(EvenlyModel):
    """One contact of an account and the pack version that allowed it."""

    contact_attempt: ContactAttempt
    rule_pack: RulePackRef | None = None


class ComplianceRule(EvenlyModel):
    """One rule of a pack."""

    id: str
    kind: str
    channels: list[ContactChannel] = Field(default_factory=list)
    citation: str
    convention: bool
    message: str


class ComplianceSource(EvenlyModel):
    """A source a pack cites."""

    id: str
    title: str
    url: str | None = None


class RulePack(EvenlyModel):
    """A jurisdiction's rules, in one version (the schema's ``CompliancePack``)."""

    jurisdiction: str
    version: str
    effective_from: dt.date
    title: str
    timezones: list[str] = Field(default_factory=list)
    rules: list[ComplianceRule] = Field(default_factory=list)
    sources: list[ComplianceSource] = Field(default_factory=list)


class ConsentResult(EvenlyModel):
    """The customer after ``set_channel_consent``."""

    customer: Customer
