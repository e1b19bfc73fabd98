"""The portal's message catalogs: extract, update and compile them.

    .venv/bin/python scripts/portal_messages.py extract   # the messages of the pages into
                                                          # every language's .po (new ones
                                                          # empty, gone ones dropped)
    .venv/bin/python scripts/portal_messages.py compile   # each .po to its .mo
    .venv/bin/python scripts/portal_messages.py check     # exit 1 if a message is missing,
                                                          # untranslated, or a .mo is stale

Messages are what the templates (``hub/web/templates``) give to ``_()`` and what the
portal's Python modules (``hub/web/*.py``) mark with ``_()`` or ``N_()``. The catalogs live
in ``hub/web/locale/<lang>/LC_MESSAGES/portal.po``; translators edit the .po files, then
run ``compile``. ``tests/unit/test_portal_messages.py`` runs the same checks.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "hub" / "web"
LOCALE_DIR = WEB / "locale"
DOMAIN = "portal"
LANGUAGES = ("sv", "de", "es", "fr", "nl")
_METHODS = [("templates/**.html", "jinja2"), ("*.py", "python")]
_KEYWORDS = {"_": None, "N_": None, "gettext": None}


def extracted() -> Catalog:
    """Every message of the portal's pages, in English (the source language)."""
    catalog = Catalog(project="evenly-portal", domain=DOMAIN, locale="en")
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(WEB), _METHODS, keywords=_KEYWORDS, options_map={"templates/**.html": {}}
    ):
        if isinstance(message, str) and message:
            catalog.add(message, locations=[(f"hub/web/{filename}", lineno)])
    return catalog


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=True)
    return out.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def extract() -> None:
    source = extracted()
    for language in LANGUAGES:
        path = po_path(language)
        old = read(language) if path.exists() else Catalog(locale=language, domain=DOMAIN)
        catalog = Catalog(project="evenly-portal", locale=language, domain=DOMAIN)
        for message in source:
            if not message.id:
                continue
            known = old.get(message.id)
            catalog.add(
                message.id,
                known.string if known is not None else "",
                locations=message.locations,
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_po_bytes(catalog))


def compile_all() -> None:
    for language in LANGUAGES:
        po_path(language).with_suffix(".mo").write_bytes(_mo_bytes(read(language)))


def problems() -> list[str]:
    """What is wrong with the catalogs: missing or untranslated messages, stale .mo files."""
    wanted = {message.id for message in extracted() if message.id}
    found: list[str] = []
    for language in LANGUAGES:
        catalog = read(language)
        ids = {message.id for message in catalog if message.id}
        found += [f"{language}: not in the catalog: {m!r}" for m in sorted(wanted - ids)]
        found += [f"{language}: no longer used: {m!r}" for m in sorted(ids - wanted)]
        found += [
            f"{language}: not translated: {message.id!r}"
            for message in catalog
            if message.id and (not message.string or message.fuzzy)
        ]
        mo = po_path(language).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != _mo_bytes(catalog):
            found.append(f"{language}: {mo.name} does not match {mo.stem}.po (run compile)")
    return found


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "extract":
        extract()
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
