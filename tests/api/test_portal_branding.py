"""A creditor brands the portal (``setPortalBranding``): its name and colours on the pages
of its debts, in a style block the content security policy allows by its hash, the
agency's name beside it; bad or unreadable colours are refused with stable codes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from hub.web.security import CONTENT_SECURITY_POLICY, style_hash
from tests.api.test_portal_pages import Debtor, latest_code, link_for
from tests.conftest import Backend, Caller, place

SET = """mutation($i: SetPortalBrandingInput!) { setPortalBranding(input: $i) {
  branding { displayName primaryColor accentColor } userErrors { code field } } }"""
GET = "{ portalBranding { displayName primaryColor accentColor } }"


@pytest.fixture
async def debtor(app: Starlette) -> AsyncIterator[Debtor]:
    visitor = Debtor(app)
    yield visitor
    await visitor.http.aclose()


async def test_the_creditor_s_name_and_colours_are_on_its_pages(
    routed: tuple[Caller, Caller], debtor: Debtor, backend: Backend
) -> None:
    creditor, agency = routed
    found = await backend.services.organizations.get_many([agency.organization_id])
    agency_name = found[agency.organization_id].name
    set_ = await creditor.data(
        SET,
        {"i": {"displayName": "Nordic Power", "primaryColor": "#1A4D2E", "accentColor": "#06c"}},
    )
    assert set_["setPortalBranding"] == {
        "branding": {
            "displayName": "Nordic Power",
            "primaryColor": "#1a4d2e",
            "accentColor": "#0066cc",
        },
        "userErrors": [],
    }
    assert (await creditor.data(GET))["portalBranding"]["displayName"] == "Nordic Power"
    account = (await place(creditor))["account"]
    link = await link_for(agency, account["id"])
    start = await debtor.ask_code(link["url"])
    before = await debtor.open(link["url"])
    # Before the second factor nothing tells whose link it is.
    assert "Nordic Power" not in before.text and "<style>" not in before.text
    assert before.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert start.status_code == 303
    await debtor.enter(link["url"], await latest_code(agency, link["id"]))
    for path in ("", "/help", "/preferences"):
        page = await debtor.open(link["url"] + path)
        style = re.search(r"<style>(.*?)</style>", page.text)
        assert style and style.group(1) == ":root { --primary: #1a4d2e; --accent: #0066cc; }"
        policy = page.headers["content-security-policy"]
        assert f"style-src 'self' {style_hash(style.group(1))};" in policy
        assert "unsafe-inline" not in policy and " style=" not in page.text
        header = re.search(r'<header class="site">(.*?)</header>', page.text, re.S)
        assert header and "Nordic Power" in header.group(1)
        assert f"Collected by {agency_name}" in header.group(1)


async def test_bad_or_unreadable_colours_are_refused(routed: tuple[Caller, Caller]) -> None:
    creditor, _ = routed
    for given, code, field in [
        ({"primaryColor": "#ffdd00"}, "COLOR_CONTRAST_TOO_LOW", "primaryColor"),
        ({"accentColor": "#ccc"}, "COLOR_CONTRAST_TOO_LOW", "accentColor"),
        ({"accentColor": "red"}, "INVALID_COLOR", "accentColor"),
        ({"primaryColor": "#1a4d2e</style>"}, "INVALID_COLOR", "primaryColor"),
    ]:
        refused = (await creditor.data(SET, {"i": given}))["setPortalBranding"]
        assert refused["branding"] is None
        assert [(e["code"], e["field"][-1]) for e in refused["userErrors"]] == [(code, field)]
    assert (await creditor.data(GET))["portalBranding"]["primaryColor"] is None
