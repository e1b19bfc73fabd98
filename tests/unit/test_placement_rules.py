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
    MAX_METADATA_DEPTH,
    CustomerDetails,
    Placement,
    normalize_placement,
    normalize_reference,
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
        "idempotency_key": "place-inv-2025-0001",
    }
    return Placement(**{**fields, **overrides})


def metadata_of_size(size: int) -> dict[str, str]:
    """A metadata object whose JSON is exactly ``size`` bytes."""
    return {"b": "x" * (size - len('{"b":""}'))}


def nested(depth: int) -> dict[str, Any]:
    """An object nested ``depth`` levels deep, the top one included."""
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


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
        lambda: placement(metadata=metadata_of_size(8 * 1024)),
        lambda: placement(metadata=nested(MAX_METADATA_DEPTH)),
        lambda: placement(metadata={"low": -(2**63), "high": 2**63 - 1, "f": -1.5e18}),
        lambda: placement(reference=" ＩＮＶ－１００１\u3000"),
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
        "metadata-32-levels",
        "metadata-64-bit-numbers",
        "reference-fullwidth-and-spaces",
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
        lambda: placement(metadata=metadata_of_size(8 * 1024 + 1)),
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


@pytest.mark.parametrize(
    ("metadata", "says"),
    [
        (nested(MAX_METADATA_DEPTH + 1), "nested more than 32 levels"),
        (nested(300), "nested more than 32 levels"),  # beyond what orjson can encode
        ({"list": [nested(MAX_METADATA_DEPTH - 1)]}, "nested more than 32 levels"),
        ({"n": 2**63}, "the number 9223372036854775808"),
        ({"n": -(2**63) - 1}, "the number -9223372036854775809"),
        ({"n": [10**40]}, "signed 64-bit range"),
        ({"n": 1.8446744073709552e19}, "signed 64-bit range"),  # 2**64 sent as a variable
        ({"n": float("inf")}, "the number inf"),
        ({"n": float("nan")}, "the number nan"),
        ({"s": "\ud800"}, "not valid JSON"),
        (["not", "an", "object"], "must be a JSON object"),
    ],
    ids=[
        "33-levels",
        "300-levels",
        "deep-inside-a-list",
        "int-2**63",
        "int-below-minus-2**63",
        "int-10**40",
        "float-2**64",
        "infinity",
        "nan",
        "lone-surrogate",
        "array",
    ],
)
def test_metadata_that_cannot_be_kept_is_invalid_metadata_saying_why(
    metadata: Any, says: str
) -> None:
    [problem] = validate_placement(placement(metadata=metadata), TODAY)
    assert (problem.code, problem.field) == ("INVALID_METADATA", ("metadata",))
    assert says in problem.message


LOOK_ALIKES_OF_INV_1001 = {
    "ＩＮＶ－１００１": "INV-1001",  # fullwidth
    "INV-１００１": "INV-1001",  # fullwidth digits
    "INV-1001 ": "INV-1001",
    " INV-1001": "INV-1001",
    "INV-1001\u00a0": "INV-1001",  # no-break space
    "\u2003INV-1001\u3000": "INV-1001",  # em and ideographic spaces
    "INV\ufe631001": "INV-1001",  # small hyphen-minus
    "\u2160NV-1001": "INV-1001",  # Roman numeral one
}
#: Look-alikes that NFKC keeps distinct: refused, naming the character.
REFUSED_LOOK_ALIKES = {
    "INV\u20101001": "U+2010 (HYPHEN)",
    "INV\u20111001": "U+2010 (HYPHEN)",  # non-breaking hyphen: NFKC makes it U+2010
    "INV\u22121001": "U+2212 (MINUS SIGN)",
    "\u0406NV-1001": "U+0406 (CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I)",
    "\u0399NV-1001": "U+0399 (GREEK CAPITAL LETTER IOTA)",
    "INV-1001\u200b": "U+200B (ZERO WIDTH SPACE)",
}


@pytest.mark.parametrize("variant", sorted(LOOK_ALIKES_OF_INV_1001))
def test_references_differing_by_width_or_surrounding_spaces_normalize_to_one(
    variant: str,
) -> None:
    assert normalize_reference(variant) == LOOK_ALIKES_OF_INV_1001[variant]
    p = placement(reference=variant, customer=customer(reference=f" CUST-77{variant[-1]}"))
    assert reported(p) == []
    normal = normalize_placement(p)
    assert normal.reference == "INV-1001"
    assert normal.customer.reference == normalize_reference(f"CUST-77{variant[-1]}")


@pytest.mark.parametrize("variant", sorted(REFUSED_LOOK_ALIKES))
def test_look_alike_references_nfkc_keeps_apart_are_refused(variant: str) -> None:
    for p, path in (
        (placement(reference=variant), ("reference",)),
        (with_customer(reference=variant), ("customer", "reference")),
    ):
        [problem] = validate_placement(p, TODAY)
        assert (problem.code, problem.field) == ("INVALID_REFERENCE", path)
        assert REFUSED_LOOK_ALIKES[variant] in problem.message


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

# Non-blank printable ASCII references with inner spaces, maybe surrounded by spaces.
_REFERENCE_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
references = st.builds(
    lambda pad, head, tail: pad + head + tail + pad,
    st.sampled_from(["", " ", "\u3000"]),
    _REFERENCE_CHARS,
    st.text(st.one_of(_REFERENCE_CHARS, st.just(" ")), max_size=127),
)
json_objects = st.dictionaries(
    st.text(max_size=10),
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=10,
    ),
    max_size=5,
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
        metadata=draw(st.none() | json_objects),
        idempotency_key=draw(st.none() | st.text(min_size=1, max_size=255)),
    )


@given(valid_placements())
def test_generated_valid_placement_always_validates_clean(p: Placement) -> None:
    assert validate_placement(p, TODAY) == []


@given(references)
def test_normalizing_a_reference_twice_changes_nothing(reference: str) -> None:
    once = normalize_reference(reference)
    assert normalize_reference(once) == once
