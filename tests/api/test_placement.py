"""Placing accounts: one, a batch, validation, routing, idempotency, encryption at rest."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from hub.auth.scopes import OrganizationKind
from hub.services import organizations as organization_service
from hub.store.tables import accounts, customers, events
from tests.conftest import PLACE, PLACE_MANY, Backend, Caller, place, placement


async def test_placed_account_is_assigned_by_the_first_matching_rule(
    creditor: Caller, make_caller: Any, backend: Backend
) -> None:
    nordic = await make_caller(OrganizationKind.AGENCY)
    fallback = await make_caller(OrganizationKind.AGENCY)
    await organization_service.create_routing_rule(
        backend.services,
        creditor_id=creditor.organization_id,
        agency_id=fallback.organization_id,
        priority=50,
    )
    await organization_service.create_routing_rule(
        backend.services,
        creditor_id=creditor.organization_id,
        agency_id=nordic.organization_id,
        country="SE",
        priority=10,
    )
    swedish = await place(creditor)
    british = await place(creditor, customer={"country": "GB", "phone": "+447700900123"})
    assert swedish["account"]["agency"]["id"] == nordic.organization_id
    assert british["account"]["agency"]["id"] == fallback.organization_id
    assert swedish["account"]["status"] == "PLACED"


async def test_placement_writes_placed_and_assigned_events_visible_to_the_agency(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    account_id = (await place(creditor))["account"]["id"]
    query = """query($id: ID!) { node(id: $id) { ... on Account { events { nodes { type sequence data } } } } }"""
    for caller in (creditor, agency):
        data = await caller.data(query, {"id": account_id})
        nodes = data["node"]["events"]["nodes"]
        assert [(e["type"], e["sequence"]) for e in nodes] == [
            ("account.placed", 1),
            ("account.assigned", 2),
        ]
        assert nodes[1]["data"]["agencyId"] == agency.organization_id
        assert nodes[0]["data"]["account"]["id"] == account_id


async def test_placement_without_a_matching_rule_stays_unassigned_with_a_warning(
    creditor: Caller,
) -> None:
    payload = await place(creditor)
    assert payload["account"]["agency"] is None
    assert [w["code"] for w in payload["warnings"]] == ["ROUTING_NO_AGENCY"]


async def test_same_reference_twice_is_duplicate_reference(creditor: Caller) -> None:
    first = placement()
    await creditor.data(PLACE, {"input": first})
    again = placement(reference=first["reference"])
    payload = (await creditor.data(PLACE, {"input": again}))["placeAccount"]
    assert payload["account"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("DUPLICATE_REFERENCE", ["reference"])
    ]


async def test_two_creditors_may_use_the_same_reference(creditor: Caller, make_caller: Any) -> None:
    other = await make_caller(OrganizationKind.CREDITOR)
    item = placement()
    for caller in (creditor, other):
        payload = (await caller.data(PLACE, {"input": item}))["placeAccount"]
        assert payload["userErrors"] == []


async def test_idempotent_replay_returns_the_first_account(creditor: Caller) -> None:
    item = placement(idempotencyKey="order-77-placement")
    first = (await creditor.data(PLACE, {"input": item}))["placeAccount"]
    second = (await creditor.data(PLACE, {"input": item}))["placeAccount"]
    assert second["userErrors"] == []
    assert second["replayed"] is True and first["replayed"] is False
    assert second["account"]["id"] == first["account"]["id"]
    listing = await creditor.data(
        "query($r: String!) { accounts(filter: {reference: $r}) { totalCount } }",
        {"r": item["reference"]},
    )
    assert listing["accounts"]["totalCount"] == 1


async def test_idempotency_key_with_a_different_input_is_refused(creditor: Caller) -> None:
    item = placement(idempotencyKey="key-reused")
    await creditor.data(PLACE, {"input": item})
    changed = {**item, "balance": {"amountMinor": 5, "currency": "SEK"}}
    payload = (await creditor.data(PLACE, {"input": changed}))["placeAccount"]
    assert [e["code"] for e in payload["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert payload["account"] is None


async def test_each_invalid_field_has_a_stable_code_and_path(creditor: Caller) -> None:
    cases: list[tuple[dict[str, Any], str, list[str]]] = [
        ({"customer": {"email": "not-an-email"}}, "INVALID_EMAIL", ["customer", "email"]),
        ({"customer": {"phone": "0701234567"}}, "INVALID_PHONE", ["customer", "phone"]),
        ({"customer": {"country": "XX"}}, "INVALID_COUNTRY", ["customer", "country"]),
        ({"customer": {"timezone": "Mars/Olympus"}}, "INVALID_TIMEZONE", ["customer", "timezone"]),
        ({"customer": {"language": "swedish!"}}, "INVALID_LANGUAGE", ["customer", "language"]),
        (
            {"balance": {"amountMinor": 100, "currency": "ABC"}},
            "INVALID_CURRENCY",
            ["balance", "currency"],
        ),
        (
            {"balance": {"amountMinor": 0, "currency": "SEK"}},
            "INVALID_AMOUNT",
            ["balance", "amountMinor"],
        ),
        (
            {"balance": {"amountMinor": 999999, "currency": "SEK"}},
            "BALANCE_ABOVE_ORIGINAL",
            ["balance", "amountMinor"],
        ),
        (
            {"balance": {"amountMinor": 100, "currency": "EUR"}},
            "CURRENCY_MISMATCH",
            ["balance", "currency"],
        ),
        ({"dueDate": "2999-01-01"}, "DUE_DATE_IN_FUTURE", ["dueDate"]),
        ({"reference": "  "}, "INVALID_REFERENCE", ["reference"]),
        ({"metadata": {"blob": "x" * 9000}}, "METADATA_TOO_LARGE", ["metadata"]),
    ]
    for overrides, code, field in cases:
        payload = (await creditor.data(PLACE, {"input": placement(**overrides)}))["placeAccount"]
        assert payload["account"] is None, (code, payload)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    count = await creditor.data("{ accounts { totalCount } }")
    assert count["accounts"]["totalCount"] == 0


async def test_lower_case_codes_are_normalized(creditor: Caller) -> None:
    item = placement(customer={"country": "se"}, balance={"amountMinor": 100, "currency": "sek"})
    item["originalAmount"]["currency"] = "sek"
    payload = await place(creditor, **{k: v for k, v in item.items() if k != "reference"})
    assert payload["account"]["balance"] == {"amountMinor": 100, "currency": "SEK"}


async def test_batch_of_100_places_good_items_and_reports_bad_ones_by_index(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, _ = routed
    items = [placement() for _ in range(100)]
    bad = {
        7: {"customer": {**items[7]["customer"], "email": "nope"}},
        42: {"balance": {"amountMinor": 1, "currency": "XYZ"}},
    }
    for index, change in bad.items():
        items[index] = {**items[index], **change}
    items[99] = {**items[99], "reference": items[0]["reference"]}  # duplicate within the batch
    data = await creditor.data(PLACE_MANY, {"input": {"items": items}})
    payload = data["placeAccounts"]
    assert payload["placedCount"] == 97 and payload["failedCount"] == 3
    failed = {r["index"]: r["userErrors"][0] for r in payload["results"] if r["account"] is None}
    assert (
        failed[7]["field"] == ["items", "7", "customer", "email"]
        and failed[7]["code"] == "INVALID_EMAIL"
    )
    assert failed[42]["code"] == "INVALID_CURRENCY"
    assert failed[99]["code"] == "DUPLICATE_REFERENCE"
    assert {tuple(e["field"][:2]) for e in payload["userErrors"]} == {
        ("items", "7"),
        ("items", "42"),
        ("items", "99"),
    }
    count = await creditor.data("{ accounts { totalCount } }")
    assert count["accounts"]["totalCount"] == 97


async def test_batch_size_must_be_between_1_and_500(creditor: Caller) -> None:
    for size in (0, 501):
        items = [placement() for _ in range(size)]
        payload = (await creditor.data(PLACE_MANY, {"input": {"items": items}}))["placeAccounts"]
        assert [e["code"] for e in payload["userErrors"]] == ["BATCH_SIZE_OUT_OF_RANGE"]
        assert payload["placedCount"] == 0
    count = await creditor.data("{ accounts { totalCount } }")
    assert count["accounts"]["totalCount"] == 0


async def test_batch_rerun_with_item_keys_places_nothing_twice(creditor: Caller) -> None:
    items = [placement(idempotencyKey=f"line-{i}") for i in range(5)]
    first = (await creditor.data(PLACE_MANY, {"input": {"items": items[:3]}}))["placeAccounts"]
    again = (await creditor.data(PLACE_MANY, {"input": {"items": items}}))["placeAccounts"]
    assert [r["replayed"] for r in again["results"]] == [True, True, True, False, False]
    assert [r["account"]["id"] for r in again["results"][:3]] == [
        r["account"]["id"] for r in first["results"]
    ]
    count = await creditor.data("{ accounts { totalCount } }")
    assert count["accounts"]["totalCount"] == 5


async def test_customer_pii_is_encrypted_at_rest(creditor: Caller, backend: Backend) -> None:
    payload = await place(
        creditor, customer={"name": "Greta Garbo-Unique", "email": "greta.unique@example.com"}
    )
    customer_id = payload["account"]["customer"]["id"]
    async with backend.services.db.read() as conn:
        row = (await conn.execute(sa.select(customers).where(customers.c.id == customer_id))).one()
        event_rows = (
            await conn.execute(
                sa.select(events.c.data).where(events.c.account_id == payload["account"]["id"])
            )
        ).all()
    raw = b"".join(bytes(v) for v in (row.name_enc, row.email_enc, row.phone_enc))
    assert b"Greta" not in raw and b"greta.unique" not in raw and b"46701234567" not in raw
    assert "Greta" not in str([r.data for r in event_rows])
    assert payload["account"]["customer"]["name"] == "Greta Garbo-Unique"


async def test_same_customer_reference_reuses_the_customer(creditor: Caller) -> None:
    first = await place(creditor, customer={"reference": "CUST-SHARED-1"})
    second = await place(creditor, customer={"reference": "CUST-SHARED-1", "name": "New Name"})
    assert first["account"]["customer"]["id"] == second["account"]["customer"]["id"]
    assert second["account"]["customer"]["name"] == "New Name"


async def test_agency_cannot_place_accounts(agency: Caller) -> None:
    body = await agency.graphql(PLACE, {"input": placement()})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_refused_duplicate_leaves_the_customer_untouched(creditor: Caller) -> None:
    first = await place(creditor, customer={"reference": "CUST-DUP-1", "name": "Original Name"})
    duplicate = placement(
        reference=first["account"]["reference"],
        customer={"reference": "CUST-DUP-1", "name": "Changed"},
    )
    payload = (await creditor.data(PLACE, {"input": duplicate}))["placeAccount"]
    assert [e["code"] for e in payload["userErrors"]] == ["DUPLICATE_REFERENCE"]
    query = "query($id: ID!) { node(id: $id) { ... on Customer { name } } }"
    customer = await creditor.data(query, {"id": first["account"]["customer"]["id"]})
    assert customer["node"]["name"] == "Original Name"


async def test_batch_with_stored_duplicates_places_the_others(creditor: Caller) -> None:
    existing = [(await place(creditor))["account"]["reference"] for _ in range(2)]
    items = [placement() for _ in range(4)]
    items[1]["reference"], items[3]["reference"] = existing
    payload = (await creditor.data(PLACE_MANY, {"input": {"items": items}}))["placeAccounts"]
    assert [r["account"] is not None for r in payload["results"]] == [True, False, True, False]
    assert {e["code"] for e in payload["userErrors"]} == {"DUPLICATE_REFERENCE"}
    count = await creditor.data("{ accounts { totalCount } }")
    assert count["accounts"]["totalCount"] == 4


async def test_batch_routes_each_item_by_its_country(
    creditor: Caller, make_caller: Any, backend: Backend
) -> None:
    swedish = await make_caller(OrganizationKind.AGENCY)
    await organization_service.create_routing_rule(
        backend.services,
        creditor_id=creditor.organization_id,
        agency_id=swedish.organization_id,
        country="SE",
    )
    items = [placement(customer={"country": "SE" if i % 2 else "GB"}) for i in range(10)]
    payload = (await creditor.data(PLACE_MANY, {"input": {"items": items}}))["placeAccounts"]
    warnings = [[w["code"] for w in r["warnings"]] for r in payload["results"]]
    assert warnings == [[] if i % 2 else ["ROUTING_NO_AGENCY"] for i in range(10)]
    listing = await swedish.data("{ accounts(first: 100) { nodes { reference version } } }")
    assert sorted(n["reference"] for n in listing["accounts"]["nodes"]) == sorted(
        items[i]["reference"] for i in range(1, 10, 2)
    )
    assert {n["version"] for n in listing["accounts"]["nodes"]} == {2}


def _varied(n: int, tag: str) -> dict[str, Any]:
    """Placements that differ in what they leave out: metadata, email, phone, opt-outs."""
    customer: dict[str, Any] = {"reference": f"VC-{tag}-{n}", "name": f"Kund {n}"}
    if n % 2:
        customer["email"] = None
    if n % 3 == 0:
        customer["phone"] = None
    if n % 4 == 0:
        customer["optedOutChannels"] = ["SMS"]
    amount = {"amountMinor": 1000 + n, "currency": "SEK"}
    return placement(
        reference=f"V-{tag}-{n}",
        customer=customer,
        originalAmount=amount,
        balance=amount,
        metadata=None if n % 2 else {"order": f"ORD-{n}", "lines": [n, {"sku": "A"}]},
    )


async def _stored(backend: Backend, references: list[str]) -> list[dict[str, Any]]:
    """The rows written for these accounts and their customers, without what differs by
    nature (ids, times, references), and whether each JSON value is SQL NULL."""
    a, c = accounts, customers
    differ = {"id", "reference", "customer_id", "placed_at", "updated_at", "created_at"}
    columns = [col for col in (*a.c, *c.c) if col.name not in differ]
    nulls = [
        a.c.metadata.is_(None).label("metadata_is_sql_null"),
        c.c.opted_out_channels.is_(None).label("opt_outs_are_sql_null"),
    ]
    query = (
        sa.select(*columns, *nulls)
        .join(c, c.c.id == a.c.customer_id)
        .where(a.c.reference.in_(references))
        .order_by(a.c.original_amount_minor)
    )
    async with backend.services.store.read() as uow:
        rows = [dict(r) for r in (await uow.conn.execute(query)).mappings()]
    for row in rows:  # ciphertexts differ by their nonce: compare their presence
        for name in ("name_enc", "email_enc", "phone_enc"):
            row[name] = row[name] is not None
    return rows


async def test_a_batch_writes_the_rows_that_single_placements_write(
    creditor: Caller, backend: Backend
) -> None:
    tag = uuid.uuid4().hex[:8]
    batch = [_varied(n, f"B{tag}") for n in range(12)]
    single = [_varied(n, f"S{tag}") for n in range(12)]
    placed = await creditor.data(PLACE_MANY, {"input": {"items": batch}})
    assert placed["placeAccounts"]["placedCount"] == len(batch), placed
    for item in single:
        await place(creditor, **item)
    by_batch = await _stored(backend, [i["reference"] for i in batch])
    one_by_one = await _stored(backend, [i["reference"] for i in single])
    assert len(by_batch) == len(one_by_one) == 12
    assert by_batch == one_by_one
    assert {r["metadata_is_sql_null"] for r in by_batch} == {False}
    assert {r["opt_outs_are_sql_null"] for r in by_batch} == {False, True}
