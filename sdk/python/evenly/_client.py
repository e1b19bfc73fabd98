"""``Evenly`` (sync) and ``AsyncEvenly``: the same flows, run with httpx.Client or AsyncClient."""

from __future__ import annotations

import asyncio
import threading
import time
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from evenly._base_client import BaseClient, Call, Flow, _Authenticate, _Send, _Sleep
from evenly._models import Viewer
from evenly._operations import VIEWER
from evenly.resources.accounts import Accounts, AsyncAccounts
from evenly.resources.collection import Agency, AsyncAgency
from evenly.resources.compliance import AsyncCompliance, Compliance
from evenly.resources.creditor_reports import (
    AsyncCustomers,
    AsyncPayments,
    AsyncPerformance,
    AsyncRehabilitations,
    Customers,
    Payments,
    Performance,
    Rehabilitations,
)
from evenly.resources.events import AsyncEvents, Events
from evenly.resources.portal_links import AsyncPortalLinks, PortalLinks
from evenly.resources.sandbox import AsyncSandbox, Sandbox
from evenly.resources.webhook_endpoints import AsyncWebhookEndpoints, WebhookEndpoints

__all__ = ["AsyncEvenly", "Evenly"]

T = TypeVar("T")

# Enough connections for place_many's default concurrency and a few readers beside it.
_LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=16)


def _viewer_call() -> Call[Viewer]:
    return Call(VIEWER, {}, lambda data, _: Viewer.model_validate(data["viewer"]))


class Evenly(BaseClient):
    """The Evenly hub, synchronously.

    >>> client = Evenly()  # EVENLY_CLIENT_ID, EVENLY_CLIENT_SECRET, EVENLY_BASE_URL
    >>> client.accounts.get(reference="INV-1001").status  # doctest: +SKIP

    ``timeout`` is seconds (or an ``httpx.Timeout``); ``max_retries`` how often a request
    that is safe to repeat is retried. Pass ``http_client`` to bring your own httpx.Client
    (proxies, transports); it is then yours to close.
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = 3,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            client_id, client_secret, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=self.timeout, limits=_LIMITS)
        self._token_lock = threading.Lock()
        self.accounts = Accounts(self)
        self.events = Events(self)
        self.webhook_endpoints = WebhookEndpoints(self)
        self.agency = Agency(self)
        self.payments = Payments(self)
        self.customers = Customers(self)
        self.rehabilitation = Rehabilitations(self)
        self.performance = Performance(self)
        self.compliance = Compliance(self)
        self.portal_links = PortalLinks(self)
        self.sandbox = Sandbox(self)

    def viewer(self) -> Viewer:
        """The API client these credentials belong to, its scopes and organization."""
        return self.execute(_viewer_call())

    def execute(self, call: Call[T]) -> T:
        """Run one operation (resources build them); retries and errors handled."""
        return self._drive(self._flow(call))

    def _drive(self, flow: Flow[T]) -> T:
        step = next(flow)
        while True:
            value: Any = None
            if isinstance(step, _Send):
                try:
                    value = self._http.send(step.request)
                except httpx.TransportError as error:
                    value = error
            elif isinstance(step, _Sleep):
                time.sleep(step.seconds)
            elif isinstance(step, _Authenticate):
                self._authenticate(step.stale)
            try:
                step = flow.send(value)
            except StopIteration as stop:
                result: T = stop.value
                return result

    def _authenticate(self, stale: str | None) -> None:
        if self._token_valid(stale):
            return
        with self._token_lock:
            if not self._token_valid(stale):
                self._token = self._drive(self._token_flow())

    def _access_token(self) -> str:
        self._authenticate(None)
        assert self._token is not None
        return self._token.value

    def close(self) -> None:
        """Close the connections (unless the httpx client was passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncEvenly(BaseClient):
    """The Evenly hub, for asyncio: every method is awaited, lists are ``async for``."""

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int = 3,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            client_id, client_secret, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self.timeout, limits=_LIMITS)
        self._token_lock: asyncio.Lock | None = None
        self.accounts = AsyncAccounts(self)
        self.events = AsyncEvents(self)
        self.webhook_endpoints = AsyncWebhookEndpoints(self)
        self.agency = AsyncAgency(self)
        self.payments = AsyncPayments(self)
        self.customers = AsyncCustomers(self)
        self.rehabilitation = AsyncRehabilitations(self)
        self.performance = AsyncPerformance(self)
        self.compliance = AsyncCompliance(self)
        self.portal_links = AsyncPortalLinks(self)
        self.sandbox = AsyncSandbox(self)

    async def viewer(self) -> Viewer:
        """The API client these credentials belong to, its scopes and organization."""
        return await self.execute(_viewer_call())

    async def execute(self, call: Call[T]) -> T:
        """Run one operation (resources build them); retries and errors handled."""
        return await self._drive(self._flow(call))

    async def _drive(self, flow: Flow[T]) -> T:
        step = next(flow)
        while True:
            value: Any = None
            if isinstance(step, _Send):
                try:
                    value = await self._http.send(step.request)
                except httpx.TransportError as error:
                    value = error
            elif isinstance(step, _Sleep):
                await asyncio.sleep(step.seconds)
            elif isinstance(step, _Authenticate):
                await self._authenticate(step.stale)
            try:
                step = flow.send(value)
            except StopIteration as stop:
                result: T = stop.value
                return result

    async def _authenticate(self, stale: str | None) -> None:
        if self._token_valid(stale):
            return
        if self._token_lock is None:
            self._token_lock = asyncio.Lock()
        async with self._token_lock:
            if not self._token_valid(stale):
                self._token = await self._drive(self._token_flow())

    async def _access_token(self) -> str:
        await self._authenticate(None)
        assert self._token is not None
        return self._token.value

    async def close(self) -> None:
        """Close the connections (unless the httpx client was passed in)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
