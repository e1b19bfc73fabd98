"""Sandbox use cases: what only sandbox organizations may do (``hub.domain.sandbox``).

``send_test_event`` delivers a sample of any event type to one endpoint. A live
organization is refused (``SANDBOX_ONLY``): on live data every event is a real change.
"""

from __future__ import annotations

from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain import webhook_endpoint as endpoint_rules
from hub.domain.errors import DomainError
from hub.domain.sample_events import sample_event_row
from hub.domain.sandbox import require_sandbox
from hub.services.context import ServiceContext
from hub.store.unit_of_work import UnitOfWork


async def require_sandbox_organization(uow: UnitOfWork, principal: Principal, what: str) -> None:
    """Refuse ``what`` (``SANDBOX_ONLY``) unless the caller's organization is a sandbox one."""
    found = await uow.organizations.get_many([principal.organization_id])
    organization = found.get(principal.organization_id)
    if organization is None:
        raise DomainError.of("NOT_FOUND", "no such organization", "organization")
    require_sandbox(organization.sandbox, what)


async def send_test_event(
    ctx: ServiceContext, principal: Principal, endpoint_id: str, event_type: str
) -> str:
    """Deliver a sample ``event_type`` event (``hub.domain.sample_events``) to this endpoint
    only, whatever types it subscribes to; the event's id. Like ``sendTestWebhook``'s, the
    event is on the organization's feed too, about a sample account that is not stored."""
    now = ctx.clock()
    is_agency = principal.kind is OrganizationKind.AGENCY
    row = sample_event_row(event_type, principal.organization_id, is_agency, endpoint_id, now)
    async with ctx.store.transaction() as uow:
        await require_sandbox_organization(uow, principal, "sendTestEvent")
        if await uow.endpoints.get(principal.organization_id, endpoint_id) is None:
            raise endpoint_rules.endpoint_not_found()
        await uow.events.append_for_endpoint([row], endpoint_id, now)
    return str(row["id"])
