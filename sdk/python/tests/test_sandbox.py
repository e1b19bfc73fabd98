"""``client.sandbox`` against a real hub on SQLite and PostgreSQL: a sandbox creditor fires a
sample event at its endpoint; a live one is refused."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import Parties, collect, make_client, resolve
from evenly._exceptions import NotFoundError, PermissionError, UserError


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_sandbox_creditor_fires_a_sample_of_a_type_at_its_endpoint(
    parties: Parties, kind: str
) -> None:
    creds = await asyncio.to_thread(parties.hub.organization, "creditor", sandbox=True)
    assert creds.client_id.startswith("cli_test_")
    client: Any = make_client(kind, parties.hub, creds)
    try:
        created = await resolve(client.webhook_endpoints.create("sink://ok"))
        event_id = await resolve(
            client.sandbox.send_test_event(created.endpoint.id, "payment.received")
        )
        page = client.events.list(types=["payment.received"])
        events = [e async for e in page] if kind == "async" else list(page)
        assert [e.id for e in events] == [event_id]
        with pytest.raises(UserError) as refused:
            await resolve(client.sandbox.send_test_event(created.endpoint.id, "no.such_type"))
        assert refused.value.code == "INVALID_EVENT_TYPE"
    finally:
        await resolve(client.close())


async def test_a_live_organization_may_not_fire_sample_events(parties: Parties) -> None:
    client = make_client("sync", parties.hub, parties.creditor)
    try:
        with pytest.raises(PermissionError) as refused:
            client.sandbox.send_test_event("we_01JAAAAAAAAAAAAAAAAAAAAAAA", "payment.received")
        assert refused.value.code == "FORBIDDEN"
    finally:
        client.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_the_simulated_agency_scenarios_are_listed_with_their_events(
    parties: Parties, kind: str
) -> None:
    client: Any = make_client(kind, parties.hub, parties.creditor)
    try:
        found = {s["name"]: s for s in await resolve(client.sandbox.scenarios())}
        assert {"pays_in_full", "plan_then_pays", "unreachable"} <= set(found)
        assert found["plan_then_pays"]["events"][0] == "account.placed"
        assert found["plan_then_pays"]["events"][-1] == "customer.rehabilitated"
    finally:
        await resolve(client.close())


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_sandbox_agency_advances_an_account_it_collects(
    parties: Parties, kind: str
) -> None:
    creditor_creds = await asyncio.to_thread(parties.hub.organization, "creditor", sandbox=True)
    agency_creds = await asyncio.to_thread(parties.hub.organization, "agency", sandbox=True)
    await asyncio.to_thread(parties.hub.route, creditor_creds, agency_creds)
    creditor: Any = make_client(kind, parties.hub, creditor_creds)
    agency: Any = make_client(kind, parties.hub, agency_creds)
    try:
        placed = await resolve(
            creditor.accounts.place(
                reference=f"INV-ADV-{kind}",
                customer={"reference": f"CUST-ADV-{kind}", "name": "Nils Ek", "country": "SE"},
                original_amount={"amount_minor": 40000, "currency": "SEK"},
                balance={"amount_minor": 40000, "currency": "SEK"},
                due_date="2026-01-31",
                product="BNPL_INVOICE",
            )
        )
        account_id = placed.account.id
        advanced = await resolve(agency.sandbox.advance_account(account_id, "PAID"))
        assert advanced.changed is True
        assert advanced.steps == ["ACKNOWLEDGE", "LOG_CONTACT", "PAY_IN_FULL"]
        assert advanced.account.status == "PAID"
        again = await resolve(agency.sandbox.advance_account(account_id, "PAID"))
        assert (again.changed, again.steps) == (False, [])
        with pytest.raises(UserError) as refused:
            await resolve(agency.sandbox.advance_account(account_id, "DISPUTED"))
        assert refused.value.code == "INVALID_STATE_TRANSITION"
    finally:
        await resolve(creditor.close())
        await resolve(agency.close())


async def test_a_live_agency_may_not_advance_accounts(parties: Parties) -> None:
    client = make_client("sync", parties.hub, parties.agency)
    try:
        with pytest.raises(PermissionError) as refused:
            client.sandbox.advance_account("acc_01JAAAAAAAAAAAAAAAAAAAAAAA", "PAID")
        assert refused.value.code == "FORBIDDEN"
    finally:
        client.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_reset_deletes_the_tagged_run_and_nothing_else(parties: Parties, kind: str) -> None:
    creditor_creds = await asyncio.to_thread(parties.hub.organization, "creditor", sandbox=True)
    agency_creds = await asyncio.to_thread(parties.hub.organization, "agency", sandbox=True)
    await asyncio.to_thread(parties.hub.route, creditor_creds, agency_creds)
    creditor: Any = make_client(kind, parties.hub, creditor_creds)
    agency: Any = make_client(kind, parties.hub, agency_creds)

    async def place(reference: str, tag: str | None) -> str:
        placed = await resolve(
            creditor.accounts.place(
                reference=reference,
                customer={"reference": f"C-{reference}", "name": "Nils Ek", "country": "SE"},
                original_amount={"amount_minor": 40000, "currency": "SEK"},
                balance={"amount_minor": 40000, "currency": "SEK"},
                due_date="2026-01-31",
                sandbox_tag=tag,
            )
        )
        return str(placed.account.id)

    try:
        kept = await place(f"INV-KEEP-{kind}", None)
        run = [await place(f"INV-RUN-{kind}-{n}", f"ci-{kind}") for n in range(2)]
        await resolve(agency.sandbox.advance_account(run[0], "PAID"))
        reset = await resolve(creditor.sandbox.reset(f"ci-{kind}"))
        assert (reset.deleted_accounts, reset.deleted_customers) == (2, 2)
        assert reset.deleted_events >= 2 * 2 + 3
        listed = await collect(creditor.accounts.list())
        assert [a.id for a in listed] == [kept]
        # The same references place again after the reset (new accounts, not replays).
        again = await place(f"INV-RUN-{kind}-0", f"ci-{kind}")
        assert again not in run
        assert (await resolve(creditor.sandbox.reset(f"ci-{kind}"))).deleted_accounts == 1
        nothing = await resolve(creditor.sandbox.reset("never-used"))
        assert (nothing.deleted_accounts, nothing.deleted_events) == (0, 0)
        with pytest.raises(UserError) as refused:
            await resolve(creditor.sandbox.reset("not a tag"))
        assert refused.value.code == "INVALID_SANDBOX_TAG"
    finally:
        await resolve(creditor.close())
        await resolve(agency.close())


async def test_a_live_creditor_may_not_reset_or_tag(parties: Parties) -> None:
    client = make_client("sync", parties.hub, parties.creditor)
    try:
        with pytest.raises(PermissionError) as refused:
            client.sandbox.reset("ci-1")
        assert refused.value.code == "FORBIDDEN"
        with pytest.raises(UserError) as tagged:
            client.accounts.place(
                reference="INV-LIVE-TAGGED",
                customer={"reference": "C-LIVE-TAGGED", "name": "Nils Ek", "country": "SE"},
                original_amount={"amount_minor": 40000, "currency": "SEK"},
                balance={"amount_minor": 40000, "currency": "SEK"},
                due_date="2026-01-31",
                sandbox_tag="ci-1",
            )
        assert tagged.value.code == "SANDBOX_ONLY"
    finally:
        client.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_confirm_payment_settles_only_a_portal_payment_and_only_in_a_sandbox(
    parties: Parties, kind: str
) -> None:
    creds = await asyncio.to_thread(parties.hub.organization, "agency", sandbox=True)
    client: Any = make_client(kind, parties.hub, creds)
    live: Any = make_client(kind, parties.hub, parties.agency)
    try:
        with pytest.raises(NotFoundError) as unknown:
            await resolve(client.sandbox.confirm_payment("pay_01JAAAAAAAAAAAAAAAAAAAAAAA"))
        assert unknown.value.code == "NOT_FOUND"
        with pytest.raises(PermissionError) as refused:
            await resolve(live.sandbox.confirm_payment("pay_01JAAAAAAAAAAAAAAAAAAAAAAA"))
        assert refused.value.code == "FORBIDDEN"
    finally:
        await resolve(client.close())
        await resolve(live.close())
