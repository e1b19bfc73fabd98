"""Currencies and minor units; the formats of customer contact data."""

from __future__ import annotations

import importlib.resources

import pytest

from hub.domain.contact import (
    COUNTRIES,
    is_country,
    is_e164,
    is_email,
    is_language,
    is_timezone,
)
from hub.domain.money import MINOR_UNITS, Money, is_currency

# --- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [
        ("JPY", 0),
        ("KRW", 0),
        ("ISK", 0),
        ("EUR", 2),
        ("SEK", 2),
        ("USD", 2),
        ("GBP", 2),
        ("KWD", 3),
        ("BHD", 3),
        ("CLF", 4),
    ],
)
def test_currency_has_its_iso_4217_minor_units(currency: str, exponent: int) -> None:
    assert is_currency(currency)
    assert MINOR_UNITS[currency] == exponent


@pytest.mark.parametrize("code", ["eur", "Eur", "XYZ", "EURO", "EU", "", " EUR"])
def test_unknown_or_lower_case_currency_is_refused(code: str) -> None:
    assert not is_currency(code)


def test_every_currency_code_is_three_upper_case_letters() -> None:
    assert all(len(code) == 3 and code.isascii() and code.isupper() for code in MINOR_UNITS)
    assert set(MINOR_UNITS.values()) <= {0, 2, 3, 4}


def test_money_of_one_currency_adds_up() -> None:
    assert Money(150, "EUR") + Money(250, "EUR") == Money(400, "EUR")


def test_money_of_different_currencies_cannot_be_added() -> None:
    with pytest.raises(ValueError):
        _ = Money(150, "EUR") + Money(150, "SEK")


# --- countries -----------------------------------------------------------------------------


def _iso3166_from_tz_database() -> set[str]:
    """The ISO 3166-1 alpha-2 codes as the tz database (tzdata) lists them: an independent copy."""
    text = importlib.resources.files("tzdata.zoneinfo").joinpath("iso3166.tab").read_text()
    return {line.split("\t")[0] for line in text.splitlines() if line and line[0] != "#"}


def test_all_249_iso_3166_countries_are_known() -> None:
    assert len(COUNTRIES) == 249
    assert set(COUNTRIES) == _iso3166_from_tz_database()


@pytest.mark.parametrize("code", ["SE", "GB", "US", "DE", "JP", "AX", "ZW"])
def test_country_code_is_accepted(code: str) -> None:
    assert is_country(code)


@pytest.mark.parametrize("code", ["XX", "se", "Se", "UK", "SWE", "", "S"])
def test_unknown_or_malformed_country_is_refused(code: str) -> None:
    assert not is_country(code)


# --- phone numbers (E.164) -----------------------------------------------------------------


@pytest.mark.parametrize(
    "phone", ["+46701234567", "+14155550123", "+442071838750", "+1" + "2" * 14]
)
def test_e164_number_is_accepted(phone: str) -> None:
    assert is_e164(phone)


@pytest.mark.parametrize(
    "phone",
    [
        "0701234567",  # national format, no country code
        "46701234567",  # no plus
        "+0123",  # country codes never start with 0
        "+04670123456",
        "+1234567890123456",  # 16 digits: E.164 allows at most 15
        "+4670123abcd",  # letters
        "+46 70 123 45 67",  # spaces
        "+46-70-1234567",
        "+",
        "",
    ],
)
def test_non_e164_number_is_refused(phone: str) -> None:
    assert not is_e164(phone)


# --- email ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "ada@example.com",
        "first.last+tag@mail.example.co.uk",
        "o'brien@example.ie",
        "a@b.se",
        "x" * 64 + "@example.com",
    ],
)
def test_email_address_is_accepted(email: str) -> None:
    assert is_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",  # no top-level domain
        "ada@@example.com",
        "ada lovelace@example.com",
        "ada@-example.com",
        "ada@example-.com",
        "ada@exa_mple.com",
        "x" * 65 + "@example.com",  # local part over 64 characters
        "a@" + ".".join(["b" * 60] * 5) + ".se",  # over 254 characters in all
        "ada@example.com\n",
    ],
)
def test_malformed_email_address_is_refused(email: str) -> None:
    assert not is_email(email)


# --- languages (BCP 47) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag", ["en", "sv", "fil", "sv-SE", "en-GB", "zh-Hant", "zh-Hant-TW", "es-419"]
)
def test_bcp_47_language_tag_is_accepted(tag: str) -> None:
    assert is_language(tag)


@pytest.mark.parametrize(
    "tag", ["", "e", "english", "EN", "sv_SE", "sv-se", "en-", "-SE", "en-GB-", "en GB", "sv-SE\n"]
)
def test_malformed_language_tag_is_refused(tag: str) -> None:
    assert not is_language(tag)


# --- time zones (IANA) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone",
    ["Europe/Stockholm", "America/New_York", "Asia/Kolkata", "UTC", "America/Argentina/Salta"],
)
def test_iana_time_zone_is_accepted(zone: str) -> None:
    assert is_timezone(zone)


@pytest.mark.parametrize(
    "zone",
    [
        "Mars/Base",
        "../etc",
        "Europe/../../etc/passwd",
        "/etc/localtime",
        "",
        "europe/stockholm_nowhere",
        "Europe/Stockholm/",
        "Europe/" + "x" * 100,
    ],
)
def test_unknown_or_path_like_time_zone_is_refused(zone: str) -> None:
    assert not is_timezone(zone)
