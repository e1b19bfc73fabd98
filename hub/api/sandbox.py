"""Sandbox mutations: what only sandbox organizations may do (``hub.services.sandbox``).

Asked by a live organization, each is a GraphQL error ``FORBIDDEN`` whose ``reason`` is
``SANDBOX_ONLY``, like a missing scope: the caller may not do it at all. Other refusals are
``userErrors``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from hub.api.context import RequestContext, request_context
from hub.api.errors import ApiError, UserError, user_errors
from hub.auth.scopes import Scope
from hub.auth.tokens import Principal
from hub.domain.errors import DomainError
from hub.domain.sandbox import SANDBOX_ONLY
from hub.domain.sandbox_scenarios import scenarios
from hub.services import sandbox as sandbox_service


async def sandbox_write(
    info: Info,
    scope: Scope,
    work: Callable[[RequestContext, Principal], Awaitable[Any]],
) -> tuple[Any, list[UserError]]:
    """A sandbox use case's result, or its userErrors; ``FORBIDDEN`` for a live organization."""
    ctx = request_context(info)
    principal = ctx.require(scope)
    try:
        return await work(ctx, principal), []
    except DomainError as error:
        if error.code == SANDBOX_ONLY:
            raise ApiError("FORBIDDEN", error.problems[0].message, reason=SANDBOX_ONLY) from None
        return None, user_errors(error.problems)


@strawberry.input(description="Send a sample event of one type to one webhook endpoint.")
class SendTestEventInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint's ID.")
    type: str = strawberry.field(
        description="The event type, e.g. `payment.received`: any type of `schema/webhooks/`."
    )


@strawberry.type(description="Result of `sendTestEvent`.")
class SendTestEventPayload:
    event_id: strawberry.ID | None = strawberry.field(
        description="The sample event queued (the delivery's `webhook-id`)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


@strawberry.type(description="Sandbox mutations.")
class SandboxMutation:
    @strawberry.mutation(
        description=(
            "Sandbox organizations only: deliver a sample event of `type` to this endpoint "
            "(whatever types it subscribes to), built as real events are and marked "
            "`livemode: false`; it is on your `events` feed too, about a sample account that "
            "is not stored. Needs `webhooks:manage`; a live organization gets `FORBIDDEN` "
            "(reason `SANDBOX_ONLY`)."
        )
    )
    async def send_test_event(
        self,
        info: Info,
        input: Annotated[
            SendTestEventInput, strawberry.argument(description="The mutation's input.")
        ],
    ) -> SendTestEventPayload:
        event_id, errors = await sandbox_write(
            info,
            Scope.WEBHOOKS_MANAGE,
            lambda ctx, principal: sandbox_service.send_test_event(
                ctx.services, principal, str(input.endpoint_id), input.type
            ),
        )
        return SendTestEventPayload(
            event_id=strawberry.ID(event_id) if event_id is not None else None, user_errors=errors
        )


@strawberry.type(description="A scenario of the simulated sandbox agency.")
class SandboxScenario:
    name: str = strawberry.field(
        description="Its name, for `metadata.sandboxScenario` or an email tag `name+<it>@…`."
    )
    description: str = strawberry.field(description="What the simulated customer does.")
    events: list[str] = strawberry.field(
        description="The event types it produces on the creditor's feed, in order."
    )


@strawberry.type(description="Sandbox reads.")
class SandboxQuery:
    @strawberry.field(
        description=(
            "The scenarios the simulated sandbox agency plays (`hub/sandbox_scenarios/`), "
            "by name, with the events each produces."
        )
    )
    async def sandbox_scenarios(self) -> list[SandboxScenario]:
        return [
            SandboxScenario(name=s.name, description=s.description, events=list(s.events))
            for s in scenarios().values()
        ]
