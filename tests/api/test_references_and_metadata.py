"""Placement input the hub must not trip over: metadata it cannot keep, and references that
only look different (width, surrounding spaces) or only look alike (confusables)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from hub.store.tables import accounts
from tests.conftest import PLACE, PLACE_MANY, Backend, Caller, place, placement

COUNT = "{ accounts { totalCount } }"


def nested(depth: int) -> dict[str, Any]:
    """A metadata object nested ``depth`` levels deep, the top one included."""
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def literal(value: Any) -> str:
    """``value`` as a GraphQL input literal (object keys unquoted)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return json.dumps(value)


def place_literal(metadata: str) -> str:
    """A placeAccount document with every value inline, metadata as the given literal."""
    item = placement()
    c = item["customer"]
    return f"""mutation {{ placeAccount(input: {{
      reference: "{item["reference"]}", product: BNPL_INVOICE, dueDate: "2026-01-31",
      customer: {{reference: "{c["reference"]}", name: "Ada Lind", country: "SE"}},
      originalAmount: {{amountMinor: 1000, currency: "SEK"}},
      balance: {{amountMinor: 1000, currency: "SEK"}},
      metadata: {metadata}, idempotencyKey: "{item["reference"]}" }})
    {{ account {{ id }} userErrors {{ field code message }} }} }}"""


# Metadata the hub cannot keep, as JSON (a variable) and as a GraphQL literal. 2**64 and
# -2**63-1 arrive as floats through JSON variables (the JSON parser does not keep integers
# beyond 64 bits); as literals they are Python integers.
BAD_METADATA: list[tuple[str, Any, str, str]] = [
    ("nested-260", nested(260), literal(nested(40)), "nested more than 32 levels"),
    ("nested-33", nested(33), literal(nested(33)), "nested more than 32 levels"),
    ("int-2**64", {"n": 2**64}, "{n: 18446744073709551616}", "signed 64-bit range"),
    ("int-below-int64", {"n": [-(2**63) - 1]}, "{n: [-9223372036854775809]}", "64-bit"),
    ("huge-int", {"n": 10**40}, "{n: 10000000000000000000000000000000000000000}", "64-bit"),
    ("float-overflow", {"n": 1e308}, "{n: 1e999}", "64-bit"),
]


@pytest.mark.parametrize(
    ("as_json", "as_literal", "says"),
    [case[1:] for case in BAD_METADATA],
    ids=[case[0] for case in BAD_METADATA],
)
async def test_metadata_the_hub_cannot_keep_is_invalid_metadata_and_writes_nothing(
    creditor: Caller, as_json: Any, as_literal: str, says: str
) -> None:
    variable = placement(metadata=as_json, idempotencyKey="bad-metadata")
    payload = (await creditor.data(PLACE, {"input": variable}))["placeAccount"]
    assert payload["account"] is None
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_METADATA", ["metadata"])
    assert says in error["message"]

    inline = (await creditor.data(place_literal(as_literal)))["placeAccount"]
    assert inline["account"] is None
    assert [(e["code"], e["field"]) for e in inline["userErrors"]] == [
        ("INVALID_METADATA", ["metadata"])
    ]
    assert says in inline["userErrors"][0]["message"]
    assert (await creditor.data(COUNT))["accounts"]["totalCount"] == 0


async def test_a_literal_too_deep_for_the_graphql_parser_is_refused_as_too_deep(
    creditor: Caller,
) -> None:
    body = await creditor.graphql(place_literal(literal(nested(260))))
    assert "data" not in body  # refused before execution
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_DEEP"]
    assert (await creditor.data(COUNT))["accounts"]["totalCount"] == 0


async def test_a_batch_refuses_only_the_item_with_bad_metadata(creditor: Caller) -> None:
    items = [placement(idempotencyKey=f"md-{i}") for i in range(3)]
    items[1]["metadata"] = nested(260)
    payload = (await creditor.data(PLACE_MANY, {"input": {"items": items}}))["placeAccounts"]
    assert (payload["placedCount"], payload["failedCount"]) == (2, 1)
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["items", "1", "metadata"], "INVALID_METADATA")
    ]
    # The refused key was not used up: the same key with good metadata places the account.
    items[1]["metadata"] = {"ok": True}
    again = (await creditor.data(PLACE_MANY, {"input": {"items": items}}))["placeAccounts"]
    assert [r["replayed"] for r in again["results"]] == [True, False, True]
    assert (await creditor.data(COUNT))["accounts"]["totalCount"] == 3


async def test_metadata_at_the_limits_is_kept_and_read_back(creditor: Caller) -> None:
    metadata = {"deep": nested(31), "low": -(2**63), "high": 2**63 - 1}
    payload = await place(creditor, metadata=metadata)
    read = await creditor.data(
        "query($id: ID!) { account(id: $id) { metadata } }", {"id": payload["account"]["id"]}
    )
    assert read["account"]["metadata"] == metadata


