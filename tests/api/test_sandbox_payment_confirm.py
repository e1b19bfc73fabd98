"""``confirmSandboxPayment``: a test settles a pending sandbox portal payment (test card
4000 0000 0000 0077) as the sandbox provider would; live organizations are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette

from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from tests.api.test_portal_pages import Debtor
from tests.api.test_portal_pay import PENDING, account_of, pay, signed_in
from tests.conftest import Backend, Caller, place

CONFIRM = """mutation($id: ID!, $outcome: SandboxPaymentOutcome!) {
  confirmSandboxPayment(input: {paymentId: $id, outcome: $outcome}) {
    payment { id status channel } changed userErrors { code field } } }"""


@pytest.fixture
async def debtor(app: Starlette) -> AsyncIterator[Debtor]:
    visitor = Debtor(app)
    yield visitor
    await visitor.http.aclose()


@pytest.fixture
async def sandbox(make_caller: Any, backend: Backend) -> tuple[Caller, Caller]:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    agency = await make_caller(OrganizationKind.AGENCY, sandbox=True)
    await organization_service.create_routing_rule(
        backend.services, creditor_id=creditor.organization_id, agency_id=agency.organization_id
    )
    return creditor, agency


async def pending_payment(debtor: Debtor, creditor: Caller, agency: Caller) -> tuple[str, str]:
    account_id = (await place(creditor))["account"]["id"]
    url = await signed_in(debtor, agency, account_id)
    paid = await pay(debtor, url, account_id, "400", PENDING)
    return account_id, str(paid.headers["location"].rsplit("/", 1)[1])


async def confirm(agency: Caller, payment_id: str, outcome: str) -> dict[str, Any]:
    data = await agency.data(CONFIRM, {"id": payment_id, "outcome": outcome})
    payload: dict[str, Any] = data["confirmSandboxPayment"]
    return payload


@pytest.mark.parametrize(
    ("outcome", "status", "balance"),
    [("SUCCEEDED", "SUCCEEDED", 60000), ("DECLINED", "FAILED", 100000)],
)
async def test_a_pending_sandbox_portal_payment_is_settled_once(
    sandbox: tuple[Caller, Caller], debtor: Debtor, outcome: str, status: str, balance: int
) -> None:
    creditor, agency = sandbox
    account_id, payment_id = await pending_payment(debtor, creditor, agency)
    first = await confirm(agency, payment_id, outcome)
    assert first["userErrors"] == [] and first["changed"] is True
    assert first["payment"] == {"id": payment_id, "status": status, "channel": "PORTAL"}
    again = await confirm(agency, payment_id, outcome)
    assert again["changed"] is False and again["userErrors"] == []
    other = "DECLINED" if outcome == "SUCCEEDED" else "SUCCEEDED"
    refused = await confirm(agency, payment_id, other)
    assert [e["code"] for e in refused["userErrors"]] == ["PAYMENT_NOT_PENDING"]
    account = await account_of(agency, account_id)
    assert account["balance"]["amountMinor"] == balance
    assert [p["status"] for p in account["payments"]] == [status]


async def test_only_portal_payments_of_your_own_can_be_confirmed(
    sandbox: tuple[Caller, Caller], debtor: Debtor, make_caller: Any
) -> None:
    creditor, agency = sandbox
    _, payment_id = await pending_payment(debtor, creditor, agency)
    stranger = await make_caller(OrganizationKind.AGENCY, sandbox=True)
    refused = await confirm(stranger, payment_id, "SUCCEEDED")
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    assert refused["payment"] is None


async def test_a_live_organization_is_refused(routed: tuple[Caller, Caller]) -> None:
    _, agency = routed
    answer = await agency.graphql(CONFIRM, {"id": "pay_x", "outcome": "SUCCEEDED"})
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["reason"] == "SANDBOX_ONLY"
