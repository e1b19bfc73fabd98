"""Service-level scenarios with a hand-set clock: organizations, placements and agency moves
at chosen moments, through the same use cases the API calls."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass, field

from hub.auth.scopes import ALLOWED_SCOPES, OrganizationKind
from hub.auth.tokens import Principal
from hub.domain.account import Product
from hub.domain.money import Money
from hub.domain.placement import CustomerDetails, Placement
from hub.services import organizations as organization_service
from hub.services import placement as placement_service
from hub.services.context import ServiceContext


def principal_of(organization_id: str, kind: OrganizationKind) -> Principal:
    scopes = frozenset(s.value for s in ALLOWED_SCOPES[kind])
    return Principal(f"cli_{organization_id}", organization_id, kind, scopes)


@dataclass
class Scenario:
    """A creditor and its agencies on a clock the test moves (``at(days)``)."""

    services: ServiceContext
    start: dt.datetime
    now: dt.datetime = field(init=False)

    def __post_init__(self) -> None:
        self.now = self.start
        self.ctx = dataclasses.replace(self.services, clock=lambda: self.now)

    def at(self, days: float) -> ServiceContext:
        """The services as seen ``days`` after the start."""
        self.now = self.start + dt.timedelta(days=days)
        return self.ctx

    async def organization(self, kind: OrganizationKind, country: str = "SE") -> Principal:
        creds = await organization_service.create_organization(
            self.ctx,
            kind=kind,
            name=f"{kind.value.title()} {uuid.uuid4().hex[:6]}",
            country=country,
        )
        return principal_of(creds.organization_id, kind)

    async def route(self, creditor: Principal, agency: Principal, country: str) -> None:
        await organization_service.create_routing_rule(
            self.ctx,
            creditor_id=creditor.organization_id,
            agency_id=agency.organization_id,
            country=country,
        )

    async def place(
        self, creditor: Principal, balance: int, currency: str = "SEK", country: str = "SE"
    ) -> str:
        [outcome] = await placement_service.place_accounts(
            self.ctx,
            creditor,
            [
                Placement(
                    reference=f"INV-{uuid.uuid4().hex[:12]}",
                    customer=CustomerDetails(
                        reference=f"CUST-{uuid.uuid4().hex[:12]}",
                        name="Test Customer",
                        country=country,
                        phone="+46701234567",
                    ),
                    original_amount=Money(balance, currency),
                    balance=Money(balance, currency),
                    due_date=(self.now - dt.timedelta(days=30)).date(),
                    product=Product.BNPL_INVOICE,
                )
            ],
        )
        assert not outcome.problems, outcome.problems
        assert outcome.account is not None
        account_id: str = outcome.account.id
        return account_id
