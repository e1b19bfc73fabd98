"""Customers in storage: personal data encrypted at rest, decrypted for whoever may see it.

A customer's name, email and phone are AES-GCM ciphertexts bound to the customer (its
creditor and reference, ``customer_key``) and to their column, so a ciphertext copied into
another row or column fails to decrypt. Who may read them is ``visibility``'s rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from hub.auth.tokens import Principal
from hub.domain.contact_hours import ContactHours, stored_hours
from hub.domain.customer import Customer, Debtor
from hub.domain.vocabulary import ContactChannel
from hub.store.session import Session
from hub.store.tables import customers
from hub.store.visibility import customer_clause, customer_pii_clause


def customer_key(creditor_id: str, reference: str) -> str:
    """What a customer's PII ciphertexts are bound to: its creditor and its reference."""
    return f"{len(creditor_id)}:{creditor_id}:{reference}"


def _channels(value: Sequence[str] | None) -> tuple[ContactChannel, ...]:
    return tuple(ContactChannel(c) for c in value or ())


class Customers:
    """The customers repository of a unit of work."""

    def __init__(self, uow: Session) -> None:
        self._uow = uow

    async def get_many(self, principal: Principal, ids: Sequence[str]) -> dict[str, Customer]:
        """Customers among ``ids`` that the principal may see, with their personal data
        where the principal may read it (hidden data is not even decrypted)."""
        rows = await self._uow.conn.execute(
            sa.select(customers, customer_pii_clause(principal).label("pii_visible")).where(
                customers.c.id.in_(list(ids)), customer_clause(principal)
            )
        )
        return {row.id: self._customer(row._mapping) for row in rows}

    async def get_visible(self, principal: Principal, id_: str) -> Customer | None:
        return (await self.get_many(principal, [id_])).get(id_)

    async def debtor(self, customer_id: str) -> Debtor:
        """What the compliance rules need of a customer (its phone decrypted)."""
        row = (
            await self._uow.conn.execute(
                sa.select(
                    customers.c.creditor_id,
                    customers.c.reference,
                    customers.c.timezone,
                    customers.c.phone_enc,
                    customers.c.opted_out_channels,
                    customers.c.contact_hours,
                ).where(customers.c.id == customer_id)
            )
        ).one()
        key = customer_key(row.creditor_id, row.reference)
        return Debtor(
            timezone=row.timezone,
            phone=self._uow.cipher.decrypt(row.phone_enc, key, "phone"),
            opted_out=frozenset(_channels(row.opted_out_channels)),
            contact_hours=stored_hours(row.contact_hours),
        )

    async def country(self, customer_id: str) -> str:
        """The customer's country of residence."""
        found = await self._uow.conn.scalar(
            sa.select(customers.c.country).where(customers.c.id == customer_id)
        )
        return str(found)

    async def set_contact_hours(
        self, customer_id: str, hours: ContactHours | None, now: dt.datetime
    ) -> None:
        await self._uow.conn.execute(
            customers.update()
            .where(customers.c.id == customer_id)
            .values(contact_hours=hours.text() if hours is not None else None, updated_at=now)
        )

    async def set_opted_out(
        self, customer_id: str, channels: Sequence[ContactChannel], now: dt.datetime
    ) -> None:
        await self._uow.conn.execute(
            customers.update()
            .where(customers.c.id == customer_id)
            .values(opted_out_channels=[c.value for c in channels], updated_at=now)
        )

    def _customer(self, row: Mapping[Any, Any]) -> Customer:
        visible = bool(row["pii_visible"])
        key = customer_key(row["creditor_id"], row["reference"])

        def personal(column: str) -> str | None:
            if not visible:
                return None
            return self._uow.cipher.decrypt(row[f"{column}_enc"], key, column)

        return Customer(
            id=row["id"],
            creditor_id=row["creditor_id"],
            reference=row["reference"],
            name=personal("name"),
            email=personal("email"),
            phone=personal("phone"),
            country=row["country"],
            language=row["language"],
            timezone=row["timezone"],
            opted_out_channels=_channels(row["opted_out_channels"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            personal_data_visible=visible,
            contact_hours=stored_hours(row["contact_hours"]),
        )
