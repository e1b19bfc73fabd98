"""Idempotency keys in storage: the first result of a write made with a key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.store.session import Session
from hub.store.tables import idempotency_keys

_FIND = sa.select(idempotency_keys).where(
    idempotency_keys.c.organization_id == sa.bindparam("organization_id"),
    idempotency_keys.c.key.in_(sa.bindparam("keys", expanding=True)),
)
_REKEY_BATCH = 500


@dataclass(frozen=True, slots=True)
class StoredKey:
    operation: str
    request_hash: str
    #: The ids of what the first request created or changed.
    result: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class NewKey:
    organization_id: str
    key: str
    operation: str
    request_hash: str
    created_at: dt.datetime


Insert = tuple[sa.Table, Mapping[str, Any]]


class IdempotencyKeys:
    """The idempotency keys repository of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def find(self, organization_id: str, key: str) -> StoredKey | None:
        return (await self.find_many(organization_id, [key])).get(key)

    async def find_many(self, organization_id: str, keys: Collection[str]) -> dict[str, StoredKey]:
        """Stored keys among ``keys``, by key."""
        if not keys:
            return {}
        rows = await self._uow.conn.execute(
            _FIND, {"organization_id": organization_id, "keys": list(keys)}
        )
        return {r.key: StoredKey(r.operation, r.request_hash, r.result) for r in rows}

    @staticmethod
    def insert_of(key: NewKey, result: Mapping[str, str]) -> Insert:
        """The row that records ``key`` with its ``result``, to write with the change."""
        row = {
            "organization_id": key.organization_id,
            "key": key.key,
            "operation": key.operation,
            "request_hash": key.request_hash,
            "result": dict(result),
            "created_at": key.created_at,
        }
        return idempotency_keys, row

    async def save(self, inserts: Sequence[Insert]) -> None:
        if inserts:
            await self._uow.conn.execute(idempotency_keys.insert(), [dict(r) for _, r in inserts])


async def rekey_stored_hashes(engine: AsyncEngine, keyed: Callable[[str], str]) -> int:
    """Rewrite the request hashes stored by earlier versions into ``keyed`` form, in place;
    how many were rewritten. Rows already in keyed form (``keyed(h) == h``) are skipped.

    Safe to run on several nodes at once: a row is only rewritten from the form it was read in.
    """
    legacy = (
        sa.select(
            idempotency_keys.c.organization_id,
            idempotency_keys.c.key,
            idempotency_keys.c.request_hash,
        )
        .where(idempotency_keys.c.request_hash.not_like("k1:%"))
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
                {"_organization_id": org, "_key": key, "_old": old, "_new": keyed(old)}
                for org, key, old in rows
            ]
            if batch:
                await conn.execute(rewrite, batch)
        rewritten += len(batch)
        if len(rows) < _REKEY_BATCH:
            return rewritten
