"""``evenly-hub admin rules validate|list|show``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.compliance import PACKS_DIR


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("EVENLY_RULES_DIR", raising=False)
    return CliRunner()


def test_validate_accepts_the_shipped_packs(runner: CliRunner) -> None:
    result = runner.invoke(main, ["admin", "rules", "validate", str(PACKS_DIR)])
    assert result.exit_code == 0, result.output
    assert f"ok {PACKS_DIR / 'us' / '2021-11-30.toml'}" in result.output


def test_validate_refuses_a_broken_file_with_its_problems(
    runner: CliRunner, tmp_path: Path
) -> None:
    broken = tmp_path / "se.toml"
    broken.write_text('jurisdiction = "SE"\nversion = "x"\n', encoding="utf-8")
    result = runner.invoke(main, ["admin", "rules", "validate", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}: pack: 'effective_from' is a required property" in result.stderr


def test_list_marks_the_version_in_force(runner: CliRunner) -> None:
    result = runner.invoke(main, ["admin", "rules", "list", "--jurisdiction", "us", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["version"], r["inForce"]) for r in rows] == [
        ("1978-03-20", False),
        ("2021-11-30", True),
    ]


def test_show_prints_rules_with_citations_and_conventions(runner: CliRunner) -> None:
    result = runner.invoke(main, ["admin", "rules", "show", "GB", "--version", "2021-05-04"])
    assert result.exit_code == 0, result.output
    assert "GB-BREATHING-SPACE [hold;" in result.output
    assert "SI 2020/1311, regulation 7" in result.output
    assert "GB-CONC-HOURS [hours; CALL,SMS,EMAIL,PUSH,IN_APP] (convention)" in result.output
    missing = runner.invoke(main, ["admin", "rules", "show", "JP"])
    assert missing.exit_code == 1 and "no rule pack for JP" in missing.stderr


def test_rules_dir_setting_adds_packs(runner: CliRunner, tmp_path: Path) -> None:
    text = (PACKS_DIR / "se" / "2024-01-01.toml").read_text(encoding="utf-8")
    (tmp_path / "se-2030.toml").write_text(
        text.replace('version = "2024-01-01"', 'version = "2030-01-01"').replace(
            "effective_from = 2024-01-01", "effective_from = 2030-01-01"
        ),
        encoding="utf-8",
    )
    result = runner.invoke(
        main,
        ["admin", "rules", "list", "--jurisdiction", "SE"],
        env={"EVENLY_RULES_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    assert "SE 2030-01-01" in result.output
