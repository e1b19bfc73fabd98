"""The debtor portal in a real headless Chromium against a real ``evenly-hub serve --demo``.

At a 375 × 812 phone viewport and at desktop width, a debtor opens a link, asks for a code,
types the code the agency received on its webhook endpoint (a real local receiver), and
sees every open debt of theirs with that creditor, then pays part of one by sandbox card
(after the form refused more than the balance), then changes the channels and hours they
may be contacted on and opens a dispute; each step is checked in the agency's feed (and the
hours in ``contactPermission``'s answer). The pages may ask for nothing outside
the hub, must report no Content-Security-Policy violation, and must fit the phone's width.
Screenshots of each page go to ``build/screenshots/portal/`` for a reviewer to look at.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, async_playwright

from tests.e2e.browser import chromium_args, chromium_path
from tests.e2e.conftest import HubServer
from tests.e2e.receiver import Receiver, json_of

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "portal"
VIEWPORTS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
PLACE = """mutation($ref: String!, $cus: String!, $amount: Int!) { placeAccount(input: {reference: $ref,
  product: BNPL_INVOICE, customer: {reference: $cus, name: "Astrid Lindqvist", country: "SE"},
  originalAmount: {amountMinor: $amount, currency: "SEK"}, balance: {amountMinor: $amount, currency: "SEK"},
  dueDate: "2026-09-30"}) { account { id reference } userErrors { code message } } }"""
LINK = """mutation($id: ID!) { createPortalLink(input: {accountId: $id}) { url userErrors { code } } }"""
ENDPOINT = """mutation($url: String!) { createWebhookEndpoint(input: {url: $url,
  eventTypes: ["portal.code_requested", "payment_plan.created", "customer.consent_changed",
  "dispute.opened"]}) { webhookEndpoint { id }
  userErrors { code message } } }"""
ACKNOWLEDGE = """mutation($id: ID!) { acknowledgePlacement(input: {accountId: $id,
  agencyReference: "AG-1"}) { account { id } userErrors { code } } }"""
PLAN = """query($id: ID!) { account(id: $id) { status paymentPlan { cadence
  installments { dueDate amount { amountMinor } } } } }"""
FEED = """query($types: [String!]) { events(types: $types, first: 100) { nodes { type data } } }"""
HELP = """mutation { setHelpContact(input: {email: "help@agency.example", phone: "+46 8 123 456 78",
  hours: "Mon-Fri 9:00-17:00"}) { helpContact { phone } userErrors { code message } } }"""
CUSTOMER = """query($id: ID!) { account(id: $id) { status customer { optedOutChannels
  contactHours { start end } } } }"""


class Organization:
    """A demo organization talking GraphQL to the hub."""

    def __init__(self, hub: HubServer, credentials: dict[str, str]) -> None:
        token = httpx.post(
            f"{hub.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(credentials["client_id"], credentials["client_secret"]),
        ).json()["access_token"]
        self.hub = hub
        self.headers = {"Authorization": f"Bearer {token}"}

    def read(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.hub.url}/graphql",
            json={"query": query, "variables": variables},
            headers=self.headers,
        ).json()
        assert "errors" not in answer, answer
        data: dict[str, Any] = answer["data"]
        return data

    def data(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.hub.url}/graphql",
            json={"query": query, "variables": variables},
            headers=self.headers,
        ).json()
        assert "errors" not in answer, answer
        payload: dict[str, Any] = next(iter(answer["data"].values()))
        assert payload["userErrors"] == [], payload
        return payload


@pytest.fixture
async def portal(
    sqlite_hub_server: HubServer,
) -> AsyncIterator[tuple[HubServer, Receiver, Browser]]:
    sqlite_hub_server.start("--demo")
    receiver = Receiver()
    await receiver.start()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=chromium_args()
        )
        try:
            yield sqlite_hub_server, receiver, browser
        finally:
            await browser.close()
            await receiver.stop()


def codes_received(receiver: Receiver) -> list[str]:
    return [
        json_of(r)["data"]["code"]
        for r in receiver.received
        if json_of(r)["type"] == "portal.code_requested"
    ]


async def shoot(page: Page, viewport: str, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / f"{viewport}-{name}.png", full_page=True)


async def fits(page: Page, width: int) -> bool:
    scroll_width = await page.evaluate("document.documentElement.scrollWidth")
    return bool(scroll_width <= width)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
async def test_a_debtor_opens_a_link_passes_the_code_and_sees_all_their_debts(
    portal: tuple[HubServer, Receiver, Browser], viewport: str
) -> None:
    hub, receiver, browser = portal
    credentials = hub.demo_credentials()
    creditor = Organization(hub, credentials["creditor"])
    agency = Organization(hub, credentials["agency"])
    agency.data(ENDPOINT, {"url": receiver.url})
    agency.data(HELP, {})
    customer = f"C-{uuid.uuid4().hex[:8]}"
    references = []
    for amount in (125000, 40000):
        placed = creditor.data(
            PLACE, {"ref": f"INV-{uuid.uuid4().hex[:8]}", "cus": customer, "amount": amount}
        )
        references.append(placed["account"]["reference"])
        agency.data(ACKNOWLEDGE, {"id": placed["account"]["id"]})
    url = hub.url + agency.data(LINK, {"id": placed["account"]["id"]})["url"]

    size = VIEWPORTS[viewport]
    context = await browser.new_context(viewport=size)
    page = await context.new_page()
    foreign: list[str] = []

    async def refuse_other_origins(route: Route) -> None:
        parts = urlsplit(route.request.url)
        if f"{parts.scheme}://{parts.netloc}" == hub.url:
            await route.continue_()
        else:
            foreign.append(route.request.url)
            await route.abort()

    await page.route("**/*", refuse_other_origins)
    await page.add_init_script(RECORD_CSP_VIOLATIONS)

    first = await page.goto(f"{url}?c=sms")  # the link as the agency sent it by SMS
    assert first is not None and first.status == 200
    assert "Astrid" not in await page.content()
    await shoot(page, viewport, "1-start")
    assert await fits(page, size["width"])

    await page.get_by_role("button", name="Send me a code").click()
    await page.get_by_label("Your code (6 digits)").wait_for()
    await receiver.wait_for(lambda: bool(receiver.received))
    [code] = codes_received(receiver)
    await shoot(page, viewport, "2-code")

    field = page.get_by_label("Your code (6 digits)")
    assert await field.get_attribute("autocomplete") == "one-time-code"
    await field.click()
    await page.keyboard.insert_text("999 999" if code != "999999" else "111 111")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("alert").wait_for()
    await shoot(page, viewport, "3-wrong-code")

    await field.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(f"{code[:3]} {code[3:]}")  # as pasted from a message
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", name="Your debts").wait_for()
    for reference in references:
        await page.get_by_role("heading", name=reference).wait_for()
    text = await page.inner_text("main")
    assert "1\u202f250.00 SEK" in text and "400.00 SEK" in text
    assert text.count("Next step:") == 2
    await shoot(page, viewport, "4-overview")
    assert await fits(page, size["width"])

    # A weekly plan for the 400 SEK debt: cadence and first date, the schedule, confirmed.
    card = page.locator("section.card").filter(has=page.get_by_role("heading", name=references[1]))
    await card.get_by_text("Set up a payment plan").click()
    await card.get_by_label("Every week").check()
    first = await card.get_by_label("Date of your first payment").get_attribute("min")
    assert first is not None
    await card.get_by_label("Date of your first payment").fill(first)
    await card.get_by_label("Amount of each payment (SEK)").fill("100")
    await shoot(page, viewport, "5-plan-form")
    await card.get_by_role("button", name="See the schedule").click()
    await page.get_by_role("heading", name="Check your payment plan").wait_for()
    shown = [
        [cell.strip() for cell in row.split("\t")]
        for row in (await page.locator("table.schedule tbody").inner_text()).splitlines()
    ]
    assert len(shown) == 4 and all(amount == "100.00 SEK" for _, amount in shown)
    assert shown[0][0] == first
    await shoot(page, viewport, "6-plan-preview")
    assert await fits(page, size["width"])
    await page.get_by_role("button", name="Confirm this plan").click()
    await page.get_by_role("heading", name="Your payment plan is set up").wait_for()
    await shoot(page, viewport, "7-plan-confirmed")
    assert await fits(page, size["width"])
    agreed = agency.read(PLAN, {"id": placed["account"]["id"]})["account"]
    assert agreed["status"] == "PAYMENT_PLAN" and agreed["paymentPlan"]["cadence"] == "WEEKLY"
    assert [[i["dueDate"], "100.00 SEK"] for i in agreed["paymentPlan"]["installments"]] == shown
    await receiver.wait_for(
        lambda: any(json_of(r)["type"] == "payment_plan.created" for r in receiver.received)
    )
    await page.goto(url)
    await page.get_by_role("heading", name="Your debts").wait_for()
    # Pay part of the first debt by sandbox card: too much first (the form says so), then 500.
    debt = page.locator("section", has=page.get_by_role("heading", name=references[0]))
    amount = debt.get_by_label("Amount to pay (SEK)")
    assert await amount.input_value() == "1250.00"
    await amount.fill("2000")
    await debt.get_by_label("Card number").fill("4242 4242 4242 4242")
    await debt.get_by_role("button", name="Pay").click()
    await page.get_by_role("alert").wait_for()
    assert "That is more than you owe." in await page.inner_text("main")
    await shoot(page, viewport, "8-pay-error")
    assert await fits(page, size["width"])
    await page.get_by_label("Amount to pay (SEK)").fill("500")
    await page.get_by_label("Card number").fill("4242 4242 4242 4242")
    await page.get_by_role("button", name="Pay").click()
    await page.get_by_role("heading", name="Thank you: payment received").wait_for()
    assert "500.00 SEK" in await page.inner_text("main")
    await shoot(page, viewport, "9-paid")
    assert await fits(page, size["width"])
    await page.get_by_role("link", name="Back to your debts").click()
    await page.get_by_role("heading", name="Your debts").wait_for()
    assert "750.00 SEK" in await page.inner_text("main")
    await choose_channels_and_dispute(page, viewport, agency, receiver, references[0], placed)

    assert foreign == []
    assert await page.evaluate("window.cspViolations") == []
    log = hub.log()
    assert url.removeprefix(hub.url + "/p/") not in log and code not in log
    assert json.dumps("Astrid") not in log
    await context.close()


async def choose_channels_and_dispute(
    page: Page,
    viewport: str,
    agency: Organization,
    receiver: Receiver,
    reference: str,
    placed: dict[str, Any],
) -> None:
    """From the overview: no more calls, contact only 10:00-18:00; then a dispute."""
    width = VIEWPORTS[viewport]["width"]
    visits = agency.read(FEED, {"types": ["portal.visited"]})["events"]["nodes"]
    assert [v["data"]["channel"] for v in visits][-1:] == ["SMS"]
    help_ = page.locator("footer.help")
    assert "+46 8 123 456 78" in await help_.inner_text()  # the agency's, on every page
    await page.get_by_role("link", name="Choose how and when we contact you").click()
    await page.get_by_role("heading", name="How we contact you").wait_for()
    await page.get_by_label("Phone call").uncheck()
    await page.get_by_label("From").fill("10:00")
    await page.get_by_label("Until").fill("18:00")
    await shoot(page, viewport, "10-preferences")
    assert await fits(page, width)
    await page.get_by_role("button", name="Save my choices").click()
    await page.get_by_role("status").wait_for()
    assert "Saved." in await page.inner_text("main")
    await shoot(page, viewport, "11-preferences-saved")
    customer = agency.read(CUSTOMER, {"id": placed["account"]["id"]})["account"]["customer"]
    assert customer == {
        "optedOutChannels": ["CALL"],
        "contactHours": {"start": "10:00", "end": "18:00"},
    }
    changes = agency.read(FEED, {"types": ["customer.consent_changed"]})["events"]["nodes"]
    assert changes[-1]["data"]["contactHours"] == {"start": "10:00", "end": "18:00"}
    await receiver.wait_for(
        lambda: any(
            json_of(r)["type"] == "customer.consent_changed"
            and json_of(r)["data"]["contactHours"] is not None
            for r in receiver.received
        )
    )

    await page.get_by_role("link", name="Back to your debts").click()
    await page.get_by_role("link", name="Dispute a debt or ask for a pause").first.click()
    await page.get_by_role("heading", name="Dispute a debt or ask for a pause").wait_for()
    form = page.locator("section", has=page.get_by_role("heading", name="Dispute a debt"))
    await form.get_by_label(reference).check()
    await form.get_by_label("Why").select_option("WRONG_AMOUNT")
    await form.get_by_label("Tell us more (optional)").fill("I was charged twice in March.")
    await shoot(page, viewport, "12-dispute-form")
    assert await fits(page, width)
    await form.get_by_role("button", name="Open a dispute").click()
    await page.get_by_role("heading", name="Your dispute is open").wait_for()
    await shoot(page, viewport, "13-dispute-opened")
    assert await fits(page, width)
    disputes = agency.read(FEED, {"types": ["dispute.opened"]})["events"]["nodes"]
    assert [d["data"]["account"]["reference"] for d in disputes][-1:] == [reference]
    assert disputes[-1]["data"]["dispute"]["reason"] == "WRONG_AMOUNT"
    await receiver.wait_for(
        lambda: any(json_of(r)["type"] == "dispute.opened" for r in receiver.received)
    )
