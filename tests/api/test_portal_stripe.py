"""Paying from the portal through Stripe Checkout, without internet: the real ``stripe``
library talks to a local stand-in of Stripe's API (``tests/stripe_standin.py``) on a real
port, and Stripe's webhooks reach ``/portal/stripe/webhook`` signed in Stripe's format.

Covered: the pay flow choosing Stripe (a Checkout Session per payment, the debtor sent to
its page, the payment pending until the signed webhook), async payments that succeed or
fail, an expired session, a duplicate event, a refund and a dispute becoming reversals, and
the refusals (unsigned, wrong signature, replayed, malformed, someone else's payment); the
mode of the key deciding which organizations Stripe serves; the database down (503).
"""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from hub.app import create_app
from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from tests.api.test_portal_pages import Debtor
from tests.api.test_portal_pay import account_of, form_of, pay, signed_in
from tests.conftest import Backend, Caller, place
from tests.conftest import test_settings as settings_for
from tests.stripe_standin import StripeStandIn, serving, signed

SECRET = "whsec_standin_secret"
WEBHOOK = "/portal/stripe/webhook"


@pytest.fixture(scope="module")
def test_stripe() -> Iterator[StripeStandIn]:
    with serving(StripeStandIn("sk_test_standin")) as standin:
        yield standin


@pytest.fixture(scope="module")
def live_stripe() -> Iterator[StripeStandIn]:
    with serving(StripeStandIn("sk_live_standin")) as standin:
        yield standin


def hub_with(backend: Backend, standin: StripeStandIn) -> Starlette:
    settings = dataclasses.replace(
        backend.settings,
        stripe_secret_key=standin.api_key,
        stripe_webhook_secret=SECRET,
        stripe_api_base=standin.base,
    )
    return create_app(settings, dataclasses.replace(backend.services, settings=settings))


@pytest.fixture(scope="module")
def stripe_hub(backend: Backend, test_stripe: StripeStandIn) -> Starlette:
    """The hub with a Stripe test key, its API at the stand-in."""
    return hub_with(backend, test_stripe)


@pytest.fixture
async def debtor(stripe_hub: Starlette) -> AsyncIterator[Debtor]:
    visitor = Debtor(stripe_hub)
    yield visitor
    await visitor.http.aclose()


@pytest.fixture
async def sandbox(make_caller: Any, backend: Backend) -> tuple[Caller, Caller]:
    creditor = await make_caller(OrganizationKind.CREDITOR, sandbox=True)
    agency = await make_caller(OrganizationKind.AGENCY, sandbox=True)
    await organization_service.create_routing_rule(
        backend.services, creditor_id=creditor.organization_id, agency_id=agency.organization_id
    )
    return creditor, agency


async def deliver(debtor: Debtor, body: str, header: str | None = "") -> httpx.Response:
    """Post ``body`` as Stripe does, signed with the endpoint's secret unless ``header``."""
    headers = {"content-type": "application/json"}
    signature = signed(body, SECRET) if header == "" else header
    if signature is not None:
        headers["stripe-signature"] = signature
    return await debtor.http.post(WEBHOOK, content=body.encode(), headers=headers)


async def started(
    debtor: Debtor, agency: Caller, creditor: Caller, standin: StripeStandIn, amount: str = "250"
) -> tuple[str, str, str, str]:
    """A payment started by Stripe: (account id, payment id, session id, link url)."""
    account_id = (await place(creditor))["account"]["id"]
    url = await signed_in(debtor, agency, account_id)
    paid = await pay(debtor, url, account_id, amount, card="")
    assert paid.status_code == 303, paid.text
    location = paid.headers["location"]
    assert location.startswith(f"{standin.base}/checkout/cs_test_")
    session_id = location.rsplit("/", 1)[1]
    payment_id = standin.sessions[session_id]["metadata"]["evenly_payment_id"]
    return account_id, payment_id, session_id, url


