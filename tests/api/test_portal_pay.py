"""Paying from the debtor portal through the sandbox provider, over HTTP on the real app:
part and full payments, declines, pending payments confirmed later by a provider event,
form errors, another customer's debt and a missing CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette

from hub.auth.scopes import OrganizationKind
from hub.domain.portal_payment import ProviderEvent, ProviderEventKind, SandboxProvider
from hub.services import organizations as organization_service
from hub.services.portal_payments import apply_provider_event
from tests.api.test_portal_pages import Debtor, csrf_of, latest_code, link_for
from tests.conftest import Backend, Caller, place

SUCCEEDS, DECLINED, PENDING = "4242 4242 4242 4242", "4000 0000 0000 0002", "4000000000000077"
ACCOUNT = """query($id: ID!) { account(id: $id) { status balance { amountMinor }
  payments { id status channel amount { amountMinor } } } }"""
STARTED = """{ events(types: ["portal.payment_started"], first: 100) { nodes { data } } }"""
REHABILITATED = """{ events(types: ["customer.rehabilitated"], first: 100) { nodes { data } } }"""


@pytest.fixture
async def debtor(app: Starlette) -> AsyncIterator[Debtor]:
    visitor = Debtor(app)
    yield visitor
    await visitor.http.aclose()


@pytest.fixture
async def sandbox(make_caller: Any, backend: Backend) -> tuple[Caller, Caller]:
    """A sandbox creditor whose placements go to a sandbox agency."""
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    agency = await make_caller(OrganizationKind.AGENCY, sandbox=True)
    await organization_service.create_routing_rule(
        backend.services, creditor_id=creditor.organization_id, agency_id=agency.organization_id
    )
    return creditor, agency


async def signed_in(debtor: Debtor, agency: Caller, account_id: str) -> str:
    """The debtor past the code on a link for ``account_id``; the link's URL."""
    link = await link_for(agency, account_id)
    await debtor.ask_code(link["url"])
    assert (await debtor.enter(link["url"], await latest_code(agency, link["id"]))).status_code
    return str(link["url"])


def form_of(page: str, account_id: str) -> dict[str, str]:
    """The hidden fields of the pay form of ``account_id`` on a page."""
    start = page.index(f'name="account" value="{account_id}"')
    found = re.search(r'name="attempt" value="([^"]+)"', page[start:])
    assert found, page
    return {"account": account_id, "attempt": found.group(1)}


async def pay(debtor: Debtor, url: str, account_id: str, amount: str, card: str = SUCCEEDS) -> Any:
    page = (await debtor.open(url)).text
    fields = form_of(page, account_id)
    return await debtor.post(f"{url}/pay", csrf_of_text(page), amount=amount, card=card, **fields)


