"""What the hub stores of an idempotent request: a keyed hash that gives away no PII, and
hashes stored by earlier versions (plain SHA-256) that still replay and are keyed in place."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from hub.services.idempotency import KEYED_PREFIX
from hub.store.idempotency import rekey_stored_hashes
from hub.store.tables import idempotency_keys
from tests.conftest import PLACE, Backend, Caller, placement

ADJUST = """mutation($input: AdjustBalanceInput!) {
  adjustBalance(input: $input) { account { id balance { amountMinor } } userErrors { code } }
}"""


def hashed_payload(item: dict[str, Any]) -> dict[str, Any]:
    """The placement as the hub hashes it (every field but the idempotency key)."""
    c = item["customer"]

    def money(m: dict[str, Any]) -> dict[str, Any]:
        return {"amount_minor": m["amountMinor"], "currency": m["currency"]}

    return {
        "reference": item["reference"],
        "customer": {
            "reference": c["reference"],
            "name": c["name"],
            "country": c["country"],
            "email": c.get("email"),
            "phone": c.get("phone"),
            "language": c.get("language"),
            "timezone": c.get("timezone"),
            "opted_out_channels": None,
        },
        "original_amount": money(item["originalAmount"]),
        "balance": money(item["balance"]),
        "due_date": item["dueDate"],
        "product": item["product"],
        "metadata": item["metadata"],
    }


def unkeyed_hash(operation: str, payload: Any) -> str:
    """The hash earlier versions stored: SHA-256 of the request, which anyone can compute."""
    body = orjson.dumps([operation, payload], option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(body).hexdigest()


async def stored_hash(backend: Backend, organization_id: str, key: str) -> str:
    async with backend.services.db.read() as conn:
        found = await conn.scalar(
            sa.select(idempotency_keys.c.request_hash).where(
                idempotency_keys.c.organization_id == organization_id,
                idempotency_keys.c.key == key,
            )
        )
    assert isinstance(found, str)
    return found


async def store_hash(backend: Backend, organization_id: str, key: str, value: str) -> None:
    """Put a hash in the form an earlier hub wrote it (such rows exist in older databases)."""
    async with backend.services.db.transaction() as conn:
        await conn.execute(
            idempotency_keys.update()
            .where(
                idempotency_keys.c.organization_id == organization_id,
                idempotency_keys.c.key == key,
            )
            .values(request_hash=value)
        )


async def test_the_stored_hash_does_not_give_away_the_phone_number(
    creditor: Caller, backend: Backend
) -> None:
    item = placement(idempotencyKey="pii-guess")
    item["customer"]["phone"] = "+46701234567"
    await creditor.data(PLACE, {"input": item})
    stored = await stored_hash(backend, creditor.organization_id, "pii-guess")
    payload = hashed_payload(item)
    # Knowing the request but the phone, try every last digit as an attacker would.
    guesses = []
    for digit in "0123456789":
        payload["customer"]["phone"] = f"+4670123456{digit}"
        guesses.append(unkeyed_hash("placeAccount", payload))
    assert stored not in guesses
    # ... while the hub, which holds the key, recognises the request it stored.
    payload["customer"]["phone"] = "+46701234567"
    assert stored.startswith(KEYED_PREFIX) and len(stored) == 64
    assert backend.services.request_hasher("placeAccount", payload) == stored


async def test_a_request_stored_with_an_unkeyed_hash_still_replays_and_is_keyed_in_place(
    creditor: Caller, backend: Backend
) -> None:
    item = placement(idempotencyKey="legacy-place")
    first = (await creditor.data(PLACE, {"input": item}))["placeAccount"]
    legacy = unkeyed_hash("placeAccount", hashed_payload(item))
    await store_hash(backend, creditor.organization_id, "legacy-place", legacy)

    adjust = {
        "accountId": first["account"]["id"],
        "amount": {"amountMinor": -100, "currency": "SEK"},
        "reason": "late fee waived",
        "idempotencyKey": "legacy-adjust",
    }
    adjusted = (await creditor.data(ADJUST, {"input": adjust}))["adjustBalance"]
    payload = {
        "accountId": adjust["accountId"],
        "amount": {"amount_minor": -100, "currency": "SEK"},
        "reason": "late fee waived",
    }
    await store_hash(
        backend,
        creditor.organization_id,
        "legacy-adjust",
        unkeyed_hash("adjustBalance", payload),
    )

    async def replays() -> None:
        again = (await creditor.data(PLACE, {"input": item}))["placeAccount"]
        assert again["replayed"] is True
        assert again["account"]["id"] == first["account"]["id"]
        changed = {**item, "balance": {"amountMinor": 5, "currency": "SEK"}}
        refused = (await creditor.data(PLACE, {"input": changed}))["placeAccount"]
        assert [e["code"] for e in refused["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
        repeat = (await creditor.data(ADJUST, {"input": adjust}))["adjustBalance"]
        assert repeat == adjusted  # not applied twice
        other = {**adjust, "reason": "another reason"}
        refused = (await creditor.data(ADJUST, {"input": other}))["adjustBalance"]
        assert [e["code"] for e in refused["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]

    await replays()
    assert await rekey_stored_hashes(
        backend.services.db.engine, backend.services.request_hasher.keyed
    )
    for key in ("legacy-place", "legacy-adjust"):
        rekeyed = await stored_hash(backend, creditor.organization_id, key)
        assert rekeyed.startswith(KEYED_PREFIX)
        assert rekeyed != legacy
    await replays()
    assert (
        await rekey_stored_hashes(backend.services.db.engine, backend.services.request_hasher.keyed)
        == 0
    )


async def test_evenly_hub_migrate_keys_the_hashes_earlier_versions_stored(
    creditor: Caller, backend: Backend, tmp_path: Path
) -> None:
    item = placement(idempotencyKey="legacy-migrate")
    await creditor.data(PLACE, {"input": item})
    legacy = unkeyed_hash("placeAccount", hashed_payload(item))
    await store_hash(backend, creditor.organization_id, "legacy-migrate", legacy)
    env = {
        **os.environ,
        "EVENLY_DATA_DIR": str(tmp_path),
        "EVENLY_DATABASE_URL": backend.database_url,
        "EVENLY_ENCRYPTION_KEY": backend.settings.encryption_key,
    }
    migrate = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("evenly-hub")),
        "migrate",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(migrate.communicate(), timeout=120)
    assert migrate.returncode == 0, err.decode()
    rekeyed = await stored_hash(backend, creditor.organization_id, "legacy-migrate")
    assert rekeyed == backend.services.request_hasher.keyed(legacy)
    assert rekeyed.startswith(KEYED_PREFIX)
    again = (await creditor.data(PLACE, {"input": item}))["placeAccount"]
    assert again["replayed"] is True
