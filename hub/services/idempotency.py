"""Idempotency keys: the same key with the same input returns the first result.

A key is scoped to the organization. The stored result is the id of what the first request
created or changed; a replay returns that object as it is now. The same key with a different
input, or for another operation, is refused with ``IDEMPOTENCY_KEY_REUSED``.

What is stored of the request is a keyed hash: HMAC-SHA256, under a key derived from the
PII encryption key, of the SHA-256 of the request. The request holds customer PII; a plain
hash of it would let anyone who reads the table confirm guesses of a phone number.
Hashes written by earlier versions (the bare SHA-256, 64 hex digits) are keyed in place by
``rekey_stored_hashes`` (``evenly-hub migrate``, and ``serve`` before it starts), and a
replay compares them in keyed form meanwhile, so a request stored before still replays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Collection, Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.domain.errors import Problem
from hub.store.pii import FieldCipher
from hub.store.tables import idempotency_keys

REUSED = "IDEMPOTENCY_KEY_REUSED"
_FIND = sa.select(idempotency_keys).where(
    idempotency_keys.c.organization_id == sa.bindparam("organization_id"),
    idempotency_keys.c.key.in_(sa.bindparam("keys", expanding=True)),
)
#: Marks the keyed form; it and 61 hex digits (244 bits) fit the 64 characters of the column.
KEYED_PREFIX = "k1:"
_KEY_PURPOSE = b"evenly idempotency request hash v1"
_REKEY_BATCH = 500


class RequestHasher:
    """Hashes requests for idempotency under a server-side key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_cipher(cls, cipher: FieldCipher) -> RequestHasher:
        """Keyed by a key derived from the PII key: nothing new to configure or share."""
        return cls(cipher.derive_key(_KEY_PURPOSE))

    def __call__(self, operation: str, payload: Any) -> str:
        """The stored form of a request: ``k1:`` and the keyed hash of its canonical JSON."""
        body = orjson.dumps([operation, payload], option=orjson.OPT_SORT_KEYS, default=str)
        return self._keyed(hashlib.sha256(body).digest())

    def matches(self, stored: str, request_hash: str) -> bool:
        """Whether a stored hash, of either form, is that of the request hashed here."""
        return hmac.compare_digest(self.keyed(stored), request_hash)

    def keyed(self, stored: str) -> str:
        """A stored hash in keyed form; one of an earlier version (bare SHA-256) is keyed."""
        if stored.startswith(KEYED_PREFIX):
            return stored
        try:
            digest = bytes.fromhex(stored)
        except ValueError:  # nothing a hub wrote: keep it matching no request
            return KEYED_PREFIX + "unusable"
        return self._keyed(digest)

    def _keyed(self, digest: bytes) -> str:
        mac = hmac.new(self._key, digest, hashlib.sha256).hexdigest()
        return KEYED_PREFIX + mac[: 64 - len(KEYED_PREFIX)]


async def rekey_stored_hashes(engine: AsyncEngine, hasher: RequestHasher) -> int:
    """Key the hashes stored by earlier versions in place; how many were rewritten.

    Safe to run on several nodes at once: a row is only rewritten from the form it was read in.
    """
    legacy = (
        sa.select(
            idempotency_keys.c.organization_id,
            idempotency_keys.c.key,
            idempotency_keys.c.request_hash,
        )
        .where(idempotency_keys.c.request_hash.not_like(f"{KEYED_PREFIX}%"))
        .limit(_REKEY_BATCH)
    )
    rewrite = (
        idempotency_keys.update()
        .where(
            idempotency_keys.c.organization_id == sa.bindparam("_organization_id"),
            idempotency_keys.c.key == sa.bindparam("_key"),
            idempotency_keys.c.request_hash == sa.bindparam("_old"),
        )
        .values(request_hash=sa.bindparam("_new"))
    )
    rewritten = 0
    while True:
        async with engine.begin() as conn:
            rows = (await conn.execute(legacy)).all()
            batch = [
                {"_organization_id": org, "_key": key, "_old": old, "_new": hasher.keyed(old)}
                for org, key, old in rows
            ]
            if batch:
                await conn.execute(rewrite, batch)
        rewritten += len(batch)
        if len(rows) < _REKEY_BATCH:
            return rewritten


def reused_problem(*path: str) -> Problem:
    return Problem(
        REUSED,
        "this idempotency key was used with a different request",
        (*path, "idempotencyKey"),
    )


async def find(
    conn: AsyncConnection, organization_id: str, keys: Collection[str]
) -> dict[str, Mapping[Any, Any]]:
    """Stored keys among ``keys``, by key."""
    if not keys:
        return {}
    rows = await conn.execute(_FIND, {"organization_id": organization_id, "keys": list(keys)})
    return {r.key: r._mapping for r in rows}


def record(
    organization_id: str,
    key: str,
    operation: str,
    hash_: str,
    result: dict[str, Any],
    now: dt.datetime,
) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "key": key,
        "operation": operation,
        "request_hash": hash_,
        "result": result,
        "created_at": now,
    }


async def save(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(idempotency_keys.insert(), rows)
