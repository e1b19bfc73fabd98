"""Schemathesis against the GraphQL schema, in process over ASGI, with a creditor's token.

Every query and mutation gets generated operations (100 per operation in CI); no 5xx and no
GraphQL error without a stable code may appear. The database is a real SQLite file with a
creditor, an agency, a routing rule and placed accounts, so generated reads find data.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
import schemathesis_hooks  # registers scalars, the check and the failure filter
from hypothesis import HealthCheck, settings
from sqlalchemy.pool import NullPool

from hub.app import create_app
from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.account import Product
from hub.domain.money import Money
from hub.domain.placement import CustomerDetails, Placement
from hub.services import accounts as account_service
from hub.services import organizations as organization_service
from hub.services.context import ServiceContext
from hub.settings import Settings
from hub.store.database import Database
from hub.store.migrate import upgrade

assert schemathesis_hooks.UNHANDLED_CODES
MAX_EXAMPLES = 100 if os.environ.get("CI", "").lower() == "true" else 25


def _build() -> tuple[Any, str]:
    data_dir = Path(tempfile.mkdtemp(prefix="evenly-contract-"))
    settings = Settings(
        data_dir=data_dir,
        encryption_key=base64.b64encode(secrets.token_bytes(32)).decode(),
        rate_limit_per_second=1e6,
        rate_limit_burst=10**6,
        client_cache_seconds=0,
        log_level="CRITICAL",
    )

    def services() -> ServiceContext:
        ctx = ServiceContext.from_settings(settings)
        # The ASGI test client runs each request on its own event loop: pool nothing.
        ctx.db = Database(settings.resolved_database_url, poolclass=NullPool)
        return ctx

    async def seed() -> Principal:
        ctx = services()
        await upgrade(ctx.db.engine)
        creditor = await organization_service.create_organization(
            ctx, kind=OrganizationKind.CREDITOR, name="QA Creditor", country="SE"
        )
        agency = await organization_service.create_organization(
            ctx, kind=OrganizationKind.AGENCY, name="QA Agency", country="SE"
        )
        await organization_service.create_routing_rule(
            ctx, creditor_id=creditor.organization_id, agency_id=agency.organization_id
        )
        principal = Principal(
            creditor.client_id, creditor.organization_id, OrganizationKind.CREDITOR, creditor.scopes
        )
        await account_service.place_accounts(
            ctx,
            principal,
            [
                Placement(
                    reference=f"QA-{n}",
                    customer=CustomerDetails(
                        reference=f"QA-C-{n}", name="Q A", country="SE", email="qa@example.com"
                    ),
                    original_amount=Money(10_000, "SEK"),
                    balance=Money(9_000, "SEK"),
                    due_date=ctx.clock().date(),
                    product=Product.LOAN,
                )
                for n in range(5)
            ],
        )
        await ctx.db.dispose()
        return principal

    principal = asyncio.run(seed())
    app = create_app(settings, services())
    token = app.state.issuer.issue(principal)
    return app, token


APP, TOKEN = _build()
AUTH = {"Authorization": f"Bearer {TOKEN}"}
schema = schemathesis.graphql.from_asgi("/graphql", APP, headers=AUTH)
schema.config.update(headers=AUTH)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
def test_every_operation_honours_the_contract(case: Any) -> None:
    case.call_and_validate(headers=AUTH)
