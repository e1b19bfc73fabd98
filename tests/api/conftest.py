"""Fixtures for API tests that need a hub of their own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.app import create_app
from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext
from hub.store.migrate import upgrade
from tests.conftest import (
    BACKENDS,
    _create_postgres_database,
    _drop_postgres_database,
    get_token,
    postgres_url,
)
from tests.conftest import test_settings as settings_for

GraphQL = Callable[[str, dict[str, Any]], Awaitable[Any]]


@dataclass
class OwnHub:
    """A secure hub (no insecure webhooks) on a database of its own, so a delivery worker
    started in the test sees only the test's messages."""

    services: ServiceContext
    http: httpx.AsyncClient

    async def tenant(self) -> GraphQL:
        """A new creditor; a function running GraphQL as it (failing on errors)."""
        creds = await organization_service.create_organization(
            self.services,
            kind=OrganizationKind.CREDITOR,
            name=f"Creditor {uuid.uuid4().hex[:6]}",
            country="SE",
        )
        token = await get_token(self.http, creds.client_id, creds.client_secret)

        async def gql(query: str, variables: dict[str, Any]) -> Any:
            response = await self.http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            body = response.json()
            assert "errors" not in body, body
            return body["data"]

        return gql


@pytest.fixture(params=BACKENDS)
async def own_hub(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OwnHub]:
    pg_name = None
    if request.param == "postgresql":
        pg_name = await _create_postgres_database()
        url = postgres_url(pg_name)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'evenly.db'}"
    settings = settings_for(tmp_path, url, webhook_retry_schedule="0,3600")
    services = ServiceContext.from_settings(settings)
    await upgrade(services.db.engine)
    try:
        transport = httpx.ASGITransport(app=create_app(settings, services))
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            yield OwnHub(services, http)
    finally:
        await services.db.dispose()
        if pg_name is not None:
            await _drop_postgres_database(pg_name)
