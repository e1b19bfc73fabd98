"""A debtor chooses channels and contact hours, opens a dispute and asks for a hold in the
portal; the agency hears of each (the feed), the hours bind ``contactPermission``, the help
footer shows the agency's contact details, and every form needs its CSRF token."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette

from tests.api.test_portal_pages import Debtor, csrf_of, link_for
from tests.api.test_portal_plan import signed_in
from tests.conftest import Caller, place

FEED = """query($types: [String!]) { events(types: $types, first: 100) { nodes { type data } } }"""
PERMISSION = """query($id: ID!, $at: DateTime!) { contactPermission(accountId: $id, channel: EMAIL,
  at: $at) { allowed reasons { ruleId } nextAllowedAt } }"""
CUSTOMER = """query($id: ID!) { account(id: $id) { status customer { optedOutChannels
  contactHours { start end } } } }"""
SET_HELP = """mutation($input: SetHelpContactInput!) { setHelpContact(input: $input) {
  helpContact { email phone hours } userErrors { field code } } }"""
HELP = """{ helpContact { email phone hours } }"""


async def feed(org: Caller, *types: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = (await org.data(FEED, {"types": list(types)}))["events"]["nodes"]
    return nodes


def stockholm(days: int, hour: int, minute: int = 0) -> str:
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)
    while day.weekday() != 1:  # a Tuesday: no rest day in the way
        day += dt.timedelta(days=1)
    local = dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo("Europe/Stockholm"))
    return local.astimezone(dt.UTC).isoformat()


async def test_a_debtor_chooses_channels_and_hours_and_the_agency_is_told_and_bound(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    debtor, url, account = await signed_in(app, creditor, agency)
    page = await debtor.open(f"{url}/preferences")
    assert page.status_code == 200
    assert page.text.count('type="checkbox" name="channel"') == 5
    assert page.text.count(" checked>") == 5  # nothing refused yet
    saved = await debtor.http.post(
        f"{url}/preferences",
        data={"csrf": csrf_of(page), "channel": ["EMAIL", "SMS"], "start": "09:00", "end": "17:00"},
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}/preferences?saved=1"
    again = await debtor.open(saved.headers["location"])
    assert "Saved." in again.text and 'value="09:00"' in again.text
    assert again.text.count(" checked>") == 2

    changes = await feed(agency, "customer.consent_changed")
    assert [(c["data"]["channel"], c["data"]["granted"]) for c in changes] == [
        ("CALL", False),
        ("LETTER", False),
        ("PUSH", False),
        (None, None),
    ]
    assert changes[-1]["data"]["optedOutChannels"] == ["CALL", "LETTER", "PUSH"]
    assert changes[-1]["data"]["contactHours"] == {"start": "09:00", "end": "17:00"}
    assert changes[0]["data"]["contactHours"] is None  # the hours as they stood then
    assert len(await feed(creditor, "customer.consent_changed")) == 4  # both sides hear
    customer = (await agency.data(CUSTOMER, {"id": account["id"]}))["account"]["customer"]
    assert customer == {
        "optedOutChannels": ["CALL", "LETTER", "PUSH"],
        "contactHours": {"start": "09:00", "end": "17:00"},
    }

    early = (await agency.data(PERMISSION, {"id": account["id"], "at": stockholm(7, 8, 30)}))[
        "contactPermission"
    ]
    assert early["allowed"] is False
    assert "HUB-CONTACT-HOURS" in [r["ruleId"] for r in early["reasons"]]
    assert early["nextAllowedAt"] is not None
    assert dt.datetime.fromisoformat(early["nextAllowedAt"]) >= dt.datetime.fromisoformat(
        stockholm(7, 9)
    )
    inside = (await agency.data(PERMISSION, {"id": account["id"], "at": stockholm(7, 10)}))[
        "contactPermission"
    ]
    assert "HUB-CONTACT-HOURS" not in [r["ruleId"] for r in inside["reasons"]]

    # Clearing the hours is a change too; saving the same choice again is none.
    page = await debtor.open(f"{url}/preferences")
    cleared = await debtor.http.post(
        f"{url}/preferences", data={"csrf": csrf_of(page), "channel": ["EMAIL", "SMS"]}
    )
    assert cleared.status_code == 303
    await debtor.http.post(
        f"{url}/preferences", data={"csrf": csrf_of(page), "channel": ["EMAIL", "SMS"]}
    )
    changes = await feed(agency, "customer.consent_changed")
    assert len(changes) == 5 and changes[-1]["data"]["contactHours"] is None


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [("9", "17:00", "Give both times"), ("16:30", "17:00", "at least an hour")],
)
async def test_hours_that_cannot_be_are_the_form_again_with_the_reason(
    routed: tuple[Caller, Caller], app: Starlette, start: str, end: str, says: str
) -> None:
    creditor, agency = routed
    debtor, url, _account = await signed_in(app, creditor, agency)
    page = await debtor.open(f"{url}/preferences")
    refused = await debtor.http.post(
        f"{url}/preferences",
        data={"csrf": csrf_of(page), "channel": ["EMAIL"], "start": start, "end": end},
    )
    assert refused.status_code == 422 and says in refused.text
    assert await feed(agency, "customer.consent_changed") == []


async def test_a_debtor_opens_a_dispute_and_asks_for_a_hold(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    debtor, url, account = await signed_in(app, creditor, agency)
    overview = await debtor.open(url)
    assert f'href="{url.removeprefix("http://hub.test")}/help"' in overview.text
    page = await debtor.open(f"{url}/help")
    assert page.status_code == 200 and account["reference"] in page.text

    asked = await debtor.http.post(
        f"{url}/hold",
        data={"csrf": csrf_of(page), "account": account["id"], "reason": "HARDSHIP"},
    )
    assert asked.status_code == 303 and asked.headers["location"] == f"{url}/sent/hold"
    assert "will look at it" in (await debtor.open(asked.headers["location"])).text
    [requested] = await feed(agency, "hold.requested")
    assert requested["data"]["accountId"] == account["id"]
    assert requested["data"]["reason"] == "HARDSHIP"
    assert await feed(creditor, "hold.requested") == []  # the collector's to act on

    opened = await debtor.http.post(
        f"{url}/dispute",
        data={
            "csrf": csrf_of(page),
            "account": account["id"],
            "reason": "WRONG_AMOUNT",
            "details": "I paid 200 SEK in March.",
        },
    )
    assert opened.status_code == 303 and opened.headers["location"] == f"{url}/sent/dispute"
    status = (await agency.data(CUSTOMER, {"id": account["id"]}))["account"]["status"]
    assert status == "DISPUTED"
    [dispute] = await feed(agency, "dispute.opened")
    assert dispute["data"]["dispute"]["reason"] == "WRONG_AMOUNT"
    assert "200 SEK" not in str(dispute)  # the text stays behind the API
    twice = await debtor.http.post(
        f"{url}/dispute",
        data={"csrf": csrf_of(page), "account": account["id"], "reason": "OTHER"},
    )
    assert twice.status_code == 409 and "already has an open dispute" in twice.text


async def test_another_customers_debt_and_forms_without_csrf_are_refused(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    debtor, url, _account = await signed_in(app, creditor, agency)
    stranger = (await place(creditor))["account"]
    page = await debtor.open(f"{url}/help")
    for form, reason in (("dispute", "OTHER"), ("hold", "HARDSHIP")):
        other = await debtor.http.post(
            f"{url}/{form}",
            data={"csrf": csrf_of(page), "account": stranger["id"], "reason": reason},
        )
        assert other.status_code == 404
        bare = await debtor.http.post(
            f"{url}/{form}", data={"account": stranger["id"], "reason": reason}
        )
        assert bare.status_code == 403
    bare = await debtor.http.post(f"{url}/preferences", data={"channel": "EMAIL"})
    assert bare.status_code == 403
    assert await feed(agency, "hold.requested", "dispute.opened", "customer.consent_changed") == []
    # Without a session every page goes back to the start.
    stranger_browser = Debtor(app)
    for path in ("/preferences", "/help", "/sent/hold"):
        assert (await stranger_browser.open(f"{url}{path}")).status_code == 303


async def test_every_page_has_the_agencys_help_once_the_debtor_is_signed_in(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    stored = (
        await agency.data(
            SET_HELP,
            {
                "input": {
                    "email": "help@agency.example",
                    "phone": "+46 8 123 456",
                    "hours": "Mon–Fri 9–17",
                }
            },
        )
    )["setHelpContact"]
    assert stored == {
        "helpContact": {
            "email": "help@agency.example",
            "phone": "+46 8 123 456",
            "hours": "Mon–Fri 9–17",
        },
        "userErrors": [],
    }
    assert (await agency.data(HELP))["helpContact"] == stored["helpContact"]
    wrong = (await agency.data(SET_HELP, {"input": {"email": "not an address"}}))["setHelpContact"]
    assert wrong["userErrors"] == [{"field": ["email"], "code": "INVALID_HELP_CONTACT"}]

    account = (await place(creditor))["account"]
    link = await link_for(agency, account["id"])
    before = await Debtor(app).open(link["url"])
    assert "Ask for help" in before.text and "help@agency.example" not in before.text
    debtor, url, _ = await signed_in(app, creditor, agency)
    for path in ("", "/preferences", "/help", "/sent/dispute", f"/plan/{_['id']}"):
        page = await debtor.open(f"{url}{path}")
        footer = re.search(r'<footer class="help".*</footer>', page.text, re.S)
        assert footer is not None, path
        assert "help@agency.example" in footer.group(0) and "+46 8 123 456" in footer.group(0)


async def test_each_visit_is_one_portal_visited_event_with_the_links_channel(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    account = (await place(creditor))["account"]
    link = await link_for(agency, account["id"])
    browser = Debtor(app)
    assert (await browser.open(f"{link['url']}?c=sms")).status_code == 200
    await browser.open(link["url"])  # the same visit
    [visit] = await feed(agency, "portal.visited")
    assert visit["data"]["channel"] == "SMS" and visit["data"]["accountId"] == account["id"]
    assert visit["data"]["timezone"] == "Europe/Stockholm"
    now = dt.datetime.now(ZoneInfo("Europe/Stockholm")).hour
    assert visit["data"]["localHour"] in {now, (now - 1) % 24}
    await Debtor(app).open(f"{link['url']}?c=carrier-pigeon")  # another browser, no channel
    visits = await feed(agency, "portal.visited")
    assert [v["data"]["channel"] for v in visits] == ["SMS", None]
    assert await feed(creditor, "portal.visited") == []
