"""Reading accounts: by id and reference, listing with filters and cursors, recall, adjust."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event

from tests.conftest import Backend, Caller, place, placement

ACCOUNT = """query($id: ID, $reference: String) {
  account(id: $id, reference: $reference) { id reference status version balance { amountMinor } }
}"""
LIST = """query($first: Int!, $after: String, $filter: AccountFilter) {
  accounts(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id reference } }
    pageInfo { hasNextPage endCursor }
  }
}"""
RECALL = """mutation($input: RecallAccountInput!) {
  recallAccount(input: $input) { account { id status } userErrors { field code message } }
}"""
ADJUST = """mutation($input: AdjustBalanceInput!) {
  adjustBalance(input: $input) { account { id balance { amountMinor currency } version } userErrors { field code } }
}"""


async def test_account_by_id_and_by_reference(creditor: Caller) -> None:
    placed = (await place(creditor))["account"]
    by_id = await creditor.data(ACCOUNT, {"id": placed["id"]})
    by_ref = await creditor.data(ACCOUNT, {"reference": placed["reference"]})
    assert by_id["account"] == by_ref["account"]
    assert by_id["account"]["reference"] == placed["reference"]


async def test_account_needs_exactly_one_of_id_and_reference(creditor: Caller) -> None:
    body = await creditor.graphql(ACCOUNT, {})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_accounts_pages_newest_first_without_gaps_or_repeats(creditor: Caller) -> None:
    placed = [(await place(creditor))["account"]["id"] for _ in range(7)]
    seen: list[str] = []
    after = None
    while True:
        page = (await creditor.data(LIST, {"first": 3, "after": after}))["accounts"]
        assert page["totalCount"] == 7
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == list(reversed(placed))


async def test_accounts_filter_by_status_country_and_time(routed: tuple[Caller, Caller]) -> None:
    creditor, agency = routed
    se = (await place(creditor))["account"]
    gb = (await place(creditor, customer={"country": "GB"}))["account"]
    recalled = (await place(creditor))["account"]
    await creditor.data(RECALL, {"input": {"accountId": recalled["id"]}})

    async def ids(f: dict[str, Any]) -> set[str]:
        return {
            e["node"]["id"]
            for e in (await creditor.data(LIST, {"first": 100, "filter": f}))["accounts"]["edges"]
        }

    assert await ids({"country": "GB"}) == {gb["id"]}
    assert await ids({"status": ["RECALLED"]}) == {recalled["id"]}
    assert await ids({"status": ["PLACED"], "country": "SE"}) == {se["id"]}
    assert await ids({"agencyId": agency.organization_id}) == {se["id"], gb["id"], recalled["id"]}
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert await ids({"placedAfter": future}) == set()
    assert await ids({"placedBefore": future}) == {se["id"], gb["id"], recalled["id"]}


async def test_invalid_cursor_and_page_size_are_errors_with_codes(creditor: Caller) -> None:
    body = await creditor.graphql(LIST, {"first": 10, "after": "garbage!"})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    body = await creditor.graphql(LIST, {"first": 101})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_PAGE_SIZE"
    body = await creditor.graphql(LIST, {"first": 10, "filter": {"country": "ZZ"}})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_COUNTRY"


async def test_recall_moves_the_account_and_writes_an_event(routed: tuple[Caller, Caller]) -> None:
    creditor, agency = routed
    account = (await place(creditor))["account"]
    payload = (
        await creditor.data(
            RECALL, {"input": {"accountId": account["id"], "reason": "paid at checkout"}}
        )
    )["recallAccount"]
    assert payload["userErrors"] == [] and payload["account"]["status"] == "RECALLED"
    feed = await agency.data('{ events(types: ["account.recalled"]) { nodes { data } } }')
    assert any(
        e["data"]["account"]["id"] == account["id"] and e["data"]["reason"] == "paid at checkout"
        for e in feed["events"]["nodes"]
    )
    again = (await creditor.data(RECALL, {"input": {"accountId": account["id"]}}))["recallAccount"]
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_STATE_TRANSITION"]


async def test_recall_with_idempotency_key_replays(creditor: Caller) -> None:
    account = (await place(creditor))["account"]
    variables = {"input": {"accountId": account["id"], "idempotencyKey": "recall-1"}}
    first = (await creditor.data(RECALL, variables))["recallAccount"]
    second = (await creditor.data(RECALL, variables))["recallAccount"]
    assert first["userErrors"] == [] and second["userErrors"] == []
    assert second["account"]["status"] == "RECALLED"


async def test_adjust_balance_changes_balance_with_reason_and_event(creditor: Caller) -> None:
    account = (await place(creditor))["account"]
    variables = {
        "input": {
            "accountId": account["id"],
            "amount": {"amountMinor": -2500, "currency": "SEK"},
            "reason": "late fee waived",
        }
    }
    payload = (await creditor.data(ADJUST, variables))["adjustBalance"]
    assert payload["userErrors"] == []
    assert payload["account"]["balance"] == {
        "amountMinor": account["balance"]["amountMinor"] - 2500,
        "currency": "SEK",
    }
    events = await creditor.data(
        """query($id: ID!) { node(id: $id) { ... on Account { events { nodes { type sequence data } } } } }""",
        {"id": account["id"]},
    )
    last = events["node"]["events"]["nodes"][-1]
    assert last["type"] == "account.balance_adjusted"
    assert last["sequence"] == payload["account"]["version"]
    assert last["data"]["reason"] == "late fee waived"
    assert last["data"]["previousBalance"]["amountMinor"] == account["balance"]["amountMinor"]


async def test_adjust_balance_refusals_have_codes_and_change_nothing(creditor: Caller) -> None:
    placed = (await place(creditor))["account"]
    account = (await creditor.data(ACCOUNT, {"id": placed["id"]}))["account"]
    balance = account["balance"]["amountMinor"]
    cases = [
        ({"amountMinor": -balance, "currency": "SEK"}, "late fee waived", "BALANCE_NOT_POSITIVE"),
        ({"amountMinor": 10**6, "currency": "SEK"}, "interest", "BALANCE_ABOVE_ORIGINAL"),
        ({"amountMinor": -100, "currency": "EUR"}, "fx", "CURRENCY_MISMATCH"),
        ({"amountMinor": 0, "currency": "SEK"}, "nothing", "INVALID_AMOUNT"),
        ({"amountMinor": -100, "currency": "SEK"}, "   ", "REASON_REQUIRED"),
    ]
    for amount, reason, code in cases:
        variables = {"input": {"accountId": account["id"], "amount": amount, "reason": reason}}
        payload = (await creditor.data(ADJUST, variables))["adjustBalance"]
        assert [e["code"] for e in payload["userErrors"]] == [code]
    after = await creditor.data(ACCOUNT, {"id": account["id"]})
    assert after["account"]["balance"]["amountMinor"] == balance
    assert after["account"] == account


async def test_adjusting_a_recalled_account_is_refused(creditor: Caller) -> None:
    account = (await place(creditor))["account"]
    await creditor.data(RECALL, {"input": {"accountId": account["id"]}})
    variables = {
        "input": {
            "accountId": account["id"],
            "amount": {"amountMinor": -1, "currency": "SEK"},
            "reason": "x",
        }
    }
    payload = (await creditor.data(ADJUST, variables))["adjustBalance"]
    assert [e["code"] for e in payload["userErrors"]] == ["ACCOUNT_CLOSED"]


async def test_events_feed_resumes_after_a_cursor_or_an_event_id(creditor: Caller) -> None:
    for _ in range(3):
        await place(creditor)
    everything = (
        await creditor.data("{ events(first: 100) { edges { cursor node { id type } } } }")
    )["events"]["edges"]
    assert len(everything) == 3
    query = "query($after: String) { events(first: 100, after: $after) { nodes { id } } }"
    by_cursor = await creditor.data(query, {"after": everything[0]["cursor"]})
    by_id = await creditor.data(query, {"after": everything[0]["node"]["id"]})
    expected = [e["node"]["id"] for e in everything[1:]]
    assert [n["id"] for n in by_cursor["events"]["nodes"]] == expected
    assert [n["id"] for n in by_id["events"]["nodes"]] == expected


async def test_account_page_runs_a_constant_number_of_statements(
    backend: Backend, routed: tuple[Caller, Caller]
) -> None:
    creditor = routed[0]
    for _ in range(2):
        await creditor.data(
            "mutation($input: PlaceAccountsInput!) { placeAccounts(input: $input) { placedCount } }",
            {"input": {"items": [placement() for _ in range(60)]}},
        )
    query = "query($n: Int!) { accounts(first: $n) { nodes { id customer { name email } agency { name } creditor { name } } } }"
    counts = {}
    await creditor.data(query, {"n": 1})  # warm the process caches (organizations)
    for size in (5, 100):
        statements: list[str] = []

        def count(
            conn: Any, cursor: Any, statement: str, *args: Any, _into: list[str] = statements
        ) -> None:
            _into.append(statement)

        engine = backend.services.db.engine.sync_engine
        sa_event.listen(engine, "before_cursor_execute", count)
        try:
            data = await creditor.data(query, {"n": size})
        finally:
            sa_event.remove(engine, "before_cursor_execute", count)
        assert len(data["accounts"]["nodes"]) == size
        counts[size] = len([s for s in statements if s.lstrip().upper().startswith("SELECT")])
    assert counts[5] == counts[100] <= 4, counts


async def test_migrations_match_the_tables(backend: Backend) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from hub.store.tables import metadata

    def diff(sync_conn: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with backend.services.db.read() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_the_sandbox_indexes_leave_live_accounts_out(backend: Backend) -> None:
    """Partial indexes, as migrated: a live account (no tag, no clock) is in neither."""
    names = ("ix_accounts_creditor_sandbox_tag", "ix_accounts_test_clock_id")
    if backend.name == "postgresql":
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN :names"
    else:
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN :names"
    statement = sa.text(query).bindparams(sa.bindparam("names", expanding=True))
    async with backend.services.db.read() as conn:
        found = dict((await conn.execute(statement, {"names": list(names)})).tuples().all())
    assert set(found) == set(names)
    assert "sandbox_tag IS NOT NULL" in found["ix_accounts_creditor_sandbox_tag"]
    assert "test_clock_id IS NOT NULL" in found["ix_accounts_test_clock_id"]
