"""Champion/challenger: a split rule sends each customer to one arm by hash, keeps it there,
and agencyPerformance compares the arms with intervals checked against scipy."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

import pytest
from scipy import stats

from hub.auth.scopes import OrganizationKind
from hub.domain.account import Product
from hub.domain.errors import DomainError
from hub.domain.money import Money
from hub.domain.placement import CustomerDetails, Placement
from hub.domain.routing import Weight, arm_for
from hub.domain.vocabulary import DisputeReason
from hub.services import accounts as account_service
from hub.services import disputes as disputes_service
from hub.services import organizations as organization_service
from hub.services import placement as placement_service
from tests.conftest import Backend, Caller
from tests.scenario import principal_of

AGENCY = OrganizationKind.AGENCY
ARMS = """query($from: DateTime!, $to: DateTime!, $experiment: ID) {
  agencyPerformance(from: $from, to: $to, experimentId: $experiment) {
    agency { id } accountsPlaced disputeRate experimentId championAgencyId
    interval(rate: DISPUTE_RATE) { low high }
    versusChampion { rate difference interval { low high } }
  }
}"""


def _placement(customer: str) -> Placement:
    return Placement(
        reference=f"INV-{uuid.uuid4().hex[:12]}",
        customer=CustomerDetails(reference=customer, name="Test Customer", country="SE"),
        original_amount=Money(5_000, "SEK"),
        balance=Money(5_000, "SEK"),
        due_date=dt.date(2026, 1, 1),
        product=Product.BNPL_INVOICE,
    )


def _wilson(k: int, n: int) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    return (float(ci.low), float(ci.high))


async def test_split_rule_sends_each_customer_to_its_arm_and_compares_the_arms(
    backend: Backend, make_caller: Any
) -> None:
    creditor: Caller = await make_caller(OrganizationKind.CREDITOR)
    champion: Caller = await make_caller(AGENCY)
    challenger: Caller = await make_caller(AGENCY)
    weights = [Weight(champion.organization_id, 60), Weight(challenger.organization_id, 40)]
    rule = await organization_service.create_split_rule(
        backend.services, creditor_id=creditor.organization_id, weights=weights, country="SE"
    )
    placer = principal_of(creditor.organization_id, OrganizationKind.CREDITOR)
    start = dt.datetime.now(dt.UTC)
    # A batch (routed in Python) and single placements (routed by the INSERT, then split).
    customers = [f"CUST-{uuid.uuid4().hex[:10]}" for _ in range(64)]
    outcomes = await placement_service.place_accounts(
        backend.services, placer, [_placement(c) for c in customers[:60]]
    )
    for customer in customers[60:]:
        outcomes += await placement_service.place_accounts(
            backend.services, placer, [_placement(customer)]
        )
    arm_of: dict[str, str] = {}
    for outcome in outcomes:
        assert outcome.account is not None and outcome.customer is not None
        expected = arm_for(
            creditor.organization_id, outcome.customer.id, rule.experiment_id, weights
        )
        assert outcome.account.agency_id == expected
        arm_of[outcome.customer.reference] = expected
    assert set(arm_of.values()) == {champion.organization_id, challenger.organization_id}
    stored = await account_service.get_accounts(
        backend.services, placer, [o.account.id for o in outcomes if o.account is not None]
    )
    assert {a.id: a.agency_id for a in stored.values()} == {
        o.account.id: o.account.agency_id for o in outcomes if o.account is not None
    }
    # The same customers placed again land with the same agencies.
    again = await placement_service.place_accounts(
        backend.services, placer, [_placement(c) for c in customers[:10] + customers[60:62]]
    )
    for outcome in again:
        assert outcome.account is not None and outcome.customer is not None
        assert outcome.account.agency_id == arm_of[outcome.customer.reference]

    # Disputes on 5 challenger accounts and 1 champion account.
    by_arm: dict[str, list[str]] = {}
    for outcome in outcomes + again:
        assert outcome.account is not None and outcome.account.agency_id is not None
        by_arm.setdefault(outcome.account.agency_id, []).append(outcome.account.id)
    disputed = {champion.organization_id: 1, challenger.organization_id: 5}
    for agency_id, n in disputed.items():
        agency = principal_of(agency_id, AGENCY)
        for account_id in by_arm[agency_id][:n]:
            await disputes_service.open_dispute(
                backend.services, agency, account_id, reason=DisputeReason.NOT_MY_DEBT, details=None
            )

    window = {
        "from": (start - dt.timedelta(minutes=1)).isoformat(),
        "to": (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat(),
    }
    rows = (await creditor.data(ARMS, {**window, "experiment": rule.experiment_id}))[
        "agencyPerformance"
    ]
    arms = {r["agency"]["id"]: r for r in rows}
    assert set(arms) == set(disputed)
    n = {a: len(by_arm[a]) for a in disputed}
    for agency_id, row in arms.items():
        assert row["accountsPlaced"] == n[agency_id]
        assert row["experimentId"] == rule.experiment_id
        assert row["championAgencyId"] == champion.organization_id
        low, high = _wilson(disputed[agency_id], n[agency_id])
        assert (row["interval"]["low"], row["interval"]["high"]) == pytest.approx((low, high))
    assert arms[champion.organization_id]["versusChampion"] == []
    [versus] = [
        d for d in arms[challenger.organization_id]["versusChampion"] if d["rate"] == "DISPUTE_RATE"
    ]
    p1, p2 = 5 / n[challenger.organization_id], 1 / n[champion.organization_id]
    (l1, u1), (l2, u2) = (
        _wilson(5, n[challenger.organization_id]),
        _wilson(1, n[champion.organization_id]),
    )
    assert versus["difference"] == pytest.approx(p1 - p2)
    # Newcombe's hybrid score interval from the two (scipy) Wilson intervals.
    assert versus["interval"]["low"] == pytest.approx(p1 - p2 - math.hypot(p1 - l1, u2 - p2))
    assert versus["interval"]["high"] == pytest.approx(p1 - p2 + math.hypot(u1 - p1, p2 - l2))

    # Another creditor's experiment is not found.
    other: Caller = await make_caller(OrganizationKind.CREDITOR)
    body = await other.graphql(ARMS, {**window, "experiment": rule.experiment_id})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_split_needs_two_agencies_summing_to_100(
    backend: Backend, make_caller: Any
) -> None:
    creditor: Caller = await make_caller(OrganizationKind.CREDITOR)
    agency: Caller = await make_caller(AGENCY)
    for weights in (
        [Weight(agency.organization_id, 100)],
        [Weight(agency.organization_id, 50)] * 2,
    ):
        with pytest.raises(DomainError) as refused:
            await organization_service.create_split_rule(
                backend.services, creditor_id=creditor.organization_id, weights=weights
            )
        assert refused.value.problems[0].code == "INVALID_WEIGHTS"
