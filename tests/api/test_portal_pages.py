"""The debtor portal's pages over HTTP: the second factor, the overview, and their security
(CSRF, rate limits, headers, one answer for every dead or guessed token, clean logs)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from hub.app import create_app
from hub.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import Backend, Caller, place

CREATE = """mutation($id: ID!, $s: Int, $l: String) {
  createPortalLink(input: {accountId: $id, expiresIn: $s, locale: $l}) {
  url portalLink { id } userErrors { code } } }"""
REVOKE = """mutation($id: ID!) { revokePortalLink(input: {linkId: $id}) { userErrors { code } } }"""
CODES = """{ events(types: ["portal.code_requested"], first: 100) { nodes { data } } }"""
NAME = "Astrid Lindqvist"


class Debtor:
    """A browser of its own (cookies and all) on the hub's portal."""

    def __init__(self, app: Starlette, address: str | None = None) -> None:
        # Each debtor its own address: the app (and its per-address limits) lives all session.
        address = (
            address
            or f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
        )
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        self.http = httpx.AsyncClient(transport=transport, base_url="http://hub.test")

    async def open(self, url: str) -> httpx.Response:
        return await self.http.get(url)

    async def post(self, url: str, csrf: str | None, **fields: str) -> httpx.Response:
        data = dict(fields)
        if csrf is not None:
            data["csrf"] = csrf
        return await self.http.post(url, data=data)

    async def ask_code(self, url: str) -> httpx.Response:
        page = await self.open(url)
        return await self.post(f"{url}/code", csrf_of(page))

    async def enter(self, url: str, code: str) -> httpx.Response:
        form = await self.open(f"{url}/verify")
        return await self.post(f"{url}/verify", csrf_of(form), code=code)


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def without_csrf(text: str) -> str:
    return re.sub(r'(name="csrf" value=")[^"]+', r"\1", text)


@pytest.fixture
async def debtor(app: Starlette) -> AsyncIterator[Debtor]:
    visitor = Debtor(app)
    yield visitor
    await visitor.http.aclose()


async def link_for(
    agency: Caller, account_id: str, seconds: int | None = None, locale: str | None = "en"
) -> dict[str, Any]:
    """A link for the account; in English unless told (its customers speak Swedish)."""
    variables = {"id": account_id, "s": seconds, "l": locale}
    payload = (await agency.data(CREATE, variables))["createPortalLink"]
    assert payload["userErrors"] == []
    return {"url": payload["url"], "id": payload["portalLink"]["id"]}


async def latest_code(agency: Caller, link_id: str) -> str:
    nodes = (await agency.data(CODES))["events"]["nodes"]
    codes = [n["data"]["code"] for n in nodes if n["data"]["portalLinkId"] == link_id]
    assert codes, "no code was requested"
    return str(codes[-1])


async def test_a_debtor_passes_the_code_and_sees_every_open_debt_of_theirs(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    customer = {"reference": f"CUST-{id(debtor)}-{dt.datetime.now().timestamp()}"}
    first = (await place(creditor, customer=customer))["account"]
    second = (await place(creditor, customer=customer))["account"]
    stranger = (await place(creditor))["account"]
    link = await link_for(agency, first["id"])

    start = await debtor.open(link["url"])
    assert (
        start.status_code == 200 and NAME not in start.text and first["reference"] not in start.text
    )
    asked = await debtor.post(f"{link['url']}/code", csrf_of(start))
    assert asked.status_code == 303 and asked.headers["location"] == f"{link['url']}/verify"
    code = await latest_code(agency, link["id"])
    assert (await creditor.data(CODES))["events"]["nodes"] == []  # the issuer's alone

    entered = await debtor.enter(link["url"], f"{code[:3]} {code[3:]}")  # as pasted
    assert entered.status_code == 303
    overview = await debtor.open(link["url"])
    assert overview.status_code == 200
    assert first["reference"] in overview.text and second["reference"] in overview.text
    assert stranger["reference"] not in overview.text
    assert "1\u202f000.00 SEK" in overview.text
    assert "Next step: pay 1\u202f000.00 SEK, or contact" in overview.text


async def test_a_code_works_once(routed: tuple[Caller, Caller], debtor: Debtor, app: Any) -> None:
    creditor, agency = routed
    link = await link_for(agency, (await place(creditor))["account"]["id"])
    await debtor.ask_code(link["url"])
    code = await latest_code(agency, link["id"])
    assert (await debtor.enter(link["url"], code)).status_code == 303
    other = Debtor(app)
    assert (await other.enter(link["url"], code)).status_code == 200  # the form again
    assert "That code is not right" in (await other.enter(link["url"], code)).text


async def test_before_the_code_a_live_link_looks_like_a_dead_or_guessed_one(
    routed: tuple[Caller, Caller], backend: Backend, debtor: Debtor, app: Starlette
) -> None:
    creditor, agency = routed
    account_id = (await place(creditor))["account"]["id"]
    live = await link_for(agency, account_id)
    revoked = await link_for(agency, account_id)
    await agency.data(REVOKE, {"id": revoked["id"]})
    expiring = await link_for(agency, account_id, 900)
    later = dataclasses.replace(
        backend.services, clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)
    )
    later_debtor = Debtor(create_app(backend.settings, later))
    guessed = "/p/" + "A" * 43

    answers = set()
    for visitor, url in [
        (debtor, live["url"]),
        (debtor, revoked["url"]),
        (later_debtor, expiring["url"]),
        (debtor, guessed),
        (debtor, "/p/short"),
    ]:
        start = await visitor.open(url)
        asked = await visitor.post(f"{url}/code", csrf_of(start))
        wrong = await visitor.enter(url, "000000")
        token = url.removeprefix("/p/")
        answers.add(
            (
                start.status_code,
                without_csrf(start.text).replace(token, "T"),
                asked.status_code,
                wrong.status_code,
                without_csrf(wrong.text).replace(token, "T"),
            )
        )
    assert len(answers) == 1
    # Only the live link made a code, for its issuer.
    nodes = (await agency.data(CODES))["events"]["nodes"]
    assert {n["data"]["portalLinkId"] for n in nodes} >= {live["id"]}
    assert not {revoked["id"], expiring["id"]} & {n["data"]["portalLinkId"] for n in nodes}


