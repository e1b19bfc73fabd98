"""The portal's languages over HTTP: the link's locale, then the customer's language (after
the second factor); the switcher (a form that posts, with its CSRF token); before the second
factor only what the browser says, the same for every token; amounts and dates the
locale's way."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from tests.api.test_portal_pages import Debtor, csrf_of, latest_code, link_for, without_csrf
from tests.conftest import Caller, place


@pytest.fixture
async def debtor(app: Starlette) -> AsyncIterator[Debtor]:
    visitor = Debtor(app)
    yield visitor
    await visitor.http.aclose()


async def signed_in(debtor: Debtor, agency: Caller, account_id: str, locale: str | None) -> str:
    link = await link_for(agency, account_id, locale=locale)
    await debtor.ask_code(link["url"])
    code = await latest_code(agency, link["id"])
    assert (await debtor.enter(link["url"], code)).status_code == 303
    return str(link["url"])


def lang_of(page: httpx.Response) -> str:
    found = re.search(r'<html lang="([a-z]+)">', page.text)
    assert found, page.text
    return found.group(1)


async def test_the_page_speaks_the_customer_s_language_without_a_locale(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    account = (await place(creditor))["account"]  # the customer speaks sv-SE
    url = await signed_in(debtor, agency, account["id"], None)
    page = await debtor.open(url)
    assert lang_of(page) == "sv"
    assert "Dina skulder" in page.text and "Be om hjälp" in page.text
    assert "1\xa0000,00\xa0kr" in page.text and "kvar att betala" in page.text
    help_page = await debtor.open(f"{url}/help")
    assert "Bestrid en skuld" in help_page.text and "Be om en paus" in help_page.text
    prefs = await debtor.open(f"{url}/preferences")
    assert "Spara mina val" in prefs.text and "Sms" in prefs.text


async def test_the_link_s_locale_comes_before_the_customer_s_language(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    account = (await place(creditor))["account"]
    url = await signed_in(debtor, agency, account["id"], "de-DE")
    page = await debtor.open(url)
    assert lang_of(page) == "de" and "Ihre Forderungen" in page.text
    assert "1.000,00\xa0SEK" in page.text


async def test_the_switcher_posts_with_its_token_and_is_remembered(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    account = (await place(creditor))["account"]
    url = await signed_in(debtor, agency, account["id"], "en")
    page = await debtor.open(f"{url}/preferences")
    assert lang_of(page) == "en"
    for code in ("en", "sv", "de", "es", "fr", "nl"):
        assert f'name="lang" value="{code}"' in page.text
    # Without the form's token nothing changes.
    assert (await debtor.post(f"{url}/language", None, lang="fr")).status_code == 403
    assert lang_of(await debtor.open(url)) == "en"
    chosen = await debtor.post(
        f"{url}/language", csrf_of(page), lang="fr", next=f"{url}/preferences"
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == f"{url}/preferences"
    again = await debtor.open(f"{url}/preferences")
    assert lang_of(again) == "fr" and "Enregistrer mes choix" in again.text
    overview = await debtor.open(url)
    assert "Vos dettes" in overview.text and "Autre chose ?" in overview.text
    # The way back goes only to the link's own pages; an unknown language changes nothing.
    away = await debtor.post(
        f"{url}/language", csrf_of(again), lang="xx", next="https://elsewhere.test/"
    )
    assert away.headers["location"] == url
    assert lang_of(await debtor.open(url)) == "fr"


async def test_before_the_code_every_token_reads_the_same_in_the_browser_s_language(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    account = (await place(creditor))["account"]
    live = await link_for(agency, account["id"], locale="de")
    guessed = "/p/" + "B" * 43
    pages = set()
    for url in (live["url"], guessed):
        start = await debtor.http.get(url, headers={"Accept-Language": "nl-BE, en;q=0.5"})
        assert lang_of(start) == "nl" and "Stuur mij een code" in start.text
        pages.add(without_csrf(start.text).replace(url.removeprefix("/p/"), "T"))
    assert len(pages) == 1
    spanish = await debtor.open(f"{live['url']}?lang=es")
    assert lang_of(spanish) == "es" and "Enviarme un código" in spanish.text
    assert lang_of(await debtor.open(live["url"])) == "en"


async def test_a_refusal_reads_in_the_page_s_language(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    account = (await place(creditor))["account"]
    url = await signed_in(debtor, agency, account["id"], "es")
    refused = await debtor.post(f"{url}/dispute", "wrong", account=account["id"])
    assert refused.status_code == 403 and "Vuelva a intentarlo" in refused.text
    missing = await debtor.open(f"{url}/sent/nothing")
    assert missing.status_code == 404 and "No existe esa página." in missing.text
