"""The knowledge check's rules (``hub.domain.portal_knowledge``): postcodes in normal form,
dates typed in three fields, the factor in the URL."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.domain import portal_knowledge as k


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("sw1a 1aa", "SW1A1AA"),
        ("113 51", "11351"),
        ("1234-567", "1234567"),
        (" 10115 ", "10115"),
        ("1", None),
        ("12345678901", None),
        ("<b>", None),
        ("", None),
        ("1" * 1000, None),
    ],
)
def test_postcodes_compare_in_normal_form(typed: str, normal: str | None) -> None:
    assert k.normalize_postcode(typed) == normal


@pytest.mark.parametrize(
    ("parts", "day"),
    [
        (("27", "3", "1980"), dt.date(1980, 3, 27)),
        ((" 07 ", "03", "1980"), dt.date(1980, 3, 7)),
        (("31", "2", "1980"), None),
        (("x", "3", "1980"), None),
        (("", "", ""), None),
        (("1", "1", "99999"), None),
    ],
)
def test_a_date_is_typed_in_three_fields(parts: tuple[str, str, str], day: dt.date | None) -> None:
    assert k.typed_birth_date(*parts) == day


def test_the_factor_is_in_the_url_and_back() -> None:
    assert k.url_suffix(k.DATE_OF_BIRTH) == "?f=dob"
    assert k.url_suffix(k.POSTCODE) == "?f=postcode"
    assert k.url_suffix(k.CODE) == ""
    assert {k.FROM_URL[n] for n in k.URL_NAMES.values()} == set(k.KNOWLEDGE)


def test_a_birth_date_is_from_1900_to_today() -> None:
    today = dt.date(2026, 12, 3)
    assert k.birth_date_ok(dt.date(1900, 1, 1), today) and k.birth_date_ok(today, today)
    assert not k.birth_date_ok(dt.date(1899, 12, 31), today)
    assert not k.birth_date_ok(today + dt.timedelta(days=1), today)
