"""deleteSandboxData: a sandbox creditor removes one test run (``hub.store.sandbox_cleanup``).

The run is the creditor's own accounts placed with that ``sandboxTag``; all of it goes in
one transaction, or none. A live organization is refused (``SANDBOX_ONLY``), an agency
(``CREDITOR_ONLY``: tags are the creditor's), a malformed tag (``INVALID_SANDBOX_TAG``). A
tag with no accounts, another organization's included, deletes nothing and says so with
zeros: a CI job may reset a run that never placed anything.
"""

from __future__ import annotations

from hub.auth.tokens import Principal
from hub.domain.errors import DomainError
from hub.domain.sandbox import tag_problem
from hub.services.context import ServiceContext
from hub.services.sandbox import require_sandbox_organization
from hub.store.sandbox_cleanup import DeletedRun


async def delete_sandbox_data(ctx: ServiceContext, principal: Principal, tag: str) -> DeletedRun:
    """Delete the caller's test run ``tag``; what was removed."""
    async with ctx.store.transaction() as uow:
        await require_sandbox_organization(uow, principal, "deleteSandboxData")
        if not principal.is_creditor:
            raise DomainError.of(
                "CREDITOR_ONLY", "only the creditor that placed a run deletes it", "tag"
            )
        problem = tag_problem(tag)
        if problem is not None:
            raise DomainError.of(problem.code, problem.message, "tag")
        return await uow.sandbox_cleanup.delete_run(principal.organization_id, tag, ctx.clock())
