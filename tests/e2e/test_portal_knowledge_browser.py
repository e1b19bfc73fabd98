"""The portal's knowledge check in a real headless Chromium: the date of birth and postcode
forms pass axe-core (WCAG 2.2 AA) on a phone and a desktop, with no target under 24 × 24 px;
a wrong date is refused with an alert, the right one typed with the keyboard alone opens the
overview. Screenshots go to ``build/screenshots/portal/``."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import Browser

from tests.e2e.browser import axe_source
from tests.e2e.conftest import HubServer
from tests.e2e.receiver import Receiver
from tests.e2e.test_portal_accessibility import accessible
from tests.e2e.test_portal_browser import (
    RECORD_CSP_VIOLATIONS,
    VIEWPORTS,
    Organization,
    fits,
    portal,
    shoot,
)

pytestmark = pytest.mark.slow
__all__ = ["portal"]  # the fixture, shared with the portal's browser test

PLACE = """mutation($ref: String!, $cus: String!) { placeAccount(input: {reference: $ref,
  product: BNPL_INVOICE, customer: {reference: $cus, name: "Astrid Lindqvist", country: "SE",
  dateOfBirth: "1980-03-27", postcode: "113 51"},
  originalAmount: {amountMinor: 125000, currency: "SEK"},
  balance: {amountMinor: 125000, currency: "SEK"},
  dueDate: "2026-09-30"}) { account { id reference } userErrors { code message } } }"""
LINK = """mutation($id: ID!, $f: SecondFactor!) { createPortalLink(input: {accountId: $id,
  secondFactor: $f, locale: "en"}) { url userErrors { code } } }"""


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
async def test_the_knowledge_check_passes_axe_and_the_right_date_opens_the_portal(
    portal: tuple[HubServer, Receiver, Browser], viewport: str
) -> None:
    hub, _, browser = portal
    axe = axe_source()
    credentials = hub.demo_credentials()
    creditor = Organization(hub, credentials["creditor"])
    agency = Organization(hub, credentials["agency"])
    placed = creditor.data(
        PLACE, {"ref": f"INV-{uuid.uuid4().hex[:8]}", "cus": f"C-{uuid.uuid4().hex[:8]}"}
    )["account"]
    # The demo routes the creditor's accounts to its agency: the agency issues the links.
    dob_url = hub.url + agency.data(LINK, {"id": placed["id"], "f": "DATE_OF_BIRTH"})["url"]
    postcode_url = hub.url + agency.data(LINK, {"id": placed["id"], "f": "POSTCODE"})["url"]
    context = await browser.new_context(viewport=VIEWPORTS[viewport])
    page = await context.new_page()
    await page.add_init_script(RECORD_CSP_VIOLATIONS)

    await page.goto(postcode_url)
    await page.get_by_label("Your postcode").wait_for()
    await accessible(page, axe)
    await shoot(page, viewport, "knowledge-1-postcode")

    await page.goto(dob_url)
    await page.get_by_role("group", name="Your date of birth").wait_for()
    await accessible(page, axe)
    assert await fits(page, VIEWPORTS[viewport]["width"])
    await shoot(page, viewport, "knowledge-2-date-of-birth")
    # A wrong date: the form again, with an alert.
    await page.get_by_label("Day").fill("28")
    await page.get_by_label("Month").fill("3")
    await page.get_by_label("Year").fill("1980")
    await page.keyboard.press("Enter")
    await page.get_by_role("alert").wait_for()
    await accessible(page, axe)
    await shoot(page, viewport, "knowledge-3-wrong")
    # The right one with the keyboard alone: the day has the focus (autofocus).
    await page.keyboard.type("27")
    await page.keyboard.press("Tab")
    await page.keyboard.type("03")
    await page.keyboard.press("Tab")
    await page.keyboard.type("1980")
    await page.keyboard.press("Enter")
    await page.get_by_role("heading", name="Your debts").wait_for()
    assert placed["reference"] in await page.inner_text("main")
    await accessible(page, axe)
    assert await page.evaluate("window.cspViolations") == []
    await context.close()
