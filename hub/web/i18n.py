"""The portal's languages: which one a page speaks, its messages, its amounts and dates.

Six languages (``LANGUAGES``), with their messages in gettext catalogs under
``hub/web/locale/<lang>/LC_MESSAGES/portal.po`` (compiled to ``.mo`` beside them by
``scripts/portal_messages.py``). A page speaks, in this order: the language the debtor chose
with the switcher (a cookie), the link's locale, the customer's language (both known only
after the second factor), the ``lang`` of the page's address, the browser's
``Accept-Language``, and English. Amounts and dates are written the locale's way (Babel).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from hub.domain.money import MINOR_UNITS, Money
from hub.domain.portal_overview import format_money

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "portal"
DEFAULT = "en"
#: Each language the portal speaks, by its own name (what the switcher shows).
LANGUAGES = {
    "en": "English",
    "sv": "Svenska",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "nl": "Nederlands",
}
#: The cookie holding the language the debtor chose (path ``/p/``).
LANGUAGE_COOKIE = "evenly_lang"


def N_(text: str) -> str:
    """Marks ``text`` for the catalogs; it is translated where it is shown."""
    return text


def supported(tag: str | None) -> str | None:
    """The portal's language for a language tag (``sv-SE`` → ``sv``), or None."""
    if not tag:
        return None
    language = tag.strip().replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The first of the browser's languages (by weight) the portal speaks."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        weighted.append((-weight, index, tag))
    for weight, _index, tag in sorted(weighted):
        if weight < 0 and (found := supported(tag)) is not None:
            return found
    return None


def choose(candidates: Iterable[str | None]) -> str:
    """The first of ``candidates`` the portal speaks, else English."""
    for candidate in candidates:
        found = supported(candidate)
        if found is not None:
            return found
    return DEFAULT


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog of ``language`` (English has none: its messages are the keys)."""
    if language == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], DOMAIN)


def money(value: Money, language: str) -> str:
    """``1 250,00 kr``: an amount the locale's way; in English, which has no one region,
    the hub's own ``1 250.00 SEK`` (``hub.domain.portal_overview.format_money``)."""
    if language == DEFAULT:
        return format_money(value)
    return _money(value.amount_minor, value.currency, language)


@lru_cache(maxsize=4096)
def _locale(language: str) -> Locale:
    return Locale.parse(language)


@lru_cache(maxsize=8192)
def _money(amount_minor: int, currency: str, language: str) -> str:
    # Pages show the same few amounts again and again: each is formatted once.
    digits = MINOR_UNITS.get(currency, 2)
    amount = Decimal(amount_minor).scaleb(-digits)
    return format_currency(amount, currency, locale=_locale(language))


def date(value: dt.date, language: str) -> str:
    """``3 dec. 2026``: a date the locale's way; in English the unambiguous ``2026-12-03``."""
    if language == DEFAULT:
        return value.isoformat()
    return _date(value, language)


@lru_cache(maxsize=4096)
def _date(value: dt.date, language: str) -> str:
    return format_date(value, format="medium", locale=_locale(language))


def page_values(language: str) -> dict[str, Any]:
    """What every template of a page in ``language`` is given: ``_`` (gettext, with
    ``%(name)s`` values, escaped), ``money``, ``date``, the language and the switcher's."""
    catalog = translations(language)

    @pass_context
    def gettext(context: Context, text: str, **values: Any) -> str:
        translated = catalog.gettext(text)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % values if values else translated

    return {
        "_": gettext,
        "gettext": gettext,
        "translate": catalog.gettext,
        "money": lambda value: money(value, language),
        "date": lambda value: date(value, language),
        "language": language,
        "languages": LANGUAGES,
    }


def translator(language: str) -> Callable[[str], str]:
    """Plain gettext of ``language`` (for titles and messages made in Python)."""
    return translations(language).gettext
