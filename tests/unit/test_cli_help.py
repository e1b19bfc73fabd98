"""``evenly-hub admin … --help``: every option says what it is for, choices are listed."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.domain.account import Product


def _commands(group: click.Group, path: list[str]) -> list[tuple[list[str], click.Command]]:
    found: list[tuple[list[str], click.Command]] = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, [*path, name])
        else:
            found.append(([*path, name], command))
    return found


ADMIN = main.commands["admin"]
assert isinstance(ADMIN, click.Group)


@pytest.mark.parametrize(
    "path, command",
    _commands(ADMIN, ["admin"]),
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_every_admin_option_has_help(path: list[str], command: click.Command) -> None:
    undocumented = [
        option.opts[0]
        for option in command.params
        if isinstance(option, click.Option) and not option.hidden and not option.help
    ]
    assert undocumented == [], f"{' '.join(path)}: {undocumented}"


def test_create_routing_rule_help_lists_the_products() -> None:
    result = CliRunner().invoke(main, ["admin", "create-routing-rule", "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "[" + "|".join(Product) + "]" in text
    assert "--country TEXT Only customers of this country" in text
    assert '--json Print {"routing_rule_id": …} as JSON.' in text


def test_create_client_help_explains_json() -> None:
    result = CliRunner().invoke(main, ["admin", "create-client", "--help"])
    assert "--json Print the credentials as one JSON object." in " ".join(result.output.split())


def test_an_unknown_product_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENLY_DATA_DIR", str(tmp_path / "data"))
    args = ["admin", "create-routing-rule", "--creditor", "org_1", "--agency", "org_2"]
    result = CliRunner().invoke(main, [*args, "--product", "MORTGAGE"])
    assert result.exit_code == 2
    assert "'MORTGAGE' is not one of" in result.output
    assert not (tmp_path / "data").exists()  # refused while parsing: no database opened
