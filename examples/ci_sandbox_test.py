"""Your integration's CI test against the Evenly sandbox: create, drive, assert, reset.

Copy this file into your test suite. It runs with pytest and the ``evenly`` SDK against a
sandbox creditor (``cli_test_…`` credentials) whose accounts are routed to a simulated
sandbox agency, which plays the scenario each placement names (see the README's *Sandbox*):

    EVENLY_CLIENT_ID=cli_test_… EVENLY_CLIENT_SECRET=sk_test_… \\
    EVENLY_BASE_URL=https://… pytest ci_sandbox_test.py

Without those variables the tests are skipped. Every account the test places carries the
run's ``sandbox_tag``; the ``run_tag`` fixture resets the run afterwards, passed or failed,
so each CI job starts from nothing and leaves nothing behind. Replace the assertions about
the hub with assertions about your own system (your webhook handler's database, your
ledger…): the simulated agency sends the same events and webhooks a real agency would.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import evenly
import pytest

#: How long a scenario may take to play out (a scenario day is a few seconds in the
#: sandbox); raise it if your hub's sandbox days are longer.
TIMEOUT_SECONDS = float(os.environ.get("EVENLY_SANDBOX_TIMEOUT", "120"))
CREDENTIALS = ("EVENLY_CLIENT_ID", "EVENLY_CLIENT_SECRET", "EVENLY_BASE_URL")


@pytest.fixture
def client() -> Iterator[evenly.Evenly]:
    if not all(os.environ.get(name) for name in CREDENTIALS):
        pytest.skip("set EVENLY_CLIENT_ID, EVENLY_CLIENT_SECRET and EVENLY_BASE_URL (sandbox)")
    with evenly.Evenly() as sdk:
        yield sdk


@pytest.fixture
def run_tag(client: evenly.Evenly) -> Iterator[str]:
    """This run's sandbox tag (your CI's job id, else a fresh one); the run is reset after."""
    tag = os.environ.get("CI_JOB_ID") or os.environ.get("GITHUB_RUN_ID") or uuid.uuid4().hex
    tag = f"ci-{tag}"[:64]
    yield tag
    client.sandbox.reset(tag)


def wait_for(client: evenly.Evenly, account_id: str, last: str) -> list[str]:
    """The account's event types once ``last`` is among them; fails after the timeout."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        types = [event.type for event in client.events.timeline(account_id)]
        if last in types:
            return types
        if time.monotonic() > deadline:
            pytest.fail(f"no {last} within {TIMEOUT_SECONDS:g} s; the account has: {types}")
        time.sleep(0.5)


def place(client: evenly.Evenly, tag: str, scenario: str) -> str:
    """Create: one overdue order placed as your checkout would, naming its scenario."""
    order = f"ORDER-{tag}-{scenario}"
    placed = client.accounts.place(
        reference=order,
        customer={"reference": f"CUSTOMER-{order}", "name": "Test Customer", "country": "SE"},
        original_amount={"amount_minor": 49900, "currency": "SEK"},
        balance={"amount_minor": 49900, "currency": "SEK"},
        due_date="2026-01-31",
        metadata={"sandboxScenario": scenario},
        sandbox_tag=tag,
    )
    return placed.account.id


def test_a_customer_who_pays_in_full_is_rehabilitated(client: evenly.Evenly, run_tag: str) -> None:
    account_id = place(client, run_tag, "pays_in_full")
    # Drive: the simulated agency acknowledges, contacts the customer and takes the payment.
    types = wait_for(client, account_id, "customer.rehabilitated")
    # Assert: the whole journey, in order, and where the account ends.
    assert types == [
        "account.placed",
        "account.assigned",
        "account.acknowledged",
        "contact.attempted",
        "payment.received",
        "account.closed",
        "customer.rehabilitated",
    ]
    account = client.accounts.get(account_id)
    assert account.status == evenly.AccountStatus.PAID
    assert account.balance.amount_minor == 0