async def test_a_session_ends_when_the_link_is_revoked(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    account = (await place(creditor))["account"]
    link = await link_for(agency, account["id"])
    await debtor.ask_code(link["url"])
    await debtor.enter(link["url"], await latest_code(agency, link["id"]))
    assert account["reference"] in (await debtor.open(link["url"])).text
    await agency.data(REVOKE, {"id": link["id"]})
    page = await debtor.open(link["url"])
    assert account["reference"] not in page.text and "Send me a code" in page.text


async def test_a_session_opens_only_its_own_link(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    mine = (await place(creditor))["account"]
    theirs = (await place(creditor))["account"]
    my_link = await link_for(agency, mine["id"])
    their_link = await link_for(agency, theirs["id"])
    await debtor.ask_code(my_link["url"])
    await debtor.enter(my_link["url"], await latest_code(agency, my_link["id"]))
    page = await debtor.open(their_link["url"])
    assert theirs["reference"] not in page.text and "Send me a code" in page.text


@pytest.mark.parametrize("csrf", [None, "", "forged-token"])
async def test_forms_without_their_csrf_token_are_refused(
    routed: tuple[Caller, Caller], debtor: Debtor, csrf: str | None
) -> None:
    creditor, agency = routed
    link = await link_for(agency, (await place(creditor))["account"]["id"])
    await debtor.open(link["url"])
    for path in ("code", "verify", "signout"):
        refused = await debtor.post(f"{link['url']}/{path}", csrf, code="000000")
        assert refused.status_code == 403, path
    nodes = (await agency.data(CODES))["events"]["nodes"]
    assert all(n["data"]["portalLinkId"] != link["id"] for n in nodes)


async def test_a_csrf_token_of_another_browser_is_refused(
    routed: tuple[Caller, Caller], debtor: Debtor, app: Starlette
) -> None:
    creditor, agency = routed
    link = await link_for(agency, (await place(creditor))["account"]["id"])
    theirs = csrf_of(await debtor.open(link["url"]))
    attacker = Debtor(app)
    await attacker.open(link["url"])
    assert (await attacker.post(f"{link['url']}/code", theirs)).status_code == 403


async def test_five_wrong_tries_burn_the_code_and_more_tries_hit_the_limit(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    link = await link_for(agency, (await place(creditor))["account"]["id"])
    await debtor.ask_code(link["url"])
    code = await latest_code(agency, link["id"])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert (await debtor.enter(link["url"], wrong)).status_code == 200
    burnt = await debtor.enter(link["url"], code)
    assert burnt.status_code == 200 and "That code is not right" in burnt.text
    statuses = [(await debtor.enter(link["url"], wrong)).status_code for _ in range(6)]
    assert statuses[-1] == 429
    limited = await debtor.enter(link["url"], code)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


async def test_code_requests_are_limited_per_link(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    link = await link_for(agency, (await place(creditor))["account"]["id"])
    statuses = [(await debtor.ask_code(link["url"])).status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]


async def test_one_address_guessing_many_tokens_hits_the_limit(app: Starlette) -> None:
    guesser = Debtor(app)
    statuses = []
    for n in range(32):
        url = f"/p/{'B' * 40}{n:03d}"
        form = await guesser.open(f"{url}/verify")
        statuses.append(
            (await guesser.post(f"{url}/verify", csrf_of(form), code="123456")).status_code
        )
    assert statuses[:30] == [200] * 30 and statuses[-1] == 429


async def test_pages_carry_strict_headers_are_small_and_load_nothing_from_elsewhere(
    debtor: Debtor,
) -> None:
    page = await debtor.open("/p/" + "C" * 43)
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    cookies = page.headers.get_list("set-cookie")
    assert cookies and all("httponly" in c.lower() and "samesite=lax" in c.lower() for c in cookies)
    css = await debtor.open("/portal/static/portal.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert len(page.content) + len(css.content) < 50_000
    assert not re.search(r"(src|href|action)=\"(https?:)?//", page.text)


async def test_the_access_log_shows_no_token_and_nothing_personal(
    routed: tuple[Caller, Caller], debtor: Debtor, caplog: pytest.LogCaptureFixture
) -> None:
    creditor, agency = routed
    account = (await place(creditor))["account"]
    link = await link_for(agency, account["id"])
    token = link["url"].removeprefix("/p/")
    with caplog.at_level(logging.DEBUG, logger="hub"):
        await debtor.ask_code(link["url"])
        code = await latest_code(agency, link["id"])
        await debtor.enter(link["url"], code)
        await debtor.open(link["url"])
    # The hub's own logs (the test's HTTP client logs the URLs it asks for, as a browser's
    # history would).
    hub_records = [r for r in caplog.records if r.name.startswith("hub")]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in hub_records)
    paths = [r.__dict__["path"] for r in caplog.records if r.name == "hub.access"]
    assert "/p/…" in paths and "/p/…/verify" in paths
    for secret in (token, code, NAME, account["reference"], "astrid@example.com"):
        assert secret not in logged
