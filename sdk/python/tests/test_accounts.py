"""``client.accounts`` against a real hub, with Evenly and AsyncEvenly, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import evenly
import pytest
from conftest import collect, new_account, resolve
from evenly import AccountStatus, Money, NewAccount, NotFoundError, UserError


async def place(client: Any, **overrides: Any) -> evenly.Placement:
    placement: evenly.Placement = await resolve(client.accounts.place(**new_account(**overrides)))
    return placement


async def test_place_returns_the_routed_account(client: Any) -> None:
    account = new_account()
    placement = await resolve(client.accounts.place(**account))
    assert placement.replayed is False
    assert placement.warnings == []
    placed = placement.account
    assert placed.reference == account["reference"]
    assert placed.status is AccountStatus.PLACED
    assert placed.balance == Money(amount_minor=100000, currency="SEK")
    assert placed.customer.name == "Astrid Lindqvist"
    assert placed.agency is not None
    assert placed.metadata == account["metadata"]


async def test_placing_the_same_reference_again_is_a_replay(client: Any) -> None:
    account = new_account()
    first = await resolve(client.accounts.place(**account))
    again = await resolve(client.accounts.place(**account))
    assert again.replayed is True
    assert again.account.id == first.account.id


async def test_place_refused_raises_user_error_with_code_and_field(client: Any) -> None:
    with pytest.raises(UserError) as caught:
        await place(client, customer={**new_account()["customer"], "email": "not-an-email"})
    assert caught.value.code == "INVALID_EMAIL"
    assert caught.value.field == ["customer", "email"]
    assert caught.value.request_id


async def test_same_reference_with_other_data_is_refused(client: Any) -> None:
    account = new_account()
    await resolve(client.accounts.place(**account))
    changed = {**account, "balance": {"amount_minor": 5000, "currency": "SEK"}}
    with pytest.raises(UserError) as caught:
        await resolve(client.accounts.place(**changed))
    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED"


async def test_get_by_id_and_by_reference(client: Any) -> None:
    placed = (await place(client)).account
    by_id = await resolve(client.accounts.get(placed.id))
    by_reference = await resolve(client.accounts.get(reference=placed.reference))
    assert by_id == by_reference
    assert by_id.id == placed.id


async def test_get_unknown_account_raises_not_found(client: Any) -> None:
    with pytest.raises(NotFoundError) as caught:
        await resolve(client.accounts.get(reference="no-such-reference"))
    assert caught.value.code == "NOT_FOUND"


async def test_list_pages_through_every_match(client: Any) -> None:
    country = "FI"
    placed = []
    for _ in range(5):
        customer = {**new_account()["customer"], "country": country}
        placed.append((await place(client, customer=customer)).account.id)
    listed = await collect(client.accounts.list(country=country, page_size=2))
    ids = [a.id for a in listed]
    assert set(placed) <= set(ids)
    assert len(ids) == len(set(ids))


async def test_list_with_limit_and_status(client: Any) -> None:
    await place(client)
    await place(client)
    listed = await collect(client.accounts.list(status=AccountStatus.PLACED, limit=2))
    assert len(listed) == 2
    assert all(a.status is AccountStatus.PLACED for a in listed)


async def test_recall(client: Any) -> None:
    placed = (await place(client)).account
    recalled = await resolve(client.accounts.recall(placed.id, reason="paid at checkout"))
    assert recalled.status is AccountStatus.RECALLED
    with pytest.raises(UserError) as caught:
        await resolve(client.accounts.recall(placed.id, reason="twice"))
    assert caught.value.code in {"INVALID_STATE_TRANSITION", "ACCOUNT_CLOSED"}


async def test_recall_of_an_unknown_account_is_not_found(client: Any) -> None:
    with pytest.raises(NotFoundError):
        await resolve(client.accounts.recall("acc_0000000000000000000000000", reason="x"))


async def test_adjust_balance(client: Any) -> None:
    placed = (await place(client)).account
    adjusted = await resolve(
        client.accounts.adjust_balance(
            placed.id, amount=Money(amount_minor=-2500, currency="SEK"), reason="fee waived"
        )
    )
    assert adjusted.balance.amount_minor == 97500
    with pytest.raises(UserError) as caught:
        await resolve(
            client.accounts.adjust_balance(
                placed.id, amount={"amount_minor": 500000, "currency": "SEK"}, reason="too much"
            )
        )
    assert caught.value.code == "BALANCE_ABOVE_ORIGINAL"


async def test_adjust_balance_with_a_key_is_applied_once(client: Any) -> None:
    placed = (await place(client)).account
    for _ in range(2):
        adjusted = await resolve(
            client.accounts.adjust_balance(
                placed.id,
                amount={"amountMinor": -1000, "currency": "SEK"},
                reason="goodwill",
                idempotency_key=f"adjust-{placed.id}",
            )
        )
    assert adjusted.balance.amount_minor == 99000


async def test_place_many_reports_successes_and_item_errors(client: Any) -> None:
    items: list[Any] = [new_account() for _ in range(7)]
    items[2] = {**items[2], "customer": {**items[2]["customer"], "phone": "12"}}
    items[4] = {"reference": "missing-fields"}
    items[5] = NewAccount.model_validate(new_account())
    seen: list[Any] = []
    report = await resolve(
        client.accounts.place_many(items, batch_size=3, concurrency=2, on_result=seen.append)
    )
    assert report.placed_count == 5
    assert report.failed_count == 2
    assert [e.index for e in report.errors] == [2, 4]
    assert report.errors[0].code == "INVALID_PHONE"
    assert report.errors[0].errors[0].field == ["customer", "phone"]
    assert report.errors[1].code == "INVALID_INPUT"
    assert [r.index for r in report.placed] == [0, 1, 3, 5, 6]
    assert len(seen) == 7
    got = await resolve(client.accounts.get(report.placed[0].account_id))
    assert got.reference == items[0]["reference"]


async def test_place_many_again_places_nothing_twice(client: Any) -> None:
    items = [new_account() for _ in range(12)]
    first = await resolve(client.accounts.place_many(items[:5], batch_size=4))
    assert first.placed_count == 5 and first.replayed_count == 0
    second = await resolve(client.accounts.place_many(iter(items), batch_size=4, concurrency=3))
    assert second.placed_count == 12
    assert second.replayed_count == 5
    assert {r.account_id for r in first.placed} <= {r.account_id for r in second.placed}


async def test_place_many_accepts_generators_and_reports_progress(client: Any) -> None:
    seen: list[evenly.PlacementProgress] = []
    report = await resolve(
        client.accounts.place_many(
            (new_account() for _ in range(6)),
            batch_size=2,
            progress=seen.append,
            keep_placed=False,
        )
    )
    assert report.placed_count == 6
    assert report.placed == []
    assert seen[-1].done == 6
    assert seen[-1].total is None


async def test_async_place_many_takes_an_async_iterable(parties: Any) -> None:
    from conftest import make_client

    async def generate() -> Any:
        for _ in range(5):
            yield new_account()

    async with make_client("async", parties.hub, parties.creditor) as sdk:
        report = await sdk.accounts.place_many(generate(), batch_size=2)
    assert report.placed_count == 5
    assert [r.index for r in report.placed] == [0, 1, 2, 3, 4]
