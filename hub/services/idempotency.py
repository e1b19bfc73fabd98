"""Idempotency keys: the same key with the same input returns the first result.

A key is scoped to the organization. The stored result is the id of what the first request
created or changed; a replay returns that object as it is now. The same key with a different
input, or for another operation, is refused with ``IDEMPOTENCY_KEY_REUSED``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.domain.errors import Problem
from hub.store.tables import idempotency_keys

REUSED = "IDEMPOTENCY_KEY_REUSED"
_FIND = sa.select(idempotency_keys).where(
    idempotency_keys.c.organization_id == sa.bindparam("organization_id"),
    idempotency_keys.c.key.in_(sa.bindparam("keys", expanding=True)),
)


def request_hash(operation: str, payload: Any) -> str:
    body = orjson.dumps([operation, payload], option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(body).hexdigest()


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
