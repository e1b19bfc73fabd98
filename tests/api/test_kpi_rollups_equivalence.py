"""The daily rollups give agencyPerformance exactly what the per-account facts give, for
random histories of placements, payments, reversals, disputes, closings and folds."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.auth.scopes import OrganizationKind
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.vocabulary import CloseReason, DisputeReason, PaymentChannel, PaymentMethod
from hub.services import accounts as account_service
from hub.services import closing as closing_service
from hub.services import disputes as disputes_service
from hub.services import payments as payments_service
from hub.store import counts, kpis
from tests.conftest import Backend
from tests.scenario import Scenario

MINUTES = 24 * 60
KINDS = ("place", "ack", "pay", "portal", "reverse", "dispute", "settle", "fold")

steps = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(0, 7),  # which account (of those placed so far)
        st.integers(0, 3 * MINUTES),  # minutes since the previous step
        st.integers(1, 100),  # percent of the balance paid
        st.sampled_from(("SE", "FI")),
    ),
    min_size=1,
    max_size=25,
)


def _normal(rows: list[kpis.AgencyFigures]) -> list[dict[str, Any]]:
    """The figures with floats rounded past their last meaningful digits."""

    def fix(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        return value

    return [fix(dataclasses.asdict(r)) for r in rows]


class History:
    def __init__(self, s: Scenario, creditor: Any, agencies: dict[str, Any]) -> None:
        self.s, self.creditor, self.agencies = s, creditor, agencies
        self.accounts: list[tuple[str, Any, str]] = []  # (id, agency, currency)
        self.payments: list[tuple[str, Any]] = []  # (payment id, agency)

    async def step(self, kind: str, which: int, percent: int, country: str) -> None:
        s = self.s
        if kind == "place":
            currency = "SEK" if country == "SE" else "EUR"
            account = await s.place(self.creditor, 10_000 + 100 * which, currency, country)
            self.accounts.append((account, self.agencies[country], currency))
            return
        if kind == "fold":
            async with s.services.store.change() as uow:
                await counts.fold(uow.conn, uow.dialect)
            return
        if not self.accounts:
            return
        account, agency, currency = self.accounts[which % len(self.accounts)]
        with contextlib.suppress(DomainError):  # a move the state refuses: nothing written
            await self._move(kind, account, agency, currency, percent)

    async def _move(
        self, kind: str, account: str, agency: Any, currency: str, percent: int
    ) -> None:
        s, ctx = self.s, self.s.ctx
        if kind == "ack":
            await account_service.acknowledge_placement(ctx, agency, account, agency_reference=None)
        elif kind in ("pay", "portal"):
            found = await account_service.get_account(ctx, agency, account)
            assert found is not None
            amount = max(1, found.balance_minor * percent // 100)
            channel = PaymentChannel.PORTAL if kind == "portal" else PaymentChannel.AGENCY
            applied = await payments_service.record_payment(
                ctx,
                agency,
                account,
                amount=Money(amount, currency),
                method=PaymentMethod.CARD,
                channel=channel,
                received_at=s.now,
            )
            if applied.item is not None:
                self.payments.append((applied.item.id, agency))
        elif kind == "reverse" and self.payments:
            payment, payer = self.payments.pop()
            await payments_service.reverse_payment(ctx, payer, payment, reason="chargeback")
        elif kind == "dispute":
            await disputes_service.open_dispute(
                ctx, agency, account, reason=DisputeReason.NOT_MY_DEBT, details=None
            )
        elif kind == "settle":
            found = await account_service.get_account(ctx, agency, account)
            assert found is not None
            await closing_service.close_account(
                ctx,
                agency,
                account,
                reason=CloseReason.SETTLED,
                settlement_amount=Money(
                    found.original_amount_minor - found.balance_minor, currency
                ),
            )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps, offset=st.integers(0, MINUTES - 1))
async def test_rollups_equal_the_facts_for_random_histories(
    backend: Backend, history: list[tuple[str, int, int, int, str]], offset: int
) -> None:
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=offset)
    s = Scenario(backend.services, start)
    creditor = await s.organization(OrganizationKind.CREDITOR)
    agencies = {
        "SE": await s.organization(OrganizationKind.AGENCY),
        "FI": await s.organization(OrganizationKind.AGENCY, "FI"),
    }
    await s.route(creditor, agencies["SE"], "SE")
    await s.route(creditor, agencies["FI"], "FI")
    h = History(s, creditor, agencies)
    minutes = 0
    for kind, which, pause, percent, country in history:
        minutes += pause
        s.at(minutes / MINUTES)
        await h.step(kind, which, percent, country)

    day = start.replace(hour=0, minute=0)
    days = minutes // MINUTES + 2
    windows = [(day, day + dt.timedelta(days=days))]
    windows += [(day + dt.timedelta(days=k), day + dt.timedelta(days=k + 1)) for k in range(days)]
    for first, last in windows:
        for country in (None, "SE"):
            async with backend.services.store.read() as uow:
                rolled = await kpis.agency_performance(
                    uow.conn,
                    creditor.organization_id,
                    start=first,
                    end=last,
                    country=country,
                )
                facts = await kpis.agency_performance_from_facts(
                    uow.conn,
                    uow.dialect,
                    creditor.organization_id,
                    start=first,
                    end=last,
                    country=country,
                )
            assert _normal(rolled) == _normal(facts), (first, last, country)
            if (first, last, country) == (*windows[0], None):  # everything, any country
                assert sum(r.accounts_placed for r in rolled) == len(h.accounts)


def test_a_range_inside_a_day_counts_the_whole_day() -> None:
    at = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    assert kpis.whole_days(at, at + dt.timedelta(hours=1)) == (
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 2),
    )
    midnight = dt.datetime(2026, 3, 3, tzinfo=dt.UTC)
    assert kpis.whole_days(at, midnight) == (dt.date(2026, 3, 1), dt.date(2026, 3, 3))
