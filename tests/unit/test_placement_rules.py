"""What a valid placement is, and which agency a placed account is routed to."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.account import Product
from hub.domain.money import Money
from hub.domain.placement import (
    CustomerDetails,
    Placement,
    validate_placement,
)

TODAY = dt.date(2025, 3, 14)


def customer(**overrides: Any) -> CustomerDetails:
    fields: dict[str, Any] = {
        "reference": "cust-42",
        "name": "Ada Lovelace",
        "country": "SE",
        "email": "ada@example.com",
        "phone": "+46701234567",
        "language": "sv-SE",
        "timezone": "Europe/Stockholm",
    }
    return CustomerDetails(**{**fields, **overrides})


def placement(**overrides: Any) -> Placement:
    """A placement every rule accepts; ``overrides`` replace single fields."""
    fields: dict[str, Any] = {
        "reference": "inv-2025-0001",
        "customer": customer(),
        "original_amount": Money(125_00, "SEK"),
        "balance": Money(100_00, "SEK"),
        "due_date": TODAY - dt.timedelta(days=30),
        "product": Product.BNPL_INVOICE,
        "metadata": {"order": "A-1"},
        "metadata_size": 15,
        "idempotency_key": "place-inv-2025-0001",
    }
    return Placement(**{**fields, **overrides})


def with_customer(**overrides: Any) -> Placement:
    return placement(customer=customer(**overrides))


def reported(p: Placement) -> list[tuple[str, tuple[str, ...]]]:
    return [(problem.code, problem.field) for problem in validate_placement(p, TODAY)]


def test_valid_placement_has_no_problems() -> None:
    assert validate_placement(placement(), TODAY) == []


def test_placement_without_optional_contact_details_is_valid() -> None:
    bare = with_customer(email=None, phone=None, language=None, timezone=None)
    assert validate_placement(dataclasses.replace(bare, idempotency_key=None), TODAY) == []


@pytest.mark.parametrize(
    "make",
    [
        lambda: placement(reference="r" * 128),
        lambda: with_customer(reference="c" * 128),
        lambda: with_customer(name="n" * 200),
        lambda: placement(balance=Money(125_00, "SEK")),  # balance equal to the original
        lambda: placement(original_amount=Money(2**31 - 1, "SEK")),  # largest GraphQL Int
        lambda: placement(due_date=TODAY),
        lambda: placement(metadata_size=8 * 1024),
        lambda: placement(idempotency_key="k"),
        lambda: placement(idempotency_key="k" * 255),
    ],
    ids=[
        "reference-128",
        "customer-reference-128",
        "name-200",
        "balance-equals-original",
        "amount-max-int32",
        "due-today",
        "metadata-8KiB",
        "idempotency-key-1",
        "idempotency-key-255",
    ],
)
def test_values_at_the_limits_are_accepted(make: Callable[[], Placement]) -> None:
    assert reported(make()) == []


BAD_FIELDS: list[tuple[str, Callable[[], Placement], str, tuple[str, ...]]] = [
    ("empty-reference", lambda: placement(reference=""), "INVALID_REFERENCE", ("reference",)),
    ("blank-reference", lambda: placement(reference="   "), "INVALID_REFERENCE", ("reference",)),
    ("long-reference", lambda: placement(reference="r" * 129), "INVALID_REFERENCE", ("reference",)),
    (
        "unprintable-reference",
        lambda: placement(reference="inv\n1"),
        "INVALID_REFERENCE",
        ("reference",),
    ),
    (
        "empty-customer-reference",
        lambda: with_customer(reference=""),
        "INVALID_REFERENCE",
        ("customer", "reference"),
    ),
    (
        "long-customer-reference",
        lambda: with_customer(reference="c" * 129),
        "INVALID_REFERENCE",
        ("customer", "reference"),
    ),
    ("empty-name", lambda: with_customer(name=""), "INVALID_NAME", ("customer", "name")),
    ("blank-name", lambda: with_customer(name=" \t "), "INVALID_NAME", ("customer", "name")),
    ("long-name", lambda: with_customer(name="n" * 201), "INVALID_NAME", ("customer", "name")),
    (
        "lower-case-country",
        lambda: with_customer(country="se"),
        "INVALID_COUNTRY",
        ("customer", "country"),
    ),
    (
        "unknown-country",
        lambda: with_customer(country="XX"),
        "INVALID_COUNTRY",
        ("customer", "country"),
    ),
    (
        "alpha3-country",
        lambda: with_customer(country="SWE"),
        "INVALID_COUNTRY",
        ("customer", "country"),
    ),
    (
        "email-without-at",
        lambda: with_customer(email="ada.example.com"),
        "INVALID_EMAIL",
        ("customer", "email"),
    ),
    (
        "email-without-domain",
        lambda: with_customer(email="ada@"),
        "INVALID_EMAIL",
        ("customer", "email"),
    ),
    (
        "national-phone",
        lambda: with_customer(phone="0701234567"),
        "INVALID_PHONE",
        ("customer", "phone"),
    ),
    (
        "language-name",
        lambda: with_customer(language="Swedish"),
        "INVALID_LANGUAGE",
        ("customer", "language"),
    ),
    (
        "underscore-language",
        lambda: with_customer(language="sv_SE"),
        "INVALID_LANGUAGE",
        ("customer", "language"),
    ),
    (
        "unknown-timezone",
        lambda: with_customer(timezone="Mars/Base"),
        "INVALID_TIMEZONE",
        ("customer", "timezone"),
    ),
    (
        "lower-case-original-currency",
        lambda: placement(original_amount=Money(125_00, "sek"), balance=Money(100_00, "SEK")),
        "INVALID_CURRENCY",
        ("originalAmount", "currency"),
    ),
    (
        "unknown-balance-currency",
        lambda: placement(balance=Money(100_00, "ABC")),
        "INVALID_CURRENCY",
        ("balance", "currency"),
    ),
    (
        "zero-original-amount",
        lambda: placement(original_amount=Money(0, "SEK")),
        "INVALID_AMOUNT",
        ("originalAmount", "amountMinor"),
    ),
    (
        "zero-balance",
        lambda: placement(balance=Money(0, "SEK")),
        "INVALID_AMOUNT",
        ("balance", "amountMinor"),
    ),
    (
        "negative-balance",
        lambda: placement(balance=Money(-1, "SEK")),
        "INVALID_AMOUNT",
        ("balance", "amountMinor"),
    ),
    (
        "original-above-int32",
        lambda: placement(original_amount=Money(2**31, "SEK")),
        "INVALID_AMOUNT",
        ("originalAmount", "amountMinor"),
    ),
    (
        "currency-mismatch",
        lambda: placement(balance=Money(100_00, "EUR")),
        "CURRENCY_MISMATCH",
        ("balance", "currency"),
    ),
    (
        "balance-above-original",
        lambda: placement(balance=Money(125_01, "SEK")),
        "BALANCE_ABOVE_ORIGINAL",
        ("balance", "amountMinor"),
    ),
    (
        "due-tomorrow",
        lambda: placement(due_date=TODAY + dt.timedelta(days=1)),
        "DUE_DATE_IN_FUTURE",
        ("dueDate",),
    ),
    (
        "metadata-over-8KiB",
        lambda: placement(metadata_size=8 * 1024 + 1),
        "METADATA_TOO_LARGE",
        ("metadata",),
    ),
    (
        "empty-idempotency-key",
        lambda: placement(idempotency_key=""),
        "INVALID_IDEMPOTENCY_KEY",
        ("idempotencyKey",),
    ),
    (
        "long-idempotency-key",
        lambda: placement(idempotency_key="k" * 256),
        "INVALID_IDEMPOTENCY_KEY",
        ("idempotencyKey",),
    ),
]


@pytest.mark.parametrize(
    ("make", "code", "path"),
    [case[1:] for case in BAD_FIELDS],
    ids=[case[0] for case in BAD_FIELDS],
)
def test_bad_field_is_reported_with_its_code_and_path(
    make: Callable[[], Placement], code: str, path: tuple[str, ...]
) -> None:
    assert reported(make()) == [(code, path)]


def test_every_bad_field_is_reported_at_once() -> None:
    bad = placement(
        reference="",
        customer=customer(country="XX", email="nope", phone="12345", timezone="../etc"),
        balance=Money(999_99, "SEK"),
        due_date=TODAY + dt.timedelta(days=7),
        idempotency_key="",
    )

    assert set(reported(bad)) == {
        ("INVALID_REFERENCE", ("reference",)),
        ("INVALID_COUNTRY", ("customer", "country")),
        ("INVALID_EMAIL", ("customer", "email")),
        ("INVALID_PHONE", ("customer", "phone")),
        ("INVALID_TIMEZONE", ("customer", "timezone")),
        ("BALANCE_ABOVE_ORIGINAL", ("balance", "amountMinor")),
        ("DUE_DATE_IN_FUTURE", ("dueDate",)),
        ("INVALID_IDEMPOTENCY_KEY", ("idempotencyKey",)),
    }


def test_each_problem_carries_a_human_message() -> None:
    problems = validate_placement(placement(reference="", balance=Money(0, "SEK")), TODAY)
    assert problems
    assert all(problem.message.strip() for problem in problems)


# --- property: generated valid placements --------------------------------------------------

# Printable, non-blank references: letters, digits, punctuation and inner spaces.
_REFERENCE_CHARS = st.characters(categories=("L", "N", "P", "S"), codec="utf-8")
references = st.builds(
    lambda head, tail: head + tail,
    _REFERENCE_CHARS,
    st.text(st.one_of(_REFERENCE_CHARS, st.just(" ")), max_size=127),
)
names = st.builds(
    lambda head, tail: head + tail,
    _REFERENCE_CHARS,
    st.text(st.one_of(_REFERENCE_CHARS, st.just(" ")), max_size=199),
)
countries = st.sampled_from(["SE", "NO", "FI", "DK", "DE", "GB", "US", "JP", "BR", "ZA"])
currencies = st.sampled_from(["SEK", "EUR", "USD", "JPY", "KWD", "GBP", "CLF"])
emails = st.from_regex(
    r"[a-z0-9][a-z0-9._+-]{0,20}@[a-z0-9]{1,20}(\.[a-z]{2,10}){1,3}", fullmatch=True
)
phones = st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True)
languages = st.sampled_from(["en", "sv", "sv-SE", "en-GB", "zh-Hant-TW", "es-419", "fil"])
timezones = st.sampled_from(
    ["Europe/Stockholm", "America/New_York", "Asia/Tokyo", "UTC", "America/Sao_Paulo"]
)
MAX_INT32 = 2**31 - 1


@st.composite
def valid_placements(draw: st.DrawFn) -> Placement:
    currency = draw(currencies)
    original = draw(st.integers(1, MAX_INT32))
    balance = draw(st.integers(1, original))
    return Placement(
        reference=draw(references),
        customer=CustomerDetails(
            reference=draw(references),
            name=draw(names),
            country=draw(countries),
            email=draw(st.none() | emails),
            phone=draw(st.none() | phones),
            language=draw(st.none() | languages),
            timezone=draw(st.none() | timezones),
        ),
        original_amount=Money(original, currency),
        balance=Money(balance, currency),
        due_date=TODAY - dt.timedelta(days=draw(st.integers(0, 3650))),
        product=draw(st.sampled_from(list(Product))),
        metadata_size=draw(st.integers(0, 8 * 1024)),
        idempotency_key=draw(st.none() | st.text(min_size=1, max_size=255)),
    )


@given(valid_placements())
def test_generated_valid_placement_always_validates_clean(p: Placement) -> None:
    assert validate_placement(p, TODAY) == []
