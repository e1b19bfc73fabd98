"""Portal branding in GraphQL: `setPortalBranding` and `portalBranding`."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from hub.api.context import request_context, run_write
from hub.api.errors import UserError
from hub.auth.scopes import Scope
from hub.domain import portal_branding as domain
from hub.services import portal_branding as service


@strawberry.type(
    description="How the debtor portal shows a creditor: its name and colours, on the pages of its debts."
)
class PortalBranding:
    display_name: str | None = strawberry.field(
        description="The name debtors know you by; none: your organization's name."
    )
    primary_color: str | None = strawberry.field(
        description="Buttons' colour, `#rrggbb`, under white text; none: the portal's blue."
    )
    accent_color: str | None = strawberry.field(
        description="Links' colour, `#rrggbb`, on the white page; none: the portal's blue."
    )

    @classmethod
    def from_domain(cls, branding: domain.PortalBranding) -> PortalBranding:
        return cls(
            display_name=branding.display_name,
            primary_color=branding.primary_color,
            accent_color=branding.accent_color,
        )


@strawberry.input(description="Your portal branding; it replaces the one set before.")
class SetPortalBrandingInput:
    display_name: str | None = strawberry.field(
        default=None, description="At most 80 characters on one line; omit or empty: none."
    )
    primary_color: str | None = strawberry.field(
        default=None,
        description="`#rrggbb` or `#rgb` with a contrast of at least 4.5:1 to white text (`COLOR_CONTRAST_TOO_LOW`, `INVALID_COLOR`).",
    )
    accent_color: str | None = strawberry.field(
        default=None,
        description="`#rrggbb` or `#rgb` with a contrast of at least 4.5:1 to the white and light grey page.",
    )


@strawberry.type(description="Result of `setPortalBranding`.")
class SetPortalBrandingPayload:
    branding: PortalBranding | None = strawberry.field(description="The branding as stored.")
    user_errors: list[UserError] = strawberry.field(description="Why it was not set.")


@strawberry.type(description="Writes.")
class PortalBrandingMutation:
    @strawberry.mutation(
        description="Set your name and colours on the debtor portal's pages of your debts (WCAG AA contrast checked). Creditors only; needs `accounts:write`."
    )
    async def set_portal_branding(
        self,
        info: Info,
        input: Annotated[
            SetPortalBrandingInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> SetPortalBrandingPayload:
        branding = domain.PortalBranding(
            input.display_name, input.primary_color, input.accent_color
        )
        stored, errors = await run_write(
            info,
            Scope.ACCOUNTS_WRITE,
            lambda ctx, p: service.set_portal_branding(ctx.services, p, branding),
        )
        return SetPortalBrandingPayload(
            branding=PortalBranding.from_domain(stored) if stored else None, user_errors=errors
        )


@strawberry.type(description="Reads.")
class PortalBrandingQuery:
    @strawberry.field(description="Your portal branding. Needs `accounts:read`.")
    async def portal_branding(self, info: Info) -> PortalBranding:
        ctx = request_context(info)
        principal = ctx.require(Scope.ACCOUNTS_READ)
        found = await service.portal_branding(ctx.services, principal.organization_id)
        return PortalBranding.from_domain(found)
