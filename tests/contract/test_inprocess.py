"""Schemathesis against the GraphQL schema, in process over ASGI, with a creditor's token.

Every query and mutation gets generated operations (60 per operation and caller in CI), once
with a creditor's token and once with an agency's; no 5xx and no GraphQL error without a
stable code may appear. The database is a real SQLite file with a creditor, an agency, a
routing rule and placed accounts at every stage of collection (acknowledged, on a plan,
paid, pending payment, disputed, on hold); generated IDs are drawn from those real ids as
well as at random, so generated operations reach past "not found" into the use cases.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import graphql
import schemathesis
import schemathesis_hooks  # registers scalars, the check and the failure filter
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy.pool import NullPool

from hub.app import create_app
from hub.auth.scopes import OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.account import Product
from hub.domain.money import Money
from hub.domain.payment_plan import Cadence
from hub.domain.placement import CustomerDetails, Placement
from hub.domain.vocabulary import DisputeReason, HoldReason, PaymentChannel, PaymentMethod
from hub.services import accounts as account_service
from hub.services import disputes as disputes_service
from hub.services import holds as holds_service
from hub.services import organizations as organization_service
from hub.services import payments as payments_service
from hub.services import placement as placement_service
from hub.services import plans as plans_service
from hub.services.context import ServiceContext
from hub.settings import Settings
from hub.store.database import Database
from hub.store.migrate import upgrade

assert schemathesis_hooks.UNHANDLED_CODES
MAX_EXAMPLES = 60 if os.environ.get("CI", "").lower() == "true" else 20


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
        await placement_service.place_accounts(
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
                for n in range(8)
            ],
        )
        agency_principal = Principal(
            agency.client_id, agency.organization_id, OrganizationKind.AGENCY, agency.scopes
        )
        ids = await _collection_history(ctx, principal, agency_principal)
        await ctx.db.dispose()
        return principal, agency_principal, ids

    principal, agency_principal, ids = asyncio.run(seed())
    KNOWN_IDS.extend(ids)
    app = create_app(settings, services())
    return app, app.state.issuer.issue(principal), app.state.issuer.issue(agency_principal)


async def _collection_history(
    ctx: ServiceContext, creditor: Principal, agency: Principal
) -> list[str]:
    """Accounts at every stage (acknowledged, on a plan, paid, disputed, on hold) and the ids
    of their payments, disputes, holds and customers, for generated operations to hit."""
    rows = await account_service.list_accounts(
        ctx, creditor, account_service.AccountFilter(), before_id=None, limit=10
    )
    ids = [r.id for r in rows] + [r.customer_id for r in rows]
    first, second, third, fourth, fifth = (r.id for r in rows[:5])
    now = ctx.clock()
    for account_id in (first, second, third, fourth):
        await account_service.acknowledge_placement(ctx, agency, account_id, agency_reference="QA")
    plan = await plans_service.create_payment_plan(
        ctx,
        agency,
        first,
        cadence=Cadence.WEEKLY,
        start_date=now.date(),
        installment_amount=Money(3_000, "SEK"),
        installments=None,
    )
    paid = await payments_service.record_payment(
        ctx,
        agency,
        first,
        amount=Money(3_000, "SEK"),
        method=PaymentMethod.CARD,
        channel=PaymentChannel.PORTAL,
        received_at=now,
    )
    pending = await payments_service.record_payment(
        ctx,
        agency,
        second,
        amount=Money(1_000, "SEK"),
        method=PaymentMethod.DIRECT_DEBIT,
        channel=PaymentChannel.AGENCY,
        received_at=now,
        pending=True,
    )
    dispute = await disputes_service.open_dispute(
        ctx, agency, third, reason=DisputeReason.WRONG_AMOUNT, details="QA"
    )
    hold = await holds_service.place_on_hold(
        ctx, agency, fourth, reason=HoldReason.HARDSHIP, until=None, notes=None
    )
    await payments_service.record_payment(
        ctx,
        creditor,
        fifth,
        amount=Money(9_000, "SEK"),
        method=PaymentMethod.BANK_TRANSFER,
        channel=PaymentChannel.CREDITOR_DIRECT,
        received_at=now,
    )
    for applied in (plan, paid, pending, dispute, hold):
        ids += [v for k, v in applied.result.items() if k != "account_id"]
    return ids


#: Real ids of the seeded world, so generated operations reach past "not found".
KNOWN_IDS: list[str] = []
APP, CREDITOR_TOKEN, AGENCY_TOKEN = _build()
schemathesis.graphql.scalar(
    "ID",
    st.one_of(st.sampled_from(KNOWN_IDS), st.text(max_size=40)).map(
        lambda value: graphql.StringValueNode(value=value)
    ),
)


def _schema(token: str) -> Any:
    auth = {"Authorization": f"Bearer {token}"}
    loaded = schemathesis.graphql.from_asgi("/graphql", APP, headers=auth)
    loaded.config.update(headers=auth)
    return loaded


creditor_schema = _schema(CREDITOR_TOKEN)
agency_schema = _schema(AGENCY_TOKEN)


@creditor_schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
def test_every_operation_honours_the_contract_for_a_creditor(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {CREDITOR_TOKEN}"})


@agency_schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
def test_every_operation_honours_the_contract_for_an_agency(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {AGENCY_TOKEN}"})
