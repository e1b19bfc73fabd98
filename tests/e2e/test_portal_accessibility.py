"""The debtor portal's accessibility in a real headless Chromium: axe-core (npm, installed
by ``scripts/install-axe-core``) run inside every page at 375 × 812 and at desktop width
finds no WCAG 2.2 AA violation; every interactive target is at least 24 × 24 px; a debtor
pays part of a debt with the keyboard alone (Tab, typing and Enter); and the pages pass in
Swedish too, chosen with the language switcher. Screenshots go beside the other portal
screenshots (``build/screenshots/portal/``)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from tests.e2e.browser import axe_source
from tests.e2e.conftest import HubServer
from tests.e2e.receiver import Receiver
from tests.e2e.test_portal_browser import (
    ACKNOWLEDGE,
    ENDPOINT,
    HELP,
    LINK,
    PLACE,
    RECORD_CSP_VIOLATIONS,
    VIEWPORTS,
    Organization,
    codes_received,
    fits,
    portal,
    shoot,
)

pytestmark = pytest.mark.slow
__all__ = ["portal"]  # the fixture, shared with the portal's browser test

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, { runOnly: { type: "tag", values: tags } });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""
# Every visible control, and for a radio or checkbox the label around it (its target).
SMALL_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll("a[href], button, input, select, textarea, summary")) {
    if (el.type === "hidden") continue;
    const target = (el.type === "radio" || el.type === "checkbox") && el.closest("label")
      ? el.closest("label") : el;
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.width < 24 || box.height < 24) {
      small.push(`${target.tagName.toLowerCase()} "${(target.textContent || target.name || "").trim().slice(0, 40)}" ${box.width.toFixed(1)}x${box.height.toFixed(1)}`);
    }
  }
  return small;
}"""


async def accessible(page: Page, axe: str) -> None:
    """axe-core finds no WCAG 2.2 AA violation and no target is under 24 × 24 px."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(axe)  # as a DevTools evaluation, not a script the CSP refuses
    violations: list[dict[str, Any]] = await page.evaluate(RUN_AXE, WCAG_22_AA)
    assert violations == [], json.dumps(violations, indent=1)
    assert await page.evaluate(SMALL_TARGETS) == []


async def focus(page: Page, name: str, *, limit: int = 60) -> None:
    """Press Tab until the focused control is ``name`` (its label, text or value)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            """() => {
              const el = document.activeElement;
              const label = el.labels && el.labels.length ? el.labels[0].textContent : "";
              return [label, el.textContent, el.value || ""].map((t) => (t || "").trim());
            }"""
        )
        if name in focused:
            return
    raise AssertionError(f"Tab never reached {name!r}")


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
async def test_every_page_passes_axe_and_a_payment_takes_the_keyboard_alone(
    portal: tuple[HubServer, Receiver, Browser], viewport: str
) -> None:
    hub, receiver, browser = portal
    axe = axe_source()
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
    context = await browser.new_context(viewport=VIEWPORTS[viewport])
    page = await context.new_page()
    await page.add_init_script(RECORD_CSP_VIOLATIONS)

    await page.goto(url)
    await accessible(page, axe)
    await focus(page, "Send me a code")
    await page.keyboard.press("Enter")
    await page.get_by_label("Your code (6 digits)").wait_for()
    await receiver.wait_for(lambda: bool(codes_received(receiver)))
    [code] = codes_received(receiver)
    await accessible(page, axe)
    # The code field has the focus (autofocus): type the code, Enter sends it.
    await page.keyboard.type(code)
    await page.keyboard.press("Enter")
    await page.get_by_role("heading", name="Your debts").wait_for()
    await accessible(page, axe)

    # Pay 300 of the first debt: Tab to its amount, type, Tab to the card, type, Enter.
    debt = page.locator("section", has=page.get_by_role("heading", name=references[0]))
    amount_id = await debt.get_by_label("Amount to pay (SEK)").get_attribute("id")
    for _ in range(80):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == amount_id:
            break
    else:
        raise AssertionError("Tab never reached the amount to pay")
    await page.keyboard.press("Control+A")
    await page.keyboard.type("300")
    await page.keyboard.press("Tab")
    await page.keyboard.type("4242 4242 4242 4242")
    await page.keyboard.press("Enter")
    await page.get_by_role("heading", name="Thank you: payment received").wait_for()
    assert "300.00 SEK" in await page.inner_text("main")
    await accessible(page, axe)
    await shoot(page, viewport, "a11y-1-paid-by-keyboard")

    for path, heading in [
        ("/preferences", "How we contact you"),
        ("/help", "Dispute a debt or ask for a pause"),
        (f"/plan/{placed['account']['id']}", "Set up a payment plan"),
    ]:
        await page.goto(url + path)
        await page.get_by_role("heading", name=heading, exact=True).wait_for()
        await accessible(page, axe)
        assert await fits(page, VIEWPORTS[viewport]["width"])

    # In Swedish, chosen with the switcher (a form that posts): the same checks.
    await page.goto(url)
    await page.get_by_role("button", name="Svenska").click()
    await page.get_by_role("heading", name="Dina skulder").wait_for()
    assert await page.get_attribute("html", "lang") == "sv"
    assert "950,00\xa0kr" in await page.inner_text("main")  # 1 250 less the 300 paid
    await accessible(page, axe)
    await shoot(page, viewport, "a11y-2-overview-sv")
    assert await fits(page, VIEWPORTS[viewport]["width"])
    await page.goto(url + "/help")
    await page.get_by_role("heading", name="Bestrid en skuld eller be om en paus").wait_for()
    await accessible(page, axe)
    await shoot(page, viewport, "a11y-3-help-sv")
    assert await page.evaluate("window.cspViolations") == []
    await context.close()
