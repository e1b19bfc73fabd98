"""GraphiQL in a real headless Chromium against a real ``evenly-hub serve --demo``.

The page must work with no network but the hub's: every request that leaves the hub's
origin is recorded and refused, and the Content-Security-Policy violations the page
reports are collected. The token goes into the headers pane as a user would type it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Page, Route, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.e2e.browser import chromium_args, chromium_path
from tests.e2e.conftest import HubServer

pytestmark = pytest.mark.slow

VIEWER = "{ viewer { clientId organization { name kind } } }"
RESPONSE_TEXT = "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"
#: Collects what the page reports as blocked by its Content-Security-Policy.
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


class BrowsedPage:
    """A page with what it asked for beyond the hub, and what its console said."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.foreign_requests: list[str] = []
        self.console: list[str] = []

    async def refuse_other_origins(self, route: Route) -> None:
        url = route.request.url
        if url.startswith("data:") or _origin(url) == self.origin:
            await route.continue_()
        else:
            self.foreign_requests.append(url)
            await route.abort()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
async def browsed(sqlite_hub_server: HubServer) -> AsyncIterator[tuple[HubServer, BrowsedPage]]:
    sqlite_hub_server.start("--demo")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), args=chromium_args()
        )
        try:
            page = await browser.new_page()
            browsed = BrowsedPage(page, sqlite_hub_server.url)
            await page.add_init_script(RECORD_CSP_VIOLATIONS)
            await page.route("**/*", browsed.refuse_other_origins)
            page.on("console", lambda message: browsed.console.append(message.text))
            page.on("pageerror", lambda error: browsed.console.append(f"pageerror: {error}"))
            yield sqlite_hub_server, browsed
        finally:
            await browser.close()


def demo_token(hub: HubServer) -> tuple[str, str]:
    """The demo creditor's client id and a token for it."""
    creditor = hub.demo_credentials()["creditor"]
    response = httpx.post(
        f"{hub.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creditor["client_id"], creditor["client_secret"]),
    )
    assert response.status_code == 200, response.text
    return creditor["client_id"], response.json()["access_token"]


async def replace_editor_text(page: Page, editor: str, text: str) -> None:
    """Type over the content of one of GraphiQL's editors, as a user pasting would."""
    await page.locator(f"{editor} .CodeMirror").last.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(text)


async def test_graphiql_answers_a_query_with_the_token_from_its_headers_pane_offline(
    browsed: tuple[HubServer, BrowsedPage],
) -> None:
    hub, browser = browsed
    client_id, token = demo_token(hub)
    page = browser.page

    await page.goto(f"{hub.url}/graphql")
    try:
        await page.locator(".graphiql-query-editor .CodeMirror").wait_for(timeout=20_000)
    except PlaywrightTimeout:
        pytest.fail(
            "GraphiQL did not render: it asked other origins for"
            f" {browser.foreign_requests}; console: {browser.console}"
        )
    await page.locator(".graphiql-editor-tools button", has_text="Headers").click()
    await replace_editor_text(
        page, ".graphiql-editor-tool", json.dumps({"Authorization": f"Bearer {token}"})
    )
    await replace_editor_text(page, ".graphiql-query-editor", VIEWER)
    await page.locator(".graphiql-execute-button").click()

    response = page.locator(".graphiql-response")
    await response.get_by_text(client_id).wait_for(timeout=20_000)
    answer = json.loads(await page.evaluate(RESPONSE_TEXT))
    assert answer["data"]["viewer"]["clientId"] == client_id
    assert answer["data"]["viewer"]["organization"]["kind"] == "CREDITOR"
    assert browser.foreign_requests == []
    assert await page.evaluate("window.cspViolations") == []
    assert not [line for line in browser.console if "Content Security Policy" in line]
