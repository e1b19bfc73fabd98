"""Compliance in GraphQL: may this debtor be contacted now, which rules are in force, which
pack allowed each contact, and the customer's channel consent."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.context import request_context, run_write
from hub.api.enums import ContactChannel
from hub.api.errors import ApiError, UserError
from hub.api.inputs import IDEMPOTENCY
from hub.api.items import ContactAttempt, RulePackRef
from hub.api.scalars import CountryCode, DateTime
from hub.api.types import Customer
from hub.auth.scopes import Scope
from hub.domain.compliance import PackRef, RulePack
from hub.domain.errors import DomainError
from hub.services import compliance as service
from hub.services import consent as consent_service


def _ref(ref: PackRef | None) -> RulePackRef | None:
    return (
        RulePackRef(jurisdiction=CountryCode(ref.jurisdiction), version=ref.version)
        if ref
        else None
    )


@strawberry.type(description="Why a contact is refused.")
class ContactRefusal:
    rule_id: str = strawberry.field(description="The refusing rule, e.g. `US-REGF-CALL-CAP`.")
    message: str = strawberry.field(description="What the rule says.")
    citation: str = strawberry.field(description="Where the rule comes from.")
    convention: bool = strawberry.field(
        description="True when the rule is an industry convention or hub default, not a law."
    )


@strawberry.type(description="Whether the debtor may be contacted on a channel at a moment.")
class ContactPermission:
    allowed: bool = strawberry.field(description="True if the contact is allowed.")
    reasons: list[ContactRefusal] = strawberry.field(description="Every rule that refuses it.")
    next_allowed_at: DateTime | None = strawberry.field(
        description="The earliest moment (at or after `at`) it would be allowed; null if not under the present facts (an opt-out, a dispute, an open-ended hold)."
    )
    rule_pack: RulePackRef | None = strawberry.field(
        description="The pack in force at `at`; null if none covers the account's country (only the hub's own rules apply)."
    )
    timezones: list[str] = strawberry.field(
        description="The debtor's candidate time zones (customer record, else phone number, else country); the stricter answer of all counts."
    )


@strawberry.type(description="One rule of a pack.")
class ComplianceRule:
    id: str = strawberry.field(description="Stable rule id.")
    kind: str = strawberry.field(
        description="What it limits: hours, rest_days, frequency, cooldown, …"
    )
    channels: list[ContactChannel] = strawberry.field(description="Channels it applies to.")
    citation: str = strawberry.field(description="Where it comes from.")
    convention: bool = strawberry.field(description="A convention or default, not a law.")
    message: str = strawberry.field(description="What it says.")


@strawberry.type(description="A text a pack's rules come from.")
class ComplianceSource:
    id: str = strawberry.field(description="Id the rules refer to.")
    title: str = strawberry.field(description="Title.")
    url: str | None = strawberry.field(description="Where to read it.")


@strawberry.type(description="One version of a jurisdiction's contact rules, as data.")
class CompliancePack:
    jurisdiction: CountryCode = strawberry.field(description="The country it covers.")
    version: str = strawberry.field(description="Its version.")
    effective_from: dt.date = strawberry.field(description="The day it takes effect.")
    title: str = strawberry.field(description="Title.")
    timezones: list[str] = strawberry.field(
        description="Zones a debtor is taken to be in when nothing else says."
    )
    rules: list[ComplianceRule] = strawberry.field(description="Its rules.")
    sources: list[ComplianceSource] = strawberry.field(description="Its sources.")

    @classmethod
    def of(cls, pack: RulePack) -> CompliancePack:
        return cls(
            jurisdiction=CountryCode(pack.jurisdiction),
            version=pack.version,
            effective_from=pack.effective_from,
            title=pack.title,
            timezones=list(pack.timezones),
            rules=[
                ComplianceRule(
                    id=r.id,
                    kind=r.kind,
                    channels=[ContactChannel(c) for c in r.channels],
                    citation=r.citation,
                    convention=r.convention,
                    message=r.message,
                )
                for r in pack.rules
            ],
            sources=[ComplianceSource(id=s.id, title=s.title, url=s.url) for s in pack.sources],
        )


@strawberry.type(description="One contact and the rule pack that allowed it.")
class ComplianceReportEntry:
    contact_attempt: ContactAttempt = strawberry.field(description="The contact.")
    rule_pack: RulePackRef | None = strawberry.field(
        description="The pack in force that allowed it (null: inbound, or no pack for the country)."
    )


@strawberry.input(description="Accept or refuse contact on a channel, for one customer.")
class SetChannelConsentInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer's global ID.")
    channel: ContactChannel = strawberry.field(description="The channel.")
    granted: bool = strawberry.field(
        description="False: the customer refuses the channel (opt-out); true: accepts it again."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY)


@strawberry.type(description="Result of `setChannelConsent`.")
class SetChannelConsentPayload:
    customer: Customer | None = strawberry.field(description="The customer after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.type(description="Reads.")
class ComplianceQuery:
    @strawberry.field(
        description="May this account's debtor be contacted on `channel` at `at` (default: now, the account's test clock's time if it lives on one)? Why not, and when next. Needs `accounts:read`."
    )
    async def contact_permission(
        self,
        info: Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(description="The account.")],
        channel: Annotated[ContactChannel, strawberry.argument(description="The channel.")],
        at: Annotated[
            DateTime | None, strawberry.argument(description="The moment; now when omitted.")
        ] = None,
    ) -> ContactPermission:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        try:
            decision = await service.contact_permission(
                ctx.services, principal, str(account_id), channel, at
            )
        except DomainError as error:
            raise ApiError(error.code, error.problems[0].message) from None
        return ContactPermission(
            allowed=decision.allowed,
            reasons=[
                ContactRefusal(
                    rule_id=r.rule_id,
                    message=r.message,
                    citation=r.citation,
                    convention=r.convention,
                )
                for r in decision.reasons
            ],
            next_allowed_at=decision.next_allowed_at,
            rule_pack=_ref(decision.pack),
            timezones=list(decision.timezones),
        )

    @strawberry.field(description="Every rule pack the hub holds, by jurisdiction and version.")
    def rule_packs(
        self,
        info: Info,
        jurisdiction: Annotated[
            CountryCode | None, strawberry.argument(description="Only this jurisdiction's.")
        ] = None,
    ) -> list[CompliancePack]:
        ctx = request_context(info)
        return [CompliancePack.of(p) for p in ctx.services.rules().packs(jurisdiction)]

    @strawberry.field(
        description="Every contact of the account, oldest first, with the rule pack version that allowed it. Needs `accounts:read`."
    )
    async def compliance_report(
        self,
        info: Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(description="The account.")],
    ) -> list[ComplianceReportEntry]:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        try:
            contacts = await service.compliance_report(ctx.services, principal, str(account_id))
        except DomainError as error:
            raise ApiError(error.code, error.problems[0].message) from None
        return [
            ComplianceReportEntry(
                contact_attempt=(attempt := ContactAttempt.from_record(c)),
                rule_pack=attempt.rule_pack,
            )
            for c in contacts
        ]


@strawberry.type(description="Writes.")
class ComplianceMutation:
    @strawberry.mutation(
        description="Record that a customer accepts or refuses contact on a channel; outbound contact on a refused channel is `CONTACT_NOT_PERMITTED`. Creditors (`accounts:write`) for their customers, agencies (`agency:write`) for customers of accounts assigned to them."
    )
    async def set_channel_consent(
        self,
        info: Info,
        input: Annotated[
            SetChannelConsentInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> SetChannelConsentPayload:
        ctx = request_context(info)
        scope = Scope.ACCOUNTS_WRITE if ctx.principal.is_creditor else Scope.AGENCY_WRITE
        customer, errors = await run_write(
            info,
            scope,
            lambda c, p: consent_service.set_channel_consent(
                c.services,
                p,
                str(input.customer_id),
                input.channel,
                input.granted,
                idempotency_key=input.idempotency_key,
            ),
        )
        return SetChannelConsentPayload(
            customer=Customer.from_record(customer) if customer is not None else None,
            user_errors=errors,
        )