def csrf_of_text(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


async def account_of(agency: Caller, account_id: str) -> dict[str, Any]:
    account: dict[str, Any] = (await agency.data(ACCOUNT, {"id": account_id}))["account"]
    return account


async def test_a_debtor_pays_part_of_a_debt_by_sandbox_card(
    sandbox: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = sandbox
    account_id = (await place(creditor))["account"]["id"]
    url = await signed_in(debtor, agency, account_id)
    overview = await debtor.open(url)
    assert 'action="' + url + '/pay"' in overview.text and 'value="1000.00"' in overview.text

    paid = await pay(debtor, url, account_id, "250,50")
    assert paid.status_code == 303
    assert paid.headers["location"].startswith(f"{url}/payments/pay")
    done = await debtor.open(paid.headers["location"])
    assert done.status_code == 200 and "Thank you: payment received" in done.text
    assert "250.50 SEK" in done.text
    account = await account_of(agency, account_id)
    assert account["balance"]["amountMinor"] == 74950 and account["status"] != "PAID"
    [payment] = account["payments"]
    assert payment["channel"] == "PORTAL" and payment["status"] == "SUCCEEDED"
    assert "749.50 SEK" in (await debtor.open(url)).text
    [started] = [
        n["data"]
        for n in (await agency.data(STARTED))["events"]["nodes"]
        if n["data"]["paymentId"] == payment["id"]
    ]
    assert started["amount"] == {"amountMinor": 25050, "currency": "SEK"}
    assert (await creditor.data(STARTED))["events"]["nodes"] == []  # the issuer's alone


async def test_paying_all_closes_the_debt_paid_and_rehabilitates_the_customer(
    sandbox: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = sandbox
    placed = (await place(creditor))["account"]
    url = await signed_in(debtor, agency, placed["id"])
    paid = await pay(debtor, url, placed["id"], "1000")
    assert "Thank you" in (await debtor.open(paid.headers["location"])).text
    assert (await account_of(agency, placed["id"]))["status"] == "PAID"
    nodes = (await creditor.data(REHABILITATED))["events"]["nodes"]
    assert placed["customer"]["id"] in str(nodes)
    assert "You have no open debts here" in (await debtor.open(url)).text


async def test_a_declined_card_takes_nothing(
    sandbox: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = sandbox
    account_id = (await place(creditor))["account"]["id"]
    url = await signed_in(debtor, agency, account_id)
    paid = await pay(debtor, url, account_id, "100", DECLINED)
    done = await debtor.open(paid.headers["location"])
    assert "Payment declined" in done.text
    account = await account_of(agency, account_id)
    assert account["balance"]["amountMinor"] == 100000
    assert [p["status"] for p in account["payments"]] == ["FAILED"]


async def test_a_pending_payment_counts_once_the_provider_confirms_it(
    sandbox: tuple[Caller, Caller], debtor: Debtor, backend: Backend
) -> None:
    creditor, agency = sandbox
    account_id = (await place(creditor))["account"]["id"]
    url = await signed_in(debtor, agency, account_id)
    paid = await pay(debtor, url, account_id, "400", PENDING)
    assert "being processed" in (await debtor.open(paid.headers["location"])).text
    assert (await account_of(agency, account_id))["balance"]["amountMinor"] == 100000
    # The amount in flight is held: paying all of it now is more than is owed.
    again = await pay(debtor, url, account_id, "1000")
    assert again.status_code == 400 and "still being processed" in again.text

    payment_id = paid.headers["location"].rsplit("/", 1)[1]
    event = SandboxProvider().confirm(payment_id, account_id, agency.organization_id)
    assert await apply_provider_event(backend.services, event) is True
    assert await apply_provider_event(backend.services, event) is False  # a repeat
    account = await account_of(agency, account_id)
    assert account["balance"]["amountMinor"] == 60000
    assert [p["status"] for p in account["payments"]] == ["SUCCEEDED"]
    assert "Thank you" in (await debtor.open(paid.headers["location"])).text


async def test_the_same_form_sent_twice_pays_once(
    sandbox: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = sandbox
    account_id = (await place(creditor))["account"]["id"]
    url = await signed_in(debtor, agency, account_id)
    page = (await debtor.open(url)).text
    fields = {**form_of(page, account_id), "amount": "100", "card": SUCCEEDS}
    first = await debtor.post(f"{url}/pay", csrf_of_text(page), **fields)
    second = await debtor.post(f"{url}/pay", csrf_of_text(page), **fields)
    assert first.headers["location"] == second.headers["location"]
    changed = await debtor.post(f"{url}/pay", csrf_of_text(page), **{**fields, "amount": "50"})
    assert changed.status_code == 400 and "already sent" in changed.text
    account = await account_of(agency, account_id)
    assert account["balance"]["amountMinor"] == 90000 and len(account["payments"]) == 1


@pytest.mark.parametrize(
    ("amount", "card", "says"),
    [
        ("1000.01", SUCCEEDS, "That is more than you owe."),
        ("10.005", SUCCEEDS, "SEK amounts have at most 2 decimals."),
        ("0", SUCCEEDS, "Enter an amount more than zero."),
        ("ten", SUCCEEDS, "Enter an amount as a number"),
        ("10", "4242 4242 4242 4241", "That card number is not right."),
        ("10", "5555 5555 5555 4444", "use a test card"),
    ],
)
async def test_form_errors_show_the_form_again_and_take_nothing(
    sandbox: tuple[Caller, Caller], debtor: Debtor, amount: str, card: str, says: str
) -> None:
    creditor, agency = sandbox
    account_id = (await place(creditor))["account"]["id"]
    url = await signed_in(debtor, agency, account_id)
    refused = await pay(debtor, url, account_id, amount, card)
    assert refused.status_code == 400 and says in refused.text
    assert 'aria-invalid="true"' in refused.text and card.replace(" ", "") not in refused.text
    assert (await account_of(agency, account_id))["payments"] == []


async def test_another_customers_debt_posted_to_the_form_is_refused_without_a_word_about_it(
    sandbox: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = sandbox
    mine = (await place(creditor))["account"]
    theirs = (await place(creditor))["account"]
    url = await signed_in(debtor, agency, mine["id"])
    page = (await debtor.open(url)).text
    fields = {**form_of(page, mine["id"]), "account": theirs["id"]}
    refused = await debtor.post(
        f"{url}/pay", csrf_of_text(page), amount="10", card=SUCCEEDS, **fields
    )
    unknown = await debtor.post(
        f"{url}/pay",
        csrf_of_text(page),
        amount="10",
        card=SUCCEEDS,
        **{**fields, "account": "acc_x"},
    )
    assert refused.status_code == unknown.status_code == 404
    assert refused.text == unknown.text and theirs["reference"] not in refused.text
    assert (await account_of(agency, theirs["id"]))["payments"] == []


@pytest.mark.parametrize("csrf", [None, "forged"])
async def test_a_pay_form_without_its_csrf_token_is_refused(
    sandbox: tuple[Caller, Caller], debtor: Debtor, csrf: str | None
) -> None:
    creditor, agency = sandbox
    account_id = (await place(creditor))["account"]["id"]
    url = await signed_in(debtor, agency, account_id)
    fields = form_of((await debtor.open(url)).text, account_id)
    refused = await debtor.post(f"{url}/pay", csrf, amount="10", card=SUCCEEDS, **fields)
    assert refused.status_code == 403
    assert (await account_of(agency, account_id))["payments"] == []


async def test_a_live_organization_gets_no_sandbox_pay_form(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    placed = (await place(creditor))["account"]
    account_id = placed["id"]
    url = await signed_in(debtor, agency, account_id)
    overview = await debtor.open(url)
    assert placed["reference"] in overview.text  # the debt is shown, without a pay form
    assert 'name="attempt"' not in overview.text and "Card number" not in overview.text
    fields = {"account": account_id, "attempt": "1.x.y", "amount": "10", "card": SUCCEEDS}
    refused = await debtor.post(f"{url}/pay", csrf_of(overview), **fields)
    assert refused.status_code == 403  # the attempt is not one the hub made
    assert (await account_of(agency, account_id))["payments"] == []


async def test_a_reversal_from_the_provider_puts_the_amount_back_once(
    sandbox: tuple[Caller, Caller], debtor: Debtor, backend: Backend
) -> None:
    creditor, agency = sandbox
    account_id = (await place(creditor))["account"]["id"]
    url = await signed_in(debtor, agency, account_id)
    paid = await pay(debtor, url, account_id, "300")
    payment_id = paid.headers["location"].rsplit("/", 1)[1]
    refund = ProviderEvent(
        "evt_refund_1",
        ProviderEventKind.REVERSED,
        payment_id,
        account_id,
        agency.organization_id,
        "refunded",
    )
    assert await apply_provider_event(backend.services, refund) is True
    assert await apply_provider_event(backend.services, refund) is False
    late_decline = SandboxProvider().confirm(payment_id, account_id, agency.organization_id)
    assert await apply_provider_event(backend.services, late_decline) is False
    account = await account_of(agency, account_id)
    assert account["balance"]["amountMinor"] == 100000
    assert [p["status"] for p in account["payments"]] == ["REVERSED"]
    assert "Payment reversed" in (await debtor.open(paid.headers["location"])).text
