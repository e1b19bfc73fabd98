"""Customer reads: personal data shown to the organizations allowed to see it."""

from __future__ import annotations

from collections.abc import Sequence

from hub.auth.tokens import Principal
from hub.domain.customer import Customer
from hub.services.context import ServiceContext


async def get_customers(
    ctx: ServiceContext, principal: Principal, ids: Sequence[str]
) -> dict[str, Customer]:
    """Customers among ``ids`` that the principal may see, with their personal data where
    the principal may read it (``visibility.customer_pii_clause``)."""
    async with ctx.store.read() as uow:
        return await uow.customers.get_many(principal, ids)
