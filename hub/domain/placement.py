"""What a valid placement is: the checks on one account a creditor sends to collection."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from typing import Any

import orjson

from hub.domain.account import Product
from hub.domain.contact import is_country, is_e164, is_email, is_language, is_timezone
from hub.domain.errors import Problem
from hub.domain.money import MAX_AMOUNT_MINOR, Money, is_currency
from hub.domain.portal_knowledge import birth_date_ok, normalize_postcode

MAX_REFERENCE_LENGTH = 128
MAX_NAME_LENGTH = 200
MAX_METADATA_BYTES = 8 * 1024
#: Levels of objects and arrays in metadata, the top object being the first. Well below
#: what JSON encoders take (orjson: 255), so metadata can always be stored and sent back.
MAX_METADATA_DEPTH = 32
#: Numbers in metadata stay within the signed 64-bit range: beyond it, JSON libraries and
#: databases round or refuse them (a larger integer sent as a variable is already a float).
_INT64 = 2**63
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
    #: Facts the portal may ask (``hub.domain.portal_knowledge``); None leaves them as they are.
    date_of_birth: dt.date | None = None
    postcode: str | None = None


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
    idempotency_key: str | None = None
    #: The sandbox test run it belongs to (``hub.domain.sandbox``), if any.
    sandbox_tag: str | None = None
    #: The sandbox test clock it lives on (``hub.domain.test_clocks``), if any.
    test_clock_id: str | None = None


def normalize_reference(value: str) -> str:
    """A reference as the hub keeps and compares it: NFKC-normalized, without surrounding
    whitespace. So ``ＩＮＶ－１００１`` (fullwidth) and `` INV-1001 `` are ``INV-1001``."""
    return unicodedata.normalize("NFKC", value).strip()


def normalize_placement(p: Placement) -> Placement:
    """``p`` with its account and customer references normalized (``normalize_reference``)."""
    reference = normalize_reference(p.reference)
    customer_reference = normalize_reference(p.customer.reference)
    if reference == p.reference and customer_reference == p.customer.reference:
        return p
    customer = dataclasses.replace(p.customer, reference=customer_reference)
    return dataclasses.replace(p, reference=reference, customer=customer)


def validate_placement(p: Placement, today: dt.date) -> list[Problem]:
    """Every problem with ``p``, each with a stable code and its input field."""
    problems: list[Problem] = []

    def bad(code: str, message: str, *path: str) -> None:
        problems.append(Problem(code, message, path))

    _check_reference(p.reference, "reference", bad)
    _check_customer(p.customer, bad)
    _check_knowledge(p.customer, today, bad)
    _check_amounts(p, bad)
    if p.due_date > today:
        bad("DUE_DATE_IN_FUTURE", "an account is placed after its due date has passed", "dueDate")
    if p.metadata is not None:
        problem = metadata_problem(p.metadata)
        if problem is not None:
            problems.append(problem)
    if p.idempotency_key is not None and not 1 <= len(p.idempotency_key) <= 255:
        bad("INVALID_IDEMPOTENCY_KEY", "idempotency key must be 1-255 characters", "idempotencyKey")
    return problems


def _check_knowledge(c: CustomerDetails, today: dt.date, bad: Any) -> None:
    if c.date_of_birth is not None and not birth_date_ok(c.date_of_birth, today):
        bad(
            "INVALID_DATE_OF_BIRTH",
            "date of birth must be from 1900-01-01 to today",
            "customer",
            "dateOfBirth",
        )
    if c.postcode is not None and normalize_postcode(c.postcode) is None:
        bad(
            "INVALID_POSTCODE",
            "postcode must be 2-10 letters and digits (spaces and dashes are dropped)",
            "customer",
            "postcode",
        )


def _check_customer(c: CustomerDetails, bad: Any) -> None:
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


def _check_amounts(p: Placement, bad: Any) -> None:
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
    if not money_ok:
        return
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


def metadata_problem(value: Any) -> Problem | None:
    """Why ``value`` cannot be kept as an account's metadata, or None.

    Metadata is a JSON object of at most ``MAX_METADATA_BYTES``, nested at most
    ``MAX_METADATA_DEPTH`` levels, whose numbers are finite and within 64 bits.
    """
    if not isinstance(value, dict):
        return _invalid_metadata("metadata must be a JSON object")
    # Walked with a stack, not recursion: the depth of what is sent is not bounded yet.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_METADATA_DEPTH:
            return _invalid_metadata(
                f"metadata is nested more than {MAX_METADATA_DEPTH} levels deep"
            )
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            elif isinstance(child, int | float) and not _keepable_number(child):
                return _invalid_metadata(
                    f"metadata holds the number {child!r}: numbers must be finite and "
                    "within the signed 64-bit range"
                )
    try:
        size = len(orjson.dumps(value))
    except orjson.JSONEncodeError as error:  # e.g. a lone surrogate in a string
        return _invalid_metadata(f"metadata is not valid JSON: {error}")
    if size > MAX_METADATA_BYTES:
        return Problem(
            "METADATA_TOO_LARGE",
            f"metadata must be at most {MAX_METADATA_BYTES} bytes of JSON",
            ("metadata",),
        )
    return None


def _keepable_number(value: int | float) -> bool:
    if isinstance(value, int):  # bool is an int, always in range
        return -_INT64 <= value < _INT64
    # A float at 2**63 or beyond may be a larger integer that JSON parsing rounded.
    return math.isfinite(value) and abs(value) < _INT64


def _invalid_metadata(message: str) -> Problem:
    return Problem("INVALID_METADATA", message, ("metadata",))


def _check_reference(value: str, field: str, bad: Any) -> None:
    """References are compared in normal form (``normalize_reference``); what remains must be
    printable ASCII, so look-alikes that NFKC keeps apart (Cyrillic ``І`` for ``I``, U+2010
    for ``-``) are refused rather than placed as a second account or customer."""
    normal = normalize_reference(value)
    if not normal or len(normal) > MAX_REFERENCE_LENGTH:
        bad(
            "INVALID_REFERENCE",
            f"reference must be 1-{MAX_REFERENCE_LENGTH} characters (surrounding spaces "
            "do not count)",
            *field.split("."),
        )
        return
    odd = next((c for c in normal if not " " <= c <= "~"), None)
    if odd is not None:
        name = unicodedata.name(odd, "a control character")
        bad(
            "INVALID_REFERENCE",
            f"reference holds U+{ord(odd):04X} ({name}): references are printable ASCII "
            "after NFKC normalization, so look-alike characters cannot name a second account",
            *field.split("."),
        )
