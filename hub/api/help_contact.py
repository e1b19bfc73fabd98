"""Help contacts in GraphQL: `setHelpContact` and `helpContact`."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.context import request_context, run_write
from hub.api.errors import UserError
from hub.auth.scopes import Scope
from hub.domain import help_contact as domain
from hub.services import help_contacts as service


@strawberry.type(
    description="How debtors reach you for help: shown in the same place on every page of the portal links you issue."
)
class HelpContact:
    email: str | None = strawberry.field(description="An email address debtors may write to.")
    phone: str | None = strawberry.field(description="A phone number debtors may call.")
    hours: str | None = strawberry.field(
        description='When someone answers, in your words (e.g. "Mon–Fri 9:00–17:00").'
    )

    @classmethod
    def from_domain(cls, contact: domain.HelpContact) -> HelpContact:
        return cls(email=contact.email, phone=contact.phone, hours=contact.hours)


@strawberry.input(description="Your help contact; it replaces the one set before.")
class SetHelpContactInput:
    email: str | None = strawberry.field(default=None, description="Omit or empty: none.")
    phone: str | None = strawberry.field(default=None, description="Omit or empty: none.")
    hours: str | None = strawberry.field(
        default=None, description="At most 200 characters on one line; omit or empty: none."
    )


@strawberry.type(description="Result of `setHelpContact`.")
class SetHelpContactPayload:
    help_contact: HelpContact | None = strawberry.field(description="The contact as stored.")
    user_errors: list[UserError] = strawberry.field(description="Why it was not set.")


def _write_scope(info: Info) -> Scope:
    """Creditors need `accounts:write`, agencies `agency:write`."""
    creditor = request_context(info).principal.is_creditor
    return Scope.ACCOUNTS_WRITE if creditor else Scope.AGENCY_WRITE


@strawberry.type(description="Writes.")
class HelpContactMutation:
    @strawberry.mutation(
        description="Set how debtors reach you for help (email, phone, hours), shown on every portal page of your links. Needs `agency:write` (agencies) or `accounts:write` (creditors)."
    )
    async def set_help_contact(
        self,
        info: Info,
        input: Annotated[
            SetHelpContactInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> SetHelpContactPayload:
        contact = domain.HelpContact(input.email, input.phone, input.hours)
        stored, errors = await run_write(
            info,
            _write_scope(info),
            lambda ctx, p: service.set_help_contact(ctx.services, p, contact),
        )
        return SetHelpContactPayload(
            help_contact=HelpContact.from_domain(stored) if stored else None, user_errors=errors
        )


@strawberry.type(description="Reads.")
class HelpContactQuery:
    @strawberry.field(description="Your help contact as debtors see it. Needs `accounts:read`.")
    async def help_contact(self, info: Info) -> HelpContact:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        found = await service.help_contact(ctx.services, principal.organization_id)
        return HelpContact.from_domain(found)
