"""What a valid placement is: the checks on one account a creditor sends to collection."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hub.domain.account import Product
from hub.domain.contact import is_country, is_e164, is_email, is_language, is_timezone
from hub.domain.errors import Problem
from hub.domain.money import MAX_AMOUNT_MINOR, Money, is_currency

MAX_REFERENCE_LENGTH = 128
MAX_NAME_LENGTH = 200
MAX_METADATA_BYTES = 8 * 1024
MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class CustomerDetails:
    reference: str
    name: str
    country: str
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    timezone: str | None = None
    #: Channels the customer refused; None leaves a known customer's opt-outs as they are.
    opted_out_channels: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    """One account as the creditor describes it."""

    reference: str
    customer: CustomerDetails
    original_amount: Money
    balance: Money
    due_date: dt.date
    product: Product
    #: A JSON object as sent; anything else is refused with INVALID_METADATA.
    metadata: Any = None
    metadata_size: int = 0
    idempotency_key: str | None = None


def validate_placement(p: Placement, today: dt.date) -> list[Problem]:
    """Every problem with ``p``, each with a stable code and its input field."""
    problems: list[Problem] = []

    def bad(code: str, message: str, *path: str) -> None:
        problems.append(Problem(code, message, path))

    _check_reference(p.reference, "reference", bad)
    c = p.customer
    _check_reference(c.reference, "customer.reference", bad)
    if not c.name.strip() or len(c.name) > MAX_NAME_LENGTH:
        bad("INVALID_NAME", f"name must be 1-{MAX_NAME_LENGTH} characters", "customer", "name")
    if not is_country(c.country):
        bad("INVALID_COUNTRY", "not an ISO 3166-1 alpha-2 country code", "customer", "country")
    if c.email is not None and not is_email(c.email):
        bad("INVALID_EMAIL", "not a valid email address", "customer", "email")
    if c.phone is not None and not is_e164(c.phone):
        bad("INVALID_PHONE", "not an E.164 phone number (e.g. +14155550123)", "customer", "phone")
    if c.language is not None and not is_language(c.language):
        bad(
            "INVALID_LANGUAGE", "not a BCP 47 language tag (e.g. en, sv-SE)", "customer", "language"
        )
    if c.timezone is not None and not is_timezone(c.timezone):
        bad(
            "INVALID_TIMEZONE",
            "not an IANA time zone (e.g. Europe/Stockholm)",
            "customer",
            "timezone",
        )

    money_ok = True
    for name, money in (("originalAmount", p.original_amount), ("balance", p.balance)):
        if not is_currency(money.currency):
            bad("INVALID_CURRENCY", "not an ISO 4217 currency code", name, "currency")
            money_ok = False
        if not 0 < money.amount_minor <= MAX_AMOUNT_MINOR:
            bad(
                "INVALID_AMOUNT",
                "amount must be a positive number of minor units",
                name,
                "amountMinor",
            )
            money_ok = False
    if money_ok:
        if p.balance.currency != p.original_amount.currency:
            bad(
                "CURRENCY_MISMATCH",
                "balance and original amount differ in currency",
                "balance",
                "currency",
            )
        elif p.balance.amount_minor > p.original_amount.amount_minor:
            bad(
                "BALANCE_ABOVE_ORIGINAL",
                "balance cannot exceed the original amount",
                "balance",
                "amountMinor",
            )
    if p.due_date > today:
        bad("DUE_DATE_IN_FUTURE", "an account is placed after its due date has passed", "dueDate")
    if p.metadata is not None and not isinstance(p.metadata, dict):
        bad("INVALID_METADATA", "metadata must be a JSON object", "metadata")
    elif p.metadata_size > MAX_METADATA_BYTES:
        bad(
            "METADATA_TOO_LARGE",
            f"metadata must be at most {MAX_METADATA_BYTES} bytes of JSON",
            "metadata",
        )
    if p.idempotency_key is not None and not 1 <= len(p.idempotency_key) <= 255:
        bad("INVALID_IDEMPOTENCY_KEY", "idempotency key must be 1-255 characters", "idempotencyKey")
    return problems


def _check_reference(value: str, field: str, bad: Any) -> None:
    if not value.strip() or len(value) > MAX_REFERENCE_LENGTH or not value.isprintable():
        bad(
            "INVALID_REFERENCE",
            f"reference must be 1-{MAX_REFERENCE_LENGTH} printable characters",
            *field.split("."),
        )
