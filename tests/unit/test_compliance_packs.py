"""Rule pack files: the schema, the checks beyond it, the registry and reloading."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from hub.compliance import PACKS_DIR, PackFileError, RuleRegistry, check_path, load_pack

US_NOW = PACKS_DIR / "us" / "2021-11-30.toml"
MINIMAL = """
jurisdiction = "US"
version = "{version}"
effective_from = {date}
title = "A test version"
timezones = ["America/New_York"]

[[sources]]
id = "reg-f"
title = "Regulation F"

[[rules]]
id = "US-TEST-HOURS"
kind = "hours"
channels = ["CALL"]
start = "{start}"
end = "20:00"
source = "reg-f"
citation = "12 CFR 1006.6(b)(1)(i)"
message = "outside 9:00-20:00"
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def minimal(version: str = "2030-01-01", date: str = "2030-01-01", start: str = "09:00") -> str:
    return MINIMAL.format(version=version, date=date, start=start)


def test_every_shipped_pack_validates() -> None:
    results = check_path(PACKS_DIR)
    assert len(results) >= 9
    assert {path: problems for path, problems in results.items() if problems} == {}
    jurisdictions = {load_pack(path).jurisdiction for path in results}
    assert {"US", "GB", "SE", "DE", "ES", "FR", "NL"} <= jurisdictions


def test_every_shipped_rule_cites_a_source_of_its_pack() -> None:
    for path in check_path(PACKS_DIR):
        pack = load_pack(path)
        sources = {s.id for s in pack.sources}
        for rule in pack.rules:
            assert rule.citation and rule.source in sources, (path, rule.id)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: t.replace('citation = "12 CFR 1006.6(b)(1)(i)"\n', ""),
            "pack.rules[0]: 'citation' is a required property",
        ),
        (
            lambda t: t.replace('kind = "hours"', 'kind = "curfew"'),
            "pack.rules[0].kind: 'curfew' is not one of",
        ),
        (
            lambda t: t.replace('"CALL"]', '"FAX"]'),
            "pack.rules[0].channels[0]: 'FAX' is not one of",
        ),
        (
            lambda t: t.replace('start = "09:00"', 'start = "9am"'),
            "pack.rules[0].start: '9am' does not match",
        ),
        (
            lambda t: t.replace('start = "09:00"', 'start = "20:30"'),
            "rules[0] (US-TEST-HOURS): start must be before end",
        ),
        (
            lambda t: t.replace('source = "reg-f"', 'source = "fdcpa"'),
            "source 'fdcpa' is not among the pack's sources",
        ),
        (
            lambda t: t.replace('"America/New_York"', '"America/Gotham"'),
            "timezones: 'America/Gotham' is not an IANA time zone",
        ),
        (
            lambda t: t.replace('message = "outside 9:00-20:00"', 'message = "x"\nmax_calls = 3'),
            "Unevaluated properties are not allowed ('max_calls'",
        ),
        (
            lambda t: t + '\n[holidays]\ncountry = "GB"\nsubdivisions = ["XYZ"]\n',
            "holidays: unknown subdivision 'XYZ' of GB",
        ),
        (lambda t: t.replace('jurisdiction = "US"', "jurisdiction = [1"), "not valid TOML"),
    ],
)
def test_an_invalid_pack_is_refused_with_a_clear_message(
    tmp_path: Path, edit: object, expected: str
) -> None:
    assert callable(edit)
    path = write(tmp_path, "us/2030-01-01.toml", edit(minimal()))
    problems = check_path(path)[path]
    assert any(expected in p for p in problems), problems
    with pytest.raises(PackFileError) as raised:
        load_pack(path)
    assert str(path) in str(raised.value)


def test_two_files_for_one_version_or_one_date_conflict(tmp_path: Path) -> None:
    write(tmp_path, "us/a.toml", minimal())
    write(tmp_path, "us/b.toml", minimal())
    write(tmp_path, "us/c.toml", minimal(version="2030-b"))
    problems = [p for items in check_path(tmp_path).values() for p in items]
    assert any("US version 2030-01-01 is also in" in p for p in problems)
    assert any("US already has a pack in force from 2030-01-01" in p for p in problems)


def test_the_pack_in_force_is_the_latest_effective_at_the_moment() -> None:
    registry = RuleRegistry()
    at = dt.datetime.fromisoformat
    assert registry.pack_for("US", at("1977-01-01T00:00:00+00:00")) is None
    assert registry.pack_for("US", at("2021-11-30T04:59:59+00:00")).version == "1978-03-20"
    assert registry.pack_for("US", at("2021-11-30T00:00:00-05:00")).version == "2021-11-30"
    assert registry.pack_for("GB", at("2021-05-03T22:59:59+00:00")).version == "2014-04-01"
    assert registry.pack_for("GB", at("2021-05-03T23:00:00+00:00")).version == "2021-05-04"
    assert registry.pack_for("JP", at("2026-01-01T00:00:00+00:00")) is None


def test_a_new_version_in_the_extra_directory_loads_without_a_restart(tmp_path: Path) -> None:
    registry = RuleRegistry.with_extra(tmp_path)
    later = dt.datetime(2030, 6, 1, tzinfo=dt.UTC)
    assert registry.pack_for("US", later).version == "2021-11-30"
    assert registry.reload() is False  # nothing changed

    path = write(tmp_path, "us/2030-01-01.toml", minimal())
    assert registry.reload() is True
    assert registry.pack_for("US", later).version == "2030-01-01"
    assert registry.pack_for("US", dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).version == "2021-11-30"

    # A broken edit is refused and the packs loaded before stay in use.
    path.write_text(minimal(start="21:00"), encoding="utf-8")
    os.utime(path, ns=(1, 1))
    with pytest.raises(PackFileError, match="start must be before end"):
        registry.reload()
    assert registry.pack_for("US", later).version == "2030-01-01"

    path.unlink()
    assert registry.reload() is True
    assert registry.pack_for("US", later).version == "2021-11-30"


def test_an_extra_directory_may_not_redefine_a_shipped_version(tmp_path: Path) -> None:
    shutil.copy(US_NOW, tmp_path / "copy.toml")
    with pytest.raises(PackFileError, match="US version 2021-11-30 is also in"):
        RuleRegistry.with_extra(tmp_path)
