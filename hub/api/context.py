"""Per-request context for resolvers: the caller, the services and the dataloaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from hub.api.errors import ApiError, UserError, user_errors
from hub.auth.scopes import Scope
from hub.auth.tokens import Principal
from hub.domain.account import Account
from hub.domain.collection_state import Item, ItemKind
from hub.domain.customer import Customer
from hub.domain.errors import DomainError
from hub.domain.organization import Organization
from hub.services import accounts as account_service
from hub.services import customers as customer_service
from hub.services import items as item_service
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext

T = TypeVar("T")


@dataclass
class RequestContext:
    services: ServiceContext
    principal: Principal
    request_id: str
    customers: DataLoader[str, Customer | None] = field(init=False)
    organizations: DataLoader[str, Organization | None] = field(init=False)
    accounts: DataLoader[str, Account | None] = field(init=False)
    linked_organizations: DataLoader[str, Organization | None] = field(init=False)

    _items: dict[ItemKind, DataLoader[str, list[Item]]] = field(init=False, default_factory=dict)
    #: Websocket connections: the ``connection_init`` payload, and the live-event bus.
    connection_params: dict[str, Any] | None = field(default=None, init=False)
    event_bus: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.reset_loaders()

    def reset_loaders(self) -> None:
        """Fresh dataloaders: a long-lived (subscription) context must not serve stale rows."""
        self._items = {}
        # One batched query per kind of object per request, whatever the page size.
        self.customers = DataLoader(self._load_customers)
        self.organizations = DataLoader(self._load_organizations)
        self.accounts = DataLoader(self._load_accounts)
        self.linked_organizations = DataLoader(self._load_linked_organizations)

    async def _load_customers(self, ids: Sequence[str]) -> list[Customer | None]:
        found = await customer_service.get_customers(self.services, self.principal, ids)
        return [found.get(i) for i in ids]

    async def _load_organizations(self, ids: Sequence[str]) -> list[Organization | None]:
        found = await organization_service.visible_organizations(self.services, self.principal, ids)
        return [found.get(i) for i in ids]

    async def _load_linked_organizations(self, ids: Sequence[str]) -> list[Organization | None]:
        """The creditor or agency of an account the caller can see (so visible by that link)."""
        found = await self.services.organizations.get_many(ids)
        return [found.get(i) for i in ids]

    async def _load_accounts(self, ids: Sequence[str]) -> list[Account | None]:
        found = await account_service.get_accounts(self.services, self.principal, ids)
        return [found.get(i) for i in ids]

    def items(self, kind: ItemKind) -> DataLoader[str, list[Item]]:
        """One kind of item (payments, holds, …) per visible account, batched."""
        loader = self._items.get(kind)
        if loader is None:

            async def load(ids: Sequence[str]) -> list[list[Item]]:
                found = await item_service.items_of(self.services, kind, ids)
                return [found[i] for i in ids]

            loader = self._items[kind] = DataLoader(load)
        return loader

    async def linked_organization(self, organization_id: str) -> Organization | None:
        """An account's creditor or agency: from the process cache at once, else batched."""
        found = self.services.organizations.cached(organization_id)
        return found if found is not None else await self.linked_organizations.load(organization_id)

    def prime_customers(self, outcomes: Sequence[Any]) -> None:
        """Let a mutation's payload show the customers it just wrote without reading them back."""
        for outcome in outcomes:
            if outcome.customer is not None:
                self.customers.prime(outcome.customer.id, outcome.customer)

    def require(self, scope: Scope) -> Principal:
        """The principal, if its token holds ``scope``; else a ``FORBIDDEN`` error."""
        if scope.value not in self.principal.scopes:
            raise ApiError(
                "FORBIDDEN",
                f"this operation needs the {scope.value} scope",
                requiredScope=scope.value,
            )
        return self.principal


async def run_write(
    info: Info[Any, Any],
    scope: Scope,
    work: Callable[[RequestContext, Principal], Awaitable[T]],
) -> tuple[T | None, list[UserError]]:
    """A mutation's use case: its result, or the userErrors of the domain's refusal.

    A missing scope is a GraphQL error (FORBIDDEN); expected refusals are payload data.
    """
    ctx = request_context(info)
    principal = ctx.require(scope)
    try:
        return await work(ctx, principal), []
    except DomainError as error:
        return None, user_errors(error.problems)


def request_context(info: Info[Any, Any]) -> RequestContext:
    context = info.context
    assert isinstance(context, RequestContext)
    return context
