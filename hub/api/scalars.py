"""Custom scalars.

Formats such as CountryCode or Email are checked by the mutations, not by scalar coercion,
so one bad value in a batch is reported as that item's ``userErrors`` instead of rejecting
the whole request. Coercion only accepts strings and normalizes case where the format is
case-insensitive; a non-string fails coercion with code ``BAD_USER_INPUT``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NewType

import strawberry

from hub.domain.time import rfc3339


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value.strip()


def _upper(value: Any) -> str:
    return _string(value).upper()


CountryCode = NewType("CountryCode", str)
CurrencyCode = NewType("CurrencyCode", str)
Email = NewType("Email", str)
PhoneNumber = NewType("PhoneNumber", str)


def _parse_datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("expected an RFC 3339 date-time string")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("date-time needs a UTC offset, e.g. 2026-01-31T12:00:00Z")
    return parsed.astimezone(dt.UTC)


if TYPE_CHECKING:
    # To the type checker an instant is a datetime; to strawberry, its own scalar.
    DateTime = dt.datetime
else:
    DateTime = NewType("DateTime", dt.datetime)


def _parse_date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 date string, e.g. 2026-01-31")
    return dt.date.fromisoformat(value)


#: Passed to StrawberryConfig(scalar_map=...) by the schema.
SCALAR_MAP: dict[object, Any] = {
    CountryCode: strawberry.scalar(
        name="CountryCode",
        description="ISO 3166-1 alpha-2 country code, e.g. `SE` (case-insensitive on input).",
        specified_by_url="https://www.iso.org/iso-3166-country-codes.html",
        serialize=str,
        parse_value=_upper,
    ),
    CurrencyCode: strawberry.scalar(
        name="CurrencyCode",
        description="ISO 4217 alphabetic currency code, e.g. `EUR` (case-insensitive on input).",
        specified_by_url="https://www.iso.org/iso-4217-currency-codes.html",
        serialize=str,
        parse_value=_upper,
    ),
    Email: strawberry.scalar(
        name="Email",
        description="An email address, e.g. `ada@example.com`.",
        specified_by_url="https://www.rfc-editor.org/rfc/rfc5322#section-3.4.1",
        serialize=str,
        parse_value=_string,
    ),
    PhoneNumber: strawberry.scalar(
        name="PhoneNumber",
        description="A phone number in E.164 format, e.g. `+46701234567`.",
        specified_by_url="https://www.itu.int/rec/T-REC-E.164",
        serialize=str,
        parse_value=_string,
    ),
    DateTime: strawberry.scalar(
        name="DateTime",
        description="An RFC 3339 date-time with offset; the hub returns UTC, e.g. `2026-01-31T12:00:00Z`.",
        specified_by_url="https://www.rfc-editor.org/rfc/rfc3339",
        serialize=rfc3339,
        parse_value=_parse_datetime,
    ),
    dt.date: strawberry.scalar(
        name="Date",
        description="A calendar date, ISO 8601 `YYYY-MM-DD`, e.g. `2026-01-31`.",
        specified_by_url="https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
        serialize=dt.date.isoformat,
        parse_value=_parse_date,
    ),
}
