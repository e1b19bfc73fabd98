"""The SDK methods added with the compliance slice, the account timeline, the latest cursor
and ``place_many``'s partial report, against a real hub on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import evenly
import pytest
from conftest import Credentials, Parties, collect, make_client, new_account, resolve


async def test_contact_permission_answers_with_the_rule_pack_and_time_zones(
    pair: tuple[Any, Any],
) -> None:
    creditor, _ = pair
    account = (await resolve(creditor.accounts.place(**new_account()))).account
    noon = dt.datetime(2026, 3, 3, 11, 0, tzinfo=dt.UTC)  # a Tuesday, 12:00 in Stockholm
    answer = await resolve(
        creditor.compliance.contact_permission(account.id, channel="EMAIL", at=noon)
    )
    assert isinstance(answer, evenly.ContactPermission)
    assert answer.allowed is True
    assert "Europe/Stockholm" in answer.timezones
    assert answer.rule_pack is not None and answer.rule_pack.jurisdiction == "SE"


async def test_an_opt_out_refuses_the_channel_until_consent_is_given_again(
    pair: tuple[Any, Any],
) -> None:
    creditor, _ = pair
    account = (await resolve(creditor.accounts.place(**new_account()))).account
    refused = await resolve(
        creditor.compliance.set_channel_consent(account.customer.id, channel="SMS", granted=False)
    )
    assert refused.customer.opted_out_channels == ["SMS"]
    answer = await resolve(creditor.compliance.contact_permission(account.id, channel="SMS"))
    assert answer.allowed is False and answer.reasons
    assert answer.next_allowed_at is None
    granted = await resolve(
        creditor.compliance.set_channel_consent(
            account.customer.id, channel=evenly.ContactChannel.SMS, granted=True
        )
    )
    assert granted.customer.opted_out_channels == []


async def test_compliance_report_lists_each_contact_with_its_pack(pair: tuple[Any, Any]) -> None:
    creditor, agency = pair
    account = (await resolve(creditor.accounts.place(**new_account()))).account
    assert await resolve(creditor.compliance.report(account.id)) == []
    await resolve(agency.agency.acknowledge(account.id))
    logged = await resolve(
        agency.agency.log_contact(
            account.id,
            channel="LETTER",
            direction="OUTBOUND",
            outcome="NO_ANSWER",
            occurred_at=dt.datetime.now(dt.UTC),
        )
    )
    report = await resolve(creditor.compliance.report(account.id))
    assert [e.contact_attempt.id for e in report] == [logged.contact_attempt.id]
    assert report[0].rule_pack is not None and report[0].rule_pack.jurisdiction == "SE"


async def test_rule_packs_by_jurisdiction(client: Any) -> None:
    every = await resolve(client.compliance.rule_packs())
    assert {p.jurisdiction for p in every} >= {"SE"}
    swedish = await resolve(client.compliance.rule_packs(jurisdiction="SE"))
    assert swedish and all(p.jurisdiction == "SE" for p in swedish)
    assert all(p.rules for p in swedish)


async def test_timeline_is_one_accounts_events_oldest_first(client: Any) -> None:
    account = (await resolve(client.accounts.place(**new_account()))).account
    await resolve(client.accounts.place(**new_account()))  # another account: not in it
    await resolve(
        client.accounts.adjust_balance(
            account.id, amount={"amount_minor": -100, "currency": "SEK"}, reason="goodwill"
        )
    )
    events = await collect(client.events.timeline(account.id))
    assert [e.type for e in events][:2] == ["account.placed", "account.assigned"]
    assert events[-1].type == "account.balance_adjusted"
    assert [e.sequence for e in events] == sorted(e.sequence for e in events)


async def test_latest_cursor_is_after_every_event_and_before_the_next(client: Any) -> None:
    await resolve(client.accounts.place(**new_account()))
    cursor = await resolve(client.events.latest_cursor())
    assert await collect(client.events.list(after=cursor)) == []
    placed = (await resolve(client.accounts.place(**new_account()))).account
    after = await collect(client.events.list(after=cursor, types=["account.placed"]))
    assert [e.data["account"]["id"] for e in after] == [placed.id]


async def first(stream: Any) -> Any:
    if hasattr(stream, "__aiter__"):
        return await stream.__anext__()
    return await asyncio.to_thread(next, stream)


@pytest.mark.parametrize("subscribe", [True, False])
async def test_an_accounts_stream_carries_only_that_accounts_new_events(
    client: Any, subscribe: bool
) -> None:
    account = (await resolve(client.accounts.place(**new_account()))).account
    stream = client.events.stream(
        account_id=account.id,
        types=["account.balance_adjusted"],
        poll_interval=0.1,
        subscribe=subscribe,
    )
    waiting = asyncio.ensure_future(first(stream))
    await asyncio.sleep(1.0)
    await resolve(client.accounts.place(**new_account()))  # another account's events
    await resolve(
        client.accounts.adjust_balance(
            account.id, amount={"amount_minor": -100, "currency": "SEK"}, reason="goodwill"
        )
    )
    event = await asyncio.wait_for(waiting, 30)
    assert event.type == "account.balance_adjusted"
    assert event.data["account"]["id"] == account.id


async def test_place_many_stopped_by_a_permission_error_returns_its_partial_report(
    parties: Parties,
) -> None:
    reader = await asyncio.to_thread(
        parties.hub.admin,
        "create-client",
        "--organization",
        parties.creditor.organization_id,
        "--scope",
        "accounts:read",
    )
    creds = Credentials(
        parties.creditor.organization_id, reader["client_id"], reader["client_secret"]
    )
    for kind in ("sync", "async"):
        client = make_client(kind, parties.hub, creds)
        items = [new_account() for _ in range(6)] + [{"reference": "bad"}]
        report = await resolve(client.accounts.place_many(items, batch_size=2, concurrency=1))
        await resolve(client.close())
        assert isinstance(report.stopped_by, evenly.PermissionError)
        assert report.ok is False
        assert report.placed_count == 0
        # The first batch was refused as a whole; nothing after it was sent.
        assert [e.index for e in report.errors] == [0, 1]
        assert {e.code for e in report.errors} == {"FORBIDDEN"}
