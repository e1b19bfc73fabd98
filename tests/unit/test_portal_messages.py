"""The portal's catalogs: every message of its pages translated in every language, the
compiled catalogs the same as the .po files, and the language a page speaks."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from hub.domain.money import Money
from hub.web import i18n

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "portal_messages.py"


def _messages() -> ModuleType:
    spec = importlib.util.spec_from_file_location("portal_messages", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["portal_messages"] = module
    spec.loader.exec_module(module)
    return module


def test_every_message_is_translated_in_every_language_and_compiled() -> None:
    messages = _messages()
    assert set(messages.LANGUAGES) | {"en"} == set(i18n.LANGUAGES)
    assert len([m for m in messages.extracted() if m.id]) > 100
    assert messages.problems() == []


def test_translations_keep_their_placeholders() -> None:
    messages = _messages()
    placeholders = re.compile(r"%\(\w+\)s|\{\w+\}")
    for language in messages.LANGUAGES:
        for message in messages.read(language):
            if message.id:
                assert sorted(placeholders.findall(message.string)) == sorted(
                    placeholders.findall(message.id)
                ), (language, message.id)


def test_a_missing_translation_or_a_stale_mo_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = _messages()
    for language in messages.LANGUAGES:
        folder = tmp_path / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        po = messages.po_path(language)
        (folder / po.name).write_bytes(po.read_bytes())
        (folder / "portal.mo").write_bytes(po.with_suffix(".mo").read_bytes())
    monkeypatch.setattr(messages, "LOCALE_DIR", tmp_path)
    assert messages.problems() == []
    po = tmp_path / "sv" / "LC_MESSAGES" / "portal.po"
    po.write_text(po.read_text().replace('msgstr "Betala"', 'msgstr ""'), encoding="utf-8")
    found = messages.problems()
    assert "sv: not translated: 'Pay'" in found
    assert any("sv: portal.mo does not match" in line for line in found)


def test_the_language_is_the_first_the_portal_speaks() -> None:
    assert i18n.choose([None, "sv-SE", "de"]) == "sv"
    assert i18n.choose(["xx", "pt-BR"]) == "en"
    assert i18n.choose([None, "NL"]) == "nl"
    assert i18n.from_accept_language("pt-BR, fr;q=0.5, de;q=0.8") == "de"
    assert i18n.from_accept_language("de;q=0, es") == "es"
    assert i18n.from_accept_language(None) is None


def test_amounts_and_dates_are_written_the_locale_s_way() -> None:
    amount = Money(125050, "SEK")
    assert i18n.money(amount, "en") == "1\u202f250.50 SEK"
    assert i18n.money(amount, "sv") == "1\xa0250,50\xa0kr"
    assert i18n.money(Money(125050, "EUR"), "de") == "1.250,50\xa0€"
    assert i18n.money(Money(1250, "JPY"), "fr") == "1\u202f250\xa0JPY"
    day = dt.date(2026, 12, 3)
    assert i18n.date(day, "en") == "2026-12-03"
    assert i18n.date(day, "de") == "03.12.2026"
    assert i18n.translator("fr")("Pay") == "Payer"
    assert i18n.translator("en")("Pay") == "Pay"