async def test_the_pay_flow_chooses_stripe_and_counts_only_once_the_webhook_confirms(
    sandbox: tuple[Caller, Caller], debtor: Debtor, test_stripe: StripeStandIn
) -> None:
    creditor, agency = sandbox
    account_id = (await place(creditor))["account"]["id"]
    url = await signed_in(debtor, agency, account_id)
    overview = await debtor.open(url)
    assert "Card number" not in overview.text  # the debtor types it on Stripe's page
    policy = overview.headers["content-security-policy"]
    assert f"form-action 'self' {test_stripe.base}" in policy

    paid = await pay(debtor, url, account_id, "250,50", card="")
    location = paid.headers["location"]
    session = test_stripe.sessions[location.rsplit("/", 1)[1]]
    assert session["amount_total"] == 25050 and session["currency"] == "sek"
    payment_id = session["metadata"]["evenly_payment_id"]
    assert session["metadata"] == {
        "evenly_payment_id": payment_id,
        "evenly_account_id": account_id,
        "evenly_collector_id": agency.organization_id,
    }
    assert test_stripe.intents[session["payment_intent"]]["metadata"] == session["metadata"]
    assert session["success_url"] == f"http://hub.test{url}/payments/{payment_id}"
    async with httpx.AsyncClient() as browser:  # the debtor's browser on Stripe's page
        page = await browser.get(location)
    assert page.status_code == 200 and "25050 sek" in page.text
    account = await account_of(agency, account_id)
    assert [(p["channel"], p["status"]) for p in account["payments"]] == [("PORTAL", "PENDING")]
    assert account["balance"]["amountMinor"] == 100000

    event = test_stripe.complete(session["id"])
    answer = await deliver(debtor, event)
    assert answer.status_code == 200 and answer.json() == {"received": True, "changed": True}
    again = await deliver(debtor, event)  # Stripe sends an event more than once
    assert again.status_code == 200 and again.json()["changed"] is False
    account = await account_of(agency, account_id)
    assert account["balance"]["amountMinor"] == 74950
    assert [p["status"] for p in account["payments"]] == ["SUCCEEDED"]
    done = await debtor.open(session["success_url"].removeprefix("http://hub.test"))
    assert "Thank you: payment received" in done.text


async def test_the_same_form_sent_twice_opens_one_checkout_session(
    sandbox: tuple[Caller, Caller], debtor: Debtor, test_stripe: StripeStandIn
) -> None:
    creditor, agency = sandbox
    account_id = (await place(creditor))["account"]["id"]
    url = await signed_in(debtor, agency, account_id)
    page = (await debtor.open(url)).text
    fields = {**form_of(page, account_id), "amount": "100", "card": ""}
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    first = await debtor.post(f"{url}/pay", csrf, **fields)
    second = await debtor.post(f"{url}/pay", csrf, **fields)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len((await account_of(agency, account_id))["payments"]) == 1


async def test_an_async_payment_counts_when_it_succeeds(
    sandbox: tuple[Caller, Caller], debtor: Debtor, test_stripe: StripeStandIn
) -> None:
    creditor, agency = sandbox
    account_id, _, session_id, _ = await started(debtor, agency, creditor, test_stripe)
    completed = await deliver(debtor, test_stripe.complete(session_id, "unpaid"))
    assert completed.json() == {"received": True, "changed": False}
    assert [p["status"] for p in (await account_of(agency, account_id))["payments"]] == ["PENDING"]
    succeeded = await deliver(debtor, test_stripe.async_outcome(session_id, succeeded=True))
    assert succeeded.json()["changed"] is True
    account = await account_of(agency, account_id)
    assert account["balance"]["amountMinor"] == 75000
    assert [p["status"] for p in account["payments"]] == ["SUCCEEDED"]


