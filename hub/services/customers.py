"""Customer reads: decrypts PII for the organizations allowed to see it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.auth.tokens import Principal
from hub.services.context import ServiceContext
from hub.services.visibility import customer_clause
from hub.store.tables import customers


async def get_customers(
    conn: AsyncConnection, ctx: ServiceContext, principal: Principal, ids: Sequence[str]
) -> dict[str, Mapping[str, Any]]:
    """Customers among ``ids`` that the principal may see, with PII decrypted."""
    rows = await conn.execute(
        sa.select(customers).where(customers.c.id.in_(list(ids)), customer_clause(principal))
    )
    decrypt = ctx.cipher.decrypt
    return {
        r.id: {
            "id": r.id,
            "creditor_id": r.creditor_id,
            "reference": r.reference,
            "name": decrypt(r.name_enc, r.id, "name"),
            "email": decrypt(r.email_enc, r.id, "email"),
            "phone": decrypt(r.phone_enc, r.id, "phone"),
            "country": r.country,
            "language": r.language,
            "timezone": r.timezone,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
        }
        for r in rows
    }
