"""A debtor sets up a payment plan in the portal, within the agency's offer: the schedule
previewed is the plan agreed, every refusal is a form error (never a 500), another
customer's debt is not found, and the forms need their CSRF token."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.api.test_portal_pages import Debtor, csrf_of, latest_code, link_for
from tests.collection_ops import acknowledge, weekly_plan
from tests.conftest import Caller, place

SET_OFFERS = """mutation($input: SetPortalPlanOffersInput!) { setPortalPlanOffers(input: $input) {
  offers { creditorId cadences minimumInstallment { amountMinor currency } maxInstallments maxDays }
  userErrors { field code } } }"""
OFFERS = """{ portalPlanOffers { creditorId cadences minimumInstallment { amountMinor currency }
  maxInstallments maxDays } }"""
PLAN = """query($id: ID!) { account(id: $id) { status paymentPlan { status cadence startDate
  installments { dueDate amount { amountMinor } } } } }"""
EVENTS = """query($id: ID!) { account(id: $id) { events(first: 50) { nodes { type } } } }"""


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def offer(agency: Caller, **terms: Any) -> dict[str, Any]:
    payload = (await agency.data(SET_OFFERS, {"input": terms}))["setPortalPlanOffers"]
    assert payload["userErrors"] == [], payload["userErrors"]
    offers: dict[str, Any] = payload["offers"]
    return offers


async def signed_in(
    app: Starlette, creditor: Caller, agency: Caller, **placed: Any
) -> tuple[Debtor, str, dict[str, Any]]:
    """A debtor past the code on the link of a new acknowledged account: (debtor, url, account)."""
    account = (await place(creditor, **placed))["account"]
    await acknowledge(agency.data, account["id"])
    link = await link_for(agency, account["id"])
    debtor = Debtor(app)
    await debtor.ask_code(link["url"])
    entered = await debtor.enter(link["url"], await latest_code(agency, link["id"]))
    assert entered.status_code == 303
    return debtor, link["url"], account


def schedule_rows(page: str) -> list[tuple[str, str]]:
    return re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td class=\"num\">([^<]+)</td></tr>", page)


def sek(minor: int) -> str:
    return f"{minor / 100:,.2f} SEK".replace(",", "\u202f")


async def post_plan(
    debtor: Debtor, url: str, account_id: str, *, confirm: bool = False, **fields: str
) -> httpx.Response:
    page = await debtor.open(url)
    target = f"{url}/plan/{account_id}" + ("/confirm" if confirm else "")
    return await debtor.post(target, csrf_of(page), **fields)


async def test_a_debtor_sets_up_a_weekly_plan_and_the_schedule_shown_is_the_plan_agreed(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    debtor, url, account = await signed_in(app, creditor, agency)
    overview = await debtor.open(url)
    assert "Set up a payment plan" in overview.text
    assert 'type="radio" name="cadence" value="WEEKLY"' in overview.text
    assert "At least 100.00 SEK." in overview.text  # Sweden's default offer
    first = today() + dt.timedelta(days=3)
    choice = {"cadence": "WEEKLY", "first_date": first.isoformat(), "installment": "300"}

    preview = await post_plan(debtor, url, account["id"], **choice)
    assert preview.status_code == 200, preview.text
    shown = schedule_rows(preview.text)
    assert shown == [
        (first.isoformat(), sek(30000)),
        ((first + dt.timedelta(days=7)).isoformat(), sek(30000)),
        ((first + dt.timedelta(days=14)).isoformat(), sek(30000)),
        ((first + dt.timedelta(days=21)).isoformat(), sek(10000)),
    ]
    assert (await agency.data(PLAN, {"id": account["id"]}))["account"]["paymentPlan"] is None
    change = re.search(r'<a href="([^"]+)">Change it</a>', preview.text)
    assert change is not None
    again = await debtor.open(change.group(1).replace("&amp;", "&"))
    assert again.status_code == 200
    assert 'value="WEEKLY" checked' in again.text and 'value="300"' in again.text

    confirmed = await post_plan(debtor, url, account["id"], confirm=True, **choice)
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"{url}/plan/{account['id']}/done"
    done = await debtor.open(confirmed.headers["location"])
    assert done.status_code == 200 and "Your payment plan is set up" in done.text
    assert schedule_rows(done.text) == shown

    agreed = (await agency.data(PLAN, {"id": account["id"]}))["account"]
    assert agreed["status"] == "PAYMENT_PLAN"
    plan = agreed["paymentPlan"]
    assert plan["cadence"] == "WEEKLY" and plan["status"] == "ACTIVE"
    assert [(i["dueDate"], sek(i["amount"]["amountMinor"])) for i in plan["installments"]] == shown
    types = [
        n["type"]
        for n in (await agency.data(EVENTS, {"id": account["id"]}))["account"]["events"]["nodes"]
    ]
    assert "payment_plan.created" in types
    assert "Set up a payment plan" not in (await debtor.open(url)).text


async def test_the_agency_sets_and_reads_its_offers_and_the_portal_keeps_to_them(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    agency_wide = await offer(
        agency,
        cadences=["MONTHLY", "WEEKLY"],
        minimumInstallment={"amountMinor": 200_00, "currency": "SEK"},
        maxInstallments=4,
        maxDays=60,
    )
    assert agency_wide == {
        "creditorId": None,
        "cadences": ["WEEKLY", "MONTHLY"],
        "minimumInstallment": {"amountMinor": 20000, "currency": "SEK"},
        "maxInstallments": 4,
        "maxDays": 60,
    }
    for_creditor = await offer(agency, creditorId=creditor.organization_id, cadences=["DAILY"])
    assert for_creditor["creditorId"] == creditor.organization_id
    assert (await agency.data(OFFERS))["portalPlanOffers"] == [agency_wide, for_creditor]
    # The creditor's own offer binds its accounts: only daily plans.
    debtor, url, account = await signed_in(app, creditor, agency)
    page = await debtor.open(url)
    assert 'value="DAILY"' in page.text and 'value="WEEKLY"' not in page.text
    refused = await post_plan(
        debtor,
        url,
        account["id"],
        cadence="WEEKLY",
        first_date=today().isoformat(),
        installment="500",
    )
    assert refused.status_code == 422 and "Choose how often you want to pay" in refused.text


async def test_refusals_are_form_errors(routed: tuple[Caller, Caller], app: Starlette) -> None:
    creditor, agency = routed
    await offer(
        agency,
        cadences=["WEEKLY", "MONTHLY"],
        minimumInstallment={"amountMinor": 150_00, "currency": "SEK"},
        maxInstallments=5,
        maxDays=100,
    )
    debtor, url, account = await signed_in(app, creditor, agency)
    start = today().isoformat()
    cases = {
        "Each payment must be at least 150.00 SEK.": ("WEEKLY", start, "100"),
        "the plan would last too long": ("WEEKLY", start, "150"),  # 7 installments > 5
        "Choose how often you want to pay": ("DAILY", start, "500"),
        "Choose a first payment date between": (
            "WEEKLY",
            (today() + dt.timedelta(days=45)).isoformat(),
            "500",
        ),
        "Enter the amount of each payment as a number": ("WEEKLY", start, "lots"),
    }
    for message, (cadence, first, amount) in cases.items():
        answer = await post_plan(
            debtor, url, account["id"], cadence=cadence, first_date=first, installment=amount
        )
        assert answer.status_code == 422, (message, answer.text)
        assert message in answer.text, message
        assert f'value="{amount}"' in answer.text  # what was typed stays
    # Monthly 200 SEK: five installments are allowed, but four months exceed 100 days.
    too_long = await post_plan(
        debtor, url, account["id"], cadence="MONTHLY", first_date=start, installment="200"
    )
    assert too_long.status_code == 422 and "the plan would last too long" in too_long.text
    assert (await agency.data(PLAN, {"id": account["id"]}))["account"]["paymentPlan"] is None


async def test_a_plan_already_running_and_an_account_not_open_are_refused(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    debtor, url, account = await signed_in(app, creditor, agency)
    fields = {"cadence": "WEEKLY", "first_date": today().isoformat(), "installment": "500"}
    await weekly_plan(agency.data, account["id"], 500_00)
    running = await post_plan(debtor, url, account["id"], confirm=True, **fields)
    assert running.status_code == 422 and "already has a payment plan" in running.text

    other, other_url, disputed = await signed_in(app, creditor, agency)
    opened = await agency.data(
        """mutation($id: ID!) { openDispute(input: {accountId: $id, reason: NOT_MY_DEBT}) {
        userErrors { code } } }""",
        {"id": disputed["id"]},
    )
    assert opened["openDispute"]["userErrors"] == []
    answer = await post_plan(other, other_url, disputed["id"], confirm=True, **fields)
    assert answer.status_code == 422
    assert "cannot be set up for this debt right now" in answer.text


async def test_another_customers_debt_is_not_found_and_nothing_about_it_is_shown(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    debtor, url, _ = await signed_in(app, creditor, agency)
    stranger = (await place(creditor))["account"]
    await acknowledge(agency.data, stranger["id"])
    fields = {"cadence": "WEEKLY", "first_date": today().isoformat(), "installment": "500"}
    for confirm in (False, True):
        answer = await post_plan(debtor, url, stranger["id"], confirm=confirm, **fields)
        assert answer.status_code == 404
        assert stranger["reference"] not in answer.text and "SEK" not in answer.text
    nowhere = await post_plan(debtor, url, "acc_doesnotexist", **fields)
    assert nowhere.status_code == 404 and nowhere.text == answer.text
    assert (await debtor.open(f"{url}/plan/{stranger['id']}")).status_code == 404
    assert (await agency.data(PLAN, {"id": stranger["id"]}))["account"]["paymentPlan"] is None


async def test_plan_forms_need_their_csrf_token_and_a_session(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    debtor, url, account = await signed_in(app, creditor, agency)
    fields = {"cadence": "WEEKLY", "first_date": today().isoformat(), "installment": "500"}
    for suffix in ("", "/confirm"):
        target = f"{url}/plan/{account['id']}{suffix}"
        assert (await debtor.post(target, None, **fields)).status_code == 403
        assert (await debtor.post(target, "forged", **fields)).status_code == 403
    assert (await agency.data(PLAN, {"id": account["id"]}))["account"]["paymentPlan"] is None
    # Without the session (a new browser with the form's token is still refused: no cookie).
    stranger = Debtor(app)
    page = await stranger.open(url)
    answer = await stranger.post(f"{url}/plan/{account['id']}", csrf_of(page), **fields)
    assert answer.status_code == 303 and answer.headers["location"] == url
    assert (await stranger.open(f"{url}/plan/{account['id']}")).status_code == 303


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"cadences": []}, "cadences"),
        ({"cadences": ["WEEKLY"], "maxInstallments": 0}, "maxInstallments"),
        ({"cadences": ["WEEKLY"], "maxDays": -1}, "maxDays"),
        (
            {"cadences": ["WEEKLY"], "minimumInstallment": {"amountMinor": 0, "currency": "SEK"}},
            "minimumInstallment",
        ),
        ({"cadences": ["WEEKLY"], "creditorId": "org_nosuch"}, "creditorId"),
    ],
)
async def test_offers_that_make_no_sense_are_refused(
    routed: tuple[Caller, Caller], terms: dict[str, Any], field: str
) -> None:
    _, agency = routed
    payload = (await agency.data(SET_OFFERS, {"input": terms}))["setPortalPlanOffers"]
    assert payload["offers"] is None
    assert payload["userErrors"][0]["field"] == [field]


async def test_a_creditor_cannot_set_offers(routed: tuple[Caller, Caller]) -> None:
    creditor, _ = routed
    body = await creditor.graphql(SET_OFFERS, {"input": {"cadences": ["WEEKLY"]}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    read = await creditor.graphql(OFFERS)
    assert read["errors"][0]["extensions"]["code"] == "FORBIDDEN"