@pytest.mark.parametrize("how", ["async_failure", "expired"])
async def test_a_failed_or_expired_payment_takes_nothing(
    sandbox: tuple[Caller, Caller], debtor: Debtor, test_stripe: StripeStandIn, how: str
) -> None:
    creditor, agency = sandbox
    account_id, _, session_id, url = await started(debtor, agency, creditor, test_stripe)
    if how == "expired":
        body = test_stripe.event("checkout.session.expired", test_stripe.sessions[session_id])
    else:
        await deliver(debtor, test_stripe.complete(session_id, "unpaid"))
        body = test_stripe.async_outcome(session_id, succeeded=False)
    assert (await deliver(debtor, body)).json()["changed"] is True
    account = await account_of(agency, account_id)
    assert account["balance"]["amountMinor"] == 100000
    assert [p["status"] for p in account["payments"]] == ["FAILED"]
    # The amount is no longer held: all of it can be paid again.
    assert (await pay(debtor, url, account_id, "1000", card="")).status_code == 303


@pytest.mark.parametrize("how", ["refund", "dispute"])
async def test_a_refund_or_a_dispute_becomes_a_reversal(
    sandbox: tuple[Caller, Caller], debtor: Debtor, test_stripe: StripeStandIn, how: str
) -> None:
    creditor, agency = sandbox
    account_id, _, session_id, _ = await started(debtor, agency, creditor, test_stripe)
    await deliver(debtor, test_stripe.complete(session_id))
    assert (await account_of(agency, account_id))["balance"]["amountMinor"] == 75000
    if how == "refund":
        partial = await deliver(debtor, test_stripe.refund(session_id, full=False))
        assert partial.json() == {"received": True, "changed": False}
        body = test_stripe.refund(session_id)
    else:
        body = test_stripe.dispute(session_id)  # no tag: read from its PaymentIntent at Stripe
    assert (await deliver(debtor, body)).json()["changed"] is True
    assert (await deliver(debtor, body)).json()["changed"] is False
    account = await account_of(agency, account_id)
    assert account["balance"]["amountMinor"] == 100000
    assert [p["status"] for p in account["payments"]] == ["REVERSED"]


def _tampered(body: str) -> str:
    event = json.loads(body)
    event["data"]["object"]["amount_total"] = 1
    return json.dumps(event)


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unsigned", "STRIPE_SIGNATURE_MISSING"),
        ("wrong secret", "STRIPE_SIGNATURE_INVALID"),
        ("tampered body", "STRIPE_SIGNATURE_INVALID"),
        ("not a signature", "STRIPE_SIGNATURE_INVALID"),
        ("replayed", "STRIPE_SIGNATURE_EXPIRED"),
        ("not json", "STRIPE_EVENT_MALFORMED"),
        ("no id", "STRIPE_EVENT_MALFORMED"),
        ("another amount", "STRIPE_EVENT_MALFORMED"),
        ("unknown payment", "STRIPE_EVENT_MALFORMED"),
        ("live event", "STRIPE_EVENT_MALFORMED"),
    ],
)
async def test_webhooks_stripe_did_not_sign_or_that_are_not_ours_are_refused(
    sandbox: tuple[Caller, Caller],
    debtor: Debtor,
    test_stripe: StripeStandIn,
    case: str,
    code: str,
) -> None:
    creditor, agency = sandbox
    account_id, _, session_id, _ = await started(debtor, agency, creditor, test_stripe)
    body = test_stripe.complete(session_id)
    header: str | None = ""
    if case == "unsigned":
        header = None
    elif case == "wrong secret":
        header = signed(body, "whsec_someone_else")
    elif case == "tampered body":
        header, body = signed(body, SECRET), _tampered(body)
    elif case == "not a signature":
        header = "v1=abc"
    elif case == "replayed":
        header = signed(body, SECRET, int(time.time()) - 301)
    elif case == "not json":
        body = "{not json"
    elif case == "no id":
        body = json.dumps({**json.loads(body), "id": None})
    elif case == "another amount":
        body = _tampered(body)
    elif case == "unknown payment":
        event = json.loads(body)
        event["data"]["object"]["metadata"]["evenly_payment_id"] = "pay_unknown"
        body = json.dumps(event)
    elif case == "live event":
        body = json.dumps({**json.loads(body), "livemode": True})
    refused = await deliver(debtor, body, header)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == code
    assert [p["status"] for p in (await account_of(agency, account_id))["payments"]] == ["PENDING"]


