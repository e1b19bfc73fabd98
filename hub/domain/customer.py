"""A creditor's customer: who owes the accounts, how to reach them, what they refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.domain.contact_hours import ContactHours
from hub.domain.vocabulary import ContactChannel


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer as the hub keeps it. ``name``, ``email`` and ``phone`` are personal data:
    stored encrypted, and shown only to whoever may see them."""

    id: str
    creditor_id: str
    reference: str
    name: str | None
    email: str | None
    phone: str | None
    country: str
    language: str | None
    timezone: str | None
    #: Channels the customer refused.
    opted_out_channels: tuple[ContactChannel, ...]
    created_at: dt.datetime
    updated_at: dt.datetime
    #: Whether the reader may see ``name``, ``email`` and ``phone`` (None when not).
    personal_data_visible: bool = True
    #: The hours the customer asked to be contacted in (None: no preference).
    contact_hours: ContactHours | None = None


@dataclass(frozen=True, slots=True)
class Debtor:
    """What the compliance rules need to know of an account's customer."""

    timezone: str | None
    phone: str | None
    opted_out: frozenset[ContactChannel]
    contact_hours: ContactHours | None = None
