"""Debtor portal links in GraphQL: `createPortalLink` and `revokePortalLink`."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.context import request_context
from hub.api.errors import UserError, user_errors
from hub.api.scalars import DateTime
from hub.auth.scopes import Scope
from hub.auth.tokens import Principal
from hub.domain import portal
from hub.domain.errors import DomainError
from hub.services import portal as service


@strawberry.enum(description="What the debtor confirms before the portal shows anything personal.")
class SecondFactor(Enum):
    CODE = strawberry.enum_value(
        "CODE",
        description="A one-time code the issuer delivers (`portal.code_requested` event).",
    )
    DATE_OF_BIRTH = strawberry.enum_value(
        "DATE_OF_BIRTH",
        description="The customer's date of birth, as placed (`customer.dateOfBirth`).",
    )
    POSTCODE = strawberry.enum_value(
        "POSTCODE", description="The customer's postcode, as placed (`customer.postcode`)."
    )


@strawberry.type(
    description="A link to the debtor portal for one customer of one creditor. Its token is shown once, in `createPortalLink`'s `url`; the hub keeps only a hash of it."
)
class PortalLink:
    id: strawberry.ID = strawberry.field(
        description="The link's ID; pass it to `revokePortalLink`."
    )
    account_id: strawberry.ID = strawberry.field(
        description="The account the link was made for; the portal shows every open debt of its customer with this creditor that the issuer collects."
    )
    customer_id: strawberry.ID = strawberry.field(description="The customer the link is for.")
    locale: str | None = strawberry.field(
        description="The language the portal speaks first (`sv`, `sv-SE`); null: the customer's."
    )
    created_at: DateTime = strawberry.field(description="When it was issued.")
    valid_until: DateTime = strawberry.field(
        description="When it stops working if not used again: each use keeps it working for 24 hours more, never past 90 days after issue."
    )
    last_used_at: DateTime | None = strawberry.field(description="When it was last opened.")
    revoked_at: DateTime | None = strawberry.field(description="When it was revoked, if it was.")
    second_factor: SecondFactor = strawberry.field(
        description="What the debtor confirms first: a code, or a knowledge check."
    )

    @classmethod
    def from_record(cls, link: portal.PortalLink) -> PortalLink:
        return cls(
            id=strawberry.ID(link.id),
            account_id=strawberry.ID(link.account_id),
            customer_id=strawberry.ID(link.customer_id),
            locale=link.locale,
            created_at=link.created_at,
            valid_until=link.valid_until(),
            last_used_at=link.last_used_at,
            revoked_at=link.revoked_at,
            second_factor=SecondFactor(link.second_factor),
        )


@strawberry.input(description="Issue a debtor portal link.")
class CreatePortalLinkInput:
    account_id: strawberry.ID = strawberry.field(
        description="An open account the caller collects: as its agency, or as its creditor while no agency has it."
    )
    expires_in: int | None = strawberry.field(
        default=None,
        description="Lifetime in seconds, 900 (15 minutes) to 7776000 (90 days); default 604800 (7 days).",
    )
    locale: str | None = strawberry.field(
        default=None, description="A language tag (`sv`, `sv-SE`); omit for the customer's."
    )
    second_factor: SecondFactor = strawberry.field(
        default=SecondFactor.CODE,
        description="What the debtor confirms first. `DATE_OF_BIRTH` and `POSTCODE` need the fact placed for the customer (else `SECOND_FACTOR_UNAVAILABLE`); the URL then carries the question (`?f=dob`, `?f=postcode`).",
    )


@strawberry.type(description="Result of `createPortalLink`.")
class CreatePortalLinkPayload:
    portal_link: PortalLink | None = strawberry.field(description="The new link.")
    url: str | None = strawberry.field(
        description="The link's path on the hub, `/p/<token>` (with `?f=dob` or `?f=postcode` for a knowledge check): send it to the debtor. It is shown this once and never again."
    )
    user_errors: list[UserError] = strawberry.field(description="Why no link was issued.")


@strawberry.input(description="Revoke a debtor portal link.")
class RevokePortalLinkInput:
    link_id: strawberry.ID = strawberry.field(description="A link the caller issued.")


@strawberry.type(description="Result of `revokePortalLink`.")
class RevokePortalLinkPayload:
    portal_link: PortalLink | None = strawberry.field(description="The revoked link.")
    user_errors: list[UserError] = strawberry.field(description="Why it was not revoked.")


def _issuer(info: Info) -> Principal:
    """The caller, with the write scope of its kind (creditors `accounts:write`, agencies
    `agency:write`)."""
    ctx = request_context(info)
    kind_scope = Scope.ACCOUNTS_WRITE if ctx.principal.is_creditor else Scope.AGENCY_WRITE
    return ctx.require(kind_scope)


@strawberry.type(description="Writes.")
class PortalMutation:
    @strawberry.mutation(
        description="Issue a debtor portal link for an account's customer. Needs `accounts:write` (creditors) or `agency:write` (agencies)."
    )
    async def create_portal_link(
        self,
        info: Info,
        input: Annotated[
            CreatePortalLinkInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> CreatePortalLinkPayload:
        principal = _issuer(info)
        expires_in = (
            dt.timedelta(seconds=input.expires_in) if input.expires_in is not None else None
        )
        try:
            issued = await service.create_portal_link(
                request_context(info).services,
                principal,
                str(input.account_id),
                expires_in=expires_in,
                locale=input.locale,
                second_factor=input.second_factor.name,
            )
        except DomainError as error:
            return CreatePortalLinkPayload(
                portal_link=None, url=None, user_errors=user_errors(error.problems)
            )
        return CreatePortalLinkPayload(
            portal_link=PortalLink.from_record(issued.link), url=issued.path, user_errors=[]
        )

    @strawberry.mutation(
        description="Revoke a portal link the caller issued; it stops working at once. Needs `accounts:write` (creditors) or `agency:write` (agencies)."
    )
    async def revoke_portal_link(
        self,
        info: Info,
        input: Annotated[
            RevokePortalLinkInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> RevokePortalLinkPayload:
        principal = _issuer(info)
        try:
            link = await service.revoke_portal_link(
                request_context(info).services, principal, str(input.link_id)
            )
        except DomainError as error:
            return RevokePortalLinkPayload(
                portal_link=None, user_errors=user_errors(error.problems)
            )
        return RevokePortalLinkPayload(portal_link=PortalLink.from_record(link), user_errors=[])