async def test_event_types_the_hub_does_not_act_on_are_answered_and_ignored(
    debtor: Debtor, test_stripe: StripeStandIn
) -> None:
    body = test_stripe.event("customer.created", {"id": "cus_1", "object": "customer"})
    answer = await deliver(debtor, body)
    assert answer.status_code == 200 and answer.json() == {"received": True, "changed": False}


async def test_a_live_key_serves_live_organizations_and_leaves_sandboxes_to_the_sandbox(
    routed: tuple[Caller, Caller],
    sandbox: tuple[Caller, Caller],
    backend: Backend,
    live_stripe: StripeStandIn,
) -> None:
    debtor = Debtor(hub_with(backend, live_stripe))
    try:
        creditor, agency = routed
        account_id = (await place(creditor))["account"]["id"]
        url = await signed_in(debtor, agency, account_id)
        paid = await pay(debtor, url, account_id, "100", card="")
        assert paid.headers["location"].startswith(f"{live_stripe.base}/checkout/")
        session_id = paid.headers["location"].rsplit("/", 1)[1]
        assert (await deliver(debtor, live_stripe.complete(session_id))).json()["changed"]
        assert (await account_of(agency, account_id))["balance"]["amountMinor"] == 90000

        test_creditor, test_agency = sandbox
        test_account = (await place(test_creditor))["account"]["id"]
        test_url = await signed_in(debtor, test_agency, test_account)
        assert "Card number" in (await debtor.open(test_url)).text  # the sandbox provider
    finally:
        await debtor.http.aclose()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("name", ["sqlite", "postgresql"])
async def test_while_the_database_is_down_a_webhook_gets_503_so_stripe_sends_it_again(
    tmp_path: Path, test_stripe: StripeStandIn, name: str
) -> None:
    if name == "sqlite":
        (tmp_path / "not-a-file.db").mkdir()
        url = f"sqlite+aiosqlite:///{tmp_path / 'not-a-file.db'}"
    else:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/evenly"
    settings = settings_for(tmp_path, url, stripe_webhook_secret=SECRET)
    app = create_app(settings)
    tag = {"evenly_payment_id": "pay_1", "evenly_account_id": "acc_1", "evenly_collector_id": "o"}
    session = {"metadata": tag, "payment_status": "paid", "amount_total": 100, "currency": "sek"}
    body = test_stripe.event("checkout.session.completed", session)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            answer = await http.post(
                WEBHOOK, content=body, headers={"stripe-signature": signed(body, SECRET)}
            )
        assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
        assert answer.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert "Traceback" not in answer.text and "sqlite" not in answer.text
    finally:
        await app.state.services.db.dispose()


async def test_a_refund_the_closed_account_cannot_take_is_received_and_reported(
    sandbox: tuple[Caller, Caller], debtor: Debtor, test_stripe: StripeStandIn
) -> None:
    creditor, agency = sandbox
    account_id, _, session_id, _ = await started(
        debtor, agency, creditor, test_stripe, amount="1000"
    )
    await deliver(debtor, test_stripe.complete(session_id))
    assert (await account_of(agency, account_id))["status"] == "PAID"
    answer = await deliver(debtor, test_stripe.refund(session_id))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": True, "changed": False, "refused": "ACCOUNT_CLOSED"}
    assert [p["status"] for p in (await account_of(agency, account_id))["payments"]] == [
        "SUCCEEDED"
    ]
