"""What the portal may ask a debtor (``hub.domain.portal_knowledge``), in storage.

Only keyed hashes are kept: HMAC-SHA256 under a key derived from the PII key, over the
customer's id and the fact's kind and normal form, so a copy of the database neither shows
a date of birth nor lets one be checked offline, and the same fact of two customers hashes
differently. A placement sets the facts it gives and leaves the others as they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence

import sqlalchemy as sa

from hub.domain.portal_knowledge import DATE_OF_BIRTH, POSTCODE, fact_message, normalize_postcode
from hub.store.portal_tables import customer_knowledge
from hub.store.session import Session

_PURPOSE = b"evenly portal knowledge v1"
_COLUMNS = {DATE_OF_BIRTH: "dob_hash", POSTCODE: "postcode_hash"}


def fact_hash(uow: Session, customer_id: str, factor: str, value: dt.date | str) -> str:
    key = uow.cipher.derive_key(_PURPOSE)
    message = f"{customer_id}:{fact_message(factor, value)}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


async def remember(
    uow: Session,
    facts: Sequence[tuple[str, dt.date | None, str | None]],
    now: dt.datetime,
) -> None:
    """Store ``(customer id, date of birth, postcode)`` facts; a None keeps what was kept."""
    for customer_id, born, postcode in facts:
        values: dict[str, str] = {}
        if born is not None:
            values["dob_hash"] = fact_hash(uow, customer_id, DATE_OF_BIRTH, born)
        normal = normalize_postcode(postcode) if postcode is not None else None
        if normal is not None:
            values["postcode_hash"] = fact_hash(uow, customer_id, POSTCODE, normal)
        if not values:
            continue
        statement = uow.dialect.insert(customer_knowledge).values(
            customer_id=customer_id, updated_at=now, **values
        )
        await uow.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[customer_knowledge.c.customer_id],
                set_={**values, "updated_at": now},
            )
        )


async def has_fact(uow: Session, customer_id: str, factor: str) -> bool:
    column = customer_knowledge.c[_COLUMNS[factor]]
    found = await uow.conn.execute(
        sa.select(column).where(customer_knowledge.c.customer_id == customer_id)
    )
    return found.scalar() is not None


async def fact_matches(uow: Session, customer_id: str, factor: str, value: dt.date | str) -> bool:
    """Whether ``value`` (in normal form) is the customer's stored fact of ``factor``."""
    column = customer_knowledge.c[_COLUMNS[factor]]
    stored = (
        await uow.conn.execute(
            sa.select(column).where(customer_knowledge.c.customer_id == customer_id)
        )
    ).scalar()
    if stored is None:
        return False
    return hmac.compare_digest(stored, fact_hash(uow, customer_id, factor, value))
