"""Customer reads: decrypts PII for the organizations allowed to see it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.tokens import Principal
from hub.services.context import ServiceContext
from hub.services.visibility import customer_clause, customer_pii_clause
from hub.store.tables import customers


def customer_key(creditor_id: str, reference: str) -> str:
    """What a customer's PII ciphertexts are bound to: its creditor and its reference."""
    return f"{len(creditor_id)}:{creditor_id}:{reference}"


async def get_customers(
    conn: AsyncConnection, ctx: ServiceContext, principal: Principal, ids: Sequence[str]
) -> dict[str, Mapping[str, Any]]:
    """Customers among ``ids`` that the principal may see, with PII decrypted where the
    principal may read it (``visibility.customer_pii_clause``; else None, ``pii_visible``
    False)."""
    rows = await conn.execute(
        sa.select(customers, customer_pii_clause(principal).label("pii_visible")).where(
            customers.c.id.in_(list(ids)), customer_clause(principal)
        )
    )
    decrypt = ctx.cipher.decrypt
    out: dict[str, Mapping[str, Any]] = {}
    for r in rows:
        key = customer_key(r.creditor_id, r.reference)
        # Hidden PII is not even decrypted.
        visible = bool(r.pii_visible)
        out[r.id] = {
            "id": r.id,
            "creditor_id": r.creditor_id,
            "reference": r.reference,
            "pii_visible": visible,
            "name": decrypt(r.name_enc, key, "name") if visible else None,
            "email": decrypt(r.email_enc, key, "email") if visible else None,
            "phone": decrypt(r.phone_enc, key, "phone") if visible else None,
            "country": r.country,
            "language": r.language,
            "timezone": r.timezone,
            "opted_out_channels": r.opted_out_channels or [],
            "created_at": r.created_at,
            "updated_at": r.updated_at,
        }
    return out