# --- references ------------------------------------------------------------------------------

#: Eleven ways to write INV-1001 that look the same; none may become a second account.
VARIANTS_OF_INV_1001 = [
    "ＩＮＶ－１００１",  # fullwidth
    "INV-１００１",  # fullwidth digits
    "INV-1001 ",
    " INV-1001",
    "INV-1001\u00a0",  # no-break space
    "\u3000INV-1001",  # ideographic space
    "INV\ufe631001",  # small hyphen-minus
    "INV\u20101001",  # hyphen
    "INV\u22121001",  # minus sign
    "\u0406NV-1001",  # Cyrillic I
    "\u0399NV-1001",  # Greek capital iota
]


async def test_references_that_only_look_different_never_make_a_second_account(
    creditor: Caller,
) -> None:
    first = await place(creditor, reference="INV-1001")
    codes = []
    for variant in VARIANTS_OF_INV_1001:
        payload = (await creditor.data(PLACE, {"input": placement(reference=variant)}))[
            "placeAccount"
        ]
        assert payload["account"] is None, variant
        [error] = payload["userErrors"]
        assert error["field"] == ["reference"]
        codes.append(error["code"])
    # Width and spaces normalize to INV-1001; look-alikes NFKC keeps apart are refused.
    assert codes == ["DUPLICATE_REFERENCE"] * 7 + ["INVALID_REFERENCE"] * 4
    listing = await creditor.data("{ accounts { totalCount nodes { id reference } } }")
    assert listing["accounts"]["nodes"] == [{"id": first["account"]["id"], "reference": "INV-1001"}]


async def test_a_customer_reference_with_a_trailing_space_is_the_same_customer(
    creditor: Caller,
) -> None:
    customer = {"reference": "CUST-77", "optedOutChannels": ["EMAIL", "CALL"]}
    first = await place(creditor, customer=customer)
    second = await place(creditor, customer={"reference": "CUST-77 "})
    third = await place(creditor, customer={"reference": "ＣＵＳＴ-77"})
    ids = {p["account"]["customer"]["id"] for p in (first, second, third)}
    assert ids == {first["account"]["customer"]["id"]}
    read = await creditor.data(
        "query($id: ID!) { node(id: $id) { ... on Customer { reference optedOutChannels } } }",
        {"id": first["account"]["customer"]["id"]},
    )
    assert read["node"] == {"reference": "CUST-77", "optedOutChannels": ["EMAIL", "CALL"]}


async def test_lookups_by_reference_find_the_normalized_reference(
    routed: tuple[Caller, Caller],
) -> None:
    creditor, agency = routed
    placed = await place(creditor, reference=" ＩＮＶ－２００２ ")
    account_id = placed["account"]["id"]
    assert placed["account"]["reference"] == "INV-2002"
    one = "query($r: String!) { account(reference: $r) { id reference } }"
    listed = "query($r: String!) { accounts(filter: {reference: $r}) { nodes { id } } }"
    for caller in (creditor, agency):
        for sent in ("INV-2002", "INV-2002 ", "ＩＮＶ－２００２"):
            found = await caller.data(one, {"r": sent})
            assert found["account"] == {"id": account_id, "reference": "INV-2002"}, sent
            nodes = (await caller.data(listed, {"r": sent}))["accounts"]["nodes"]
            assert nodes == [{"id": account_id}], sent


async def test_a_reference_stored_before_normalization_is_found_as_stored(
    creditor: Caller, backend: Backend
) -> None:
    placed = await place(creditor, reference="INV-3003")
    account_id = placed["account"]["id"]
    # An account placed by an older hub kept its reference exactly as sent.
    async with backend.services.db.transaction() as conn:
        await conn.execute(
            accounts.update().where(accounts.c.id == account_id).values(reference="INV-3003 ")
        )
    one = "query($r: String!) { account(reference: $r) { id } }"
    assert (await creditor.data(one, {"r": "INV-3003 "}))["account"] == {"id": account_id}
    listed = "query($r: String!) { accounts(filter: {reference: $r}) { totalCount } }"
    assert (await creditor.data(listed, {"r": "INV-3003 "}))["accounts"]["totalCount"] == 1
    # Its normal form is free again: an account placed under it wins the normal lookup.
    newer = await place(creditor, reference="INV-3003")
    assert (await creditor.data(one, {"r": "INV-3003 "}))["account"] == {
        "id": newer["account"]["id"]
    }
    async with backend.services.db.read() as conn:
        stored = await conn.execute(
            sa.select(accounts.c.reference).where(
                accounts.c.creditor_id == creditor.organization_id
            )
        )
        assert sorted(stored.scalars()) == ["INV-3003", "INV-3003 "]
