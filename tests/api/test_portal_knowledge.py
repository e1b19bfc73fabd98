"""The portal's knowledge check: a link asking the date of birth or postcode placed for
its customer (``hub.domain.portal_knowledge``), on both backends."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

from hub.store.tables import customer_knowledge
from tests.api.test_portal_pages import Debtor, csrf_of, debtor, without_csrf
from tests.conftest import Backend, Caller, place, placement

__all__ = ["debtor"]  # the fixture

CREATE = """mutation($id: ID!, $f: SecondFactor!) {
  createPortalLink(input: {accountId: $id, secondFactor: $f, locale: "en"}) {
  url portalLink { id secondFactor } userErrors { code field } } }"""
PLACE_MANY = """mutation($items: [PlaceAccountInput!]!) {
  placeAccounts(input: {items: $items}) { results { account { id customer { id } } userErrors { code } } } }"""
BORN = "1980-03-27"
WRONG = "That is not right. Check it and try again."


async def knowing(creditor: Caller, **facts: str) -> dict[str, Any]:
    return (await place(creditor, customer=facts))["account"]


async def link(agency: Caller, account_id: str, factor: str) -> dict[str, Any]:
    payload = (await agency.data(CREATE, {"id": account_id, "f": factor}))["createPortalLink"]
    assert payload["userErrors"] == [], payload
    assert payload["portalLink"]["secondFactor"] == factor
    return payload


async def answer(debtor: Debtor, url: str, **fields: str) -> Any:
    page = await debtor.open(url)
    path, _, query = url.partition("?")
    return await debtor.post(f"{path}/answer?{query}", csrf_of(page), **fields)


def dob(day: str = "27", month: str = "3", year: str = "1980") -> dict[str, str]:
    return {"day": day, "month": month, "year": year}


async def test_the_right_date_of_birth_opens_the_portal(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    account = await knowing(creditor, dateOfBirth=BORN)
    url = (await link(agency, account["id"], "DATE_OF_BIRTH"))["url"]
    assert url.endswith("?f=dob")
    start = await debtor.open(url)
    assert 'autocomplete="bday-day"' in start.text and account["reference"] not in start.text
    opened = await answer(debtor, url, **dob(day="27", month="03"))
    assert opened.status_code == 303
    overview = await debtor.open(url.partition("?")[0])
    assert account["reference"] in overview.text


async def test_the_right_postcode_opens_the_portal_in_any_case_and_spacing(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    account = await knowing(creditor, postcode="sw1a 1aa")
    url = (await link(agency, account["id"], "POSTCODE"))["url"]
    assert url.endswith("?f=postcode")
    assert 'autocomplete="postal-code"' in (await debtor.open(url)).text
    assert (await answer(debtor, url, postcode="SW1A-1AA")).status_code == 303
    assert account["reference"] in (await debtor.open(url.partition("?")[0])).text


async def test_wrong_answers_are_limited_and_read_like_an_unknown_token(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    account = await knowing(creditor, dateOfBirth=BORN)
    url = (await link(agency, account["id"], "DATE_OF_BIRTH"))["url"]
    guessed = "/p/" + "A" * 43 + "?f=dob"
    for attempt in range(5):
        real, fake = Debtor(app), Debtor(app)
        wrong = await answer(real, url, **dob(year=str(1990 + attempt)))
        unknown = await answer(fake, guessed, **dob(year=str(1990 + attempt)))
        assert wrong.status_code == unknown.status_code == 200 and WRONG in wrong.text
        token, other = url[3:46], guessed[3:46]
        assert without_csrf(wrong.text).replace(token, "T") == without_csrf(unknown.text).replace(
            other, "T"
        )
    # Five wrong answers spent the link's tries: the right one no longer opens it.
    late = await answer(Debtor(app), url, **dob())
    assert late.status_code == 200 and WRONG in late.text


async def test_answers_are_rate_limited_per_address(
    routed: tuple[Caller, Caller], app: Starlette
) -> None:
    creditor, agency = routed
    account = await knowing(creditor, postcode="11122")
    url = (await link(agency, account["id"], "POSTCODE"))["url"]
    debtor = Debtor(app)
    statuses = [(await answer(debtor, url, postcode=f"9{n:04d}")).status_code for n in range(12)]
    assert 429 in statuses and statuses[0] == 200


async def test_a_link_asking_a_fact_not_placed_is_refused(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account = await knowing(creditor, postcode="11122")
    payload = (await agency.data(CREATE, {"id": account["id"], "f": "DATE_OF_BIRTH"}))[
        "createPortalLink"
    ]
    assert payload["url"] is None
    assert payload["userErrors"] == [
        {"code": "SECOND_FACTOR_UNAVAILABLE", "field": ["secondFactor"]}
    ]


async def test_another_customers_answer_does_not_open_it(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    await knowing(creditor, dateOfBirth="1975-01-01")
    account = await knowing(creditor, dateOfBirth=BORN)
    url = (await link(agency, account["id"], "DATE_OF_BIRTH"))["url"]
    refused = await answer(debtor, url, **dob("1", "1", "1975"))
    assert refused.status_code == 200 and WRONG in refused.text


async def test_a_code_link_takes_no_answer_and_a_knowledge_link_sends_no_code(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    account = await knowing(creditor, dateOfBirth=BORN)
    code_url = (await link(agency, account["id"], "CODE"))["url"]
    assert "?" not in code_url
    assert WRONG in (await answer(debtor, code_url + "?f=dob", **dob())).text
    dob_url = (await link(agency, account["id"], "DATE_OF_BIRTH"))["url"]
    start = await debtor.open(dob_url.partition("?")[0])
    await debtor.post(f"{dob_url.partition('?')[0]}/code", csrf_of(start))
    events = await agency.data('{ events(types: ["portal.code_requested"]) { nodes { id } } }')
    assert events["events"]["nodes"] == []


async def test_only_keyed_hashes_are_kept_and_a_batch_stores_them_too(
    routed: tuple[Caller, Caller], backend: Backend
) -> None:
    creditor, agency = routed
    items = [
        placement(customer={"dateOfBirth": BORN}),
        placement(customer={"postcode": "10 115"}),
        placement(),
    ]
    results = (await creditor.data(PLACE_MANY, {"items": items}))["placeAccounts"]["results"]
    assert all(r["userErrors"] == [] for r in results)
    async with backend.services.db.engine.connect() as conn:
        ids = [r["account"]["customer"]["id"] for r in results]
        query = sa.select(customer_knowledge).where(customer_knowledge.c.customer_id.in_(ids))
        rows = (await conn.execute(query)).mappings().all()
    assert BORN not in str(rows) and "10115" not in str(rows)
    assert len(rows) == 2
    await link(agency, results[0]["account"]["id"], "DATE_OF_BIRTH")
    await link(agency, results[1]["account"]["id"], "POSTCODE")


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        ({"dateOfBirth": "1899-12-31"}, "INVALID_DATE_OF_BIRTH"),
        ({"dateOfBirth": "2999-01-01"}, "INVALID_DATE_OF_BIRTH"),
        ({"postcode": "1"}, "INVALID_POSTCODE"),
        ({"postcode": "12345678901"}, "INVALID_POSTCODE"),
        ({"postcode": "<script>"}, "INVALID_POSTCODE"),
    ],
)
async def test_bad_facts_are_refused_with_their_code(
    creditor: Caller, facts: dict[str, str], code: str
) -> None:
    data = await creditor.data(
        """mutation($input: PlaceAccountInput!) { placeAccount(input: $input) {
        userErrors { code field } } }""",
        {"input": placement(customer=facts)},
    )
    assert [e["code"] for e in data["placeAccount"]["userErrors"]] == [code]


async def test_a_later_placement_keeps_or_replaces_the_facts(
    routed: tuple[Caller, Caller], debtor: Debtor, app: Starlette
) -> None:
    creditor, agency = routed
    customer = {"reference": f"CUST-K-{id(debtor)}", "postcode": "11122"}
    first = (await place(creditor, customer=customer))["account"]
    await place(creditor, customer={"reference": customer["reference"]})  # keeps it
    url = (await link(agency, first["id"], "POSTCODE"))["url"]
    assert (await answer(debtor, url, postcode="11122")).status_code == 303
    await place(creditor, customer={"reference": customer["reference"], "postcode": "22233"})
    url = (await link(agency, first["id"], "POSTCODE"))["url"]
    other = Debtor(app)
    assert WRONG in (await answer(other, url, postcode="11122")).text
    assert (await answer(other, url, postcode="22233")).status_code == 303


async def test_a_retried_placement_with_facts_replays(creditor: Caller) -> None:
    item = placement(customer={"dateOfBirth": BORN}, idempotencyKey=f"knowledge-{uuid.uuid4().hex}")
    query = """mutation($input: PlaceAccountInput!) { placeAccount(input: $input) {
        account { id } replayed userErrors { code } } }"""
    first = (await creditor.data(query, {"input": item}))["placeAccount"]
    again = (await creditor.data(query, {"input": item}))["placeAccount"]
    assert again["replayed"] and again["account"] == first["account"]
    changed = {**item, "customer": {**item["customer"], "dateOfBirth": "1981-01-01"}}
    refused = (await creditor.data(query, {"input": changed}))["placeAccount"]
    assert [e["code"] for e in refused["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]


async def test_the_language_switcher_keeps_the_question(
    routed: tuple[Caller, Caller], debtor: Debtor
) -> None:
    creditor, agency = routed
    account = await knowing(creditor, dateOfBirth=BORN)
    url = (await link(agency, account["id"], "DATE_OF_BIRTH"))["url"]
    page = await debtor.open(url)
    switched = await debtor.post(
        f"{url.partition('?')[0]}/language", csrf_of(page), lang="sv", next=url
    )
    assert switched.status_code == 303 and switched.headers["location"] == url
    assert "Ditt födelsedatum" in (await debtor.open(url)).text


async def test_deleting_a_sandbox_run_deletes_its_customers_facts(
    make_caller: Any, backend: Backend
) -> None:
    from tests.api.test_sandbox_cleanup import DELETE, _place, _routed

    creditor, _ = await _routed(make_caller, backend)
    placed = await _place(creditor, "knowledge-run", customer={"dateOfBirth": BORN})
    customer_id = placed["account"]["customer"]["id"]
    deleted = (await creditor.data(DELETE, {"tag": "knowledge-run"}))["deleteSandboxData"]
    assert deleted["userErrors"] == [] and deleted["deletedCustomers"] == 1
    async with backend.services.db.engine.connect() as conn:
        left = await conn.execute(
            sa.select(customer_knowledge).where(customer_knowledge.c.customer_id == customer_id)
        )
        assert left.first() is None
