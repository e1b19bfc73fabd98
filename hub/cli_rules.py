"""``evenly-hub admin rules``: validate compliance rule packs, list their versions, show one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from hub.settings import Settings


@click.group()
def rules() -> None:
    """Compliance rule packs: validate files, list versions, show a pack's rules."""


def _registry() -> Any:
    from hub.compliance import RuleRegistry

    return RuleRegistry.with_extra(Settings.from_env().rules_dir)


@rules.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def rules_validate(paths: tuple[Path, ...]) -> None:
    """Check pack files (a file or a directory of them) against the schema and each other.

    Without PATHS: the shipped packs and those in EVENLY_RULES_DIR. Exits 1 on any problem.
    """
    from hub.compliance import PACKS_DIR, check_path

    if not paths:
        extra = Settings.from_env().rules_dir
        paths = (PACKS_DIR, *([Path(extra)] if extra else []))
    failed = False
    for path in paths:
        for file, problems in check_path(path).items():
            if problems:
                failed = True
                for problem in problems:
                    click.echo(f"{file}: {problem}", err=True)
            else:
                click.echo(f"ok {file}")
    if failed:
        sys.exit(1)


@rules.command("list")
@click.option("--jurisdiction", default=None, help="Only this ISO 3166-1 alpha-2 code.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def rules_list(jurisdiction: str | None, as_json: bool) -> None:
    """Every pack version, oldest first per jurisdiction; the one in force now is marked."""
    import datetime as dt

    registry = _registry()
    now = dt.datetime.now(dt.UTC)
    for pack in registry.packs(jurisdiction.upper() if jurisdiction else None):
        in_force = registry.pack_for(pack.jurisdiction, now) is pack
        entry = {
            "jurisdiction": pack.jurisdiction,
            "version": pack.version,
            "effectiveFrom": pack.effective_from.isoformat(),
            "inForce": in_force,
            "rules": len(pack.rules),
            "title": pack.title,
        }
        if as_json:
            click.echo(json.dumps(entry))
        else:
            mark = "*" if in_force else " "
            click.echo(
                f"{mark} {pack.jurisdiction} {pack.version:<12} from {entry['effectiveFrom']}  "
                f"{len(pack.rules):2d} rules  {pack.title}"
            )


@rules.command("show")
@click.argument("jurisdiction")
@click.option("--version", default=None, help="A version; default: the one in force now.")
@click.option("--json", "as_json", is_flag=True, help="Print the pack's document as JSON.")
def rules_show(jurisdiction: str, version: str | None, as_json: bool) -> None:
    """A pack's sources and rules, with citations and which rules are conventions."""
    import datetime as dt

    registry = _registry()
    code = jurisdiction.upper()
    pack = (
        registry.pack(code, version)
        if version
        else registry.pack_for(code, dt.datetime.now(dt.UTC))
    )
    if pack is None:
        click.echo(
            f"no rule pack for {code}" + (f" version {version}" if version else ""), err=True
        )
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(pack.document, indent=2, ensure_ascii=False))
        return
    click.echo(f"{pack.jurisdiction} {pack.version}: {pack.title}")
    click.echo(f"in force from {pack.effective_from} ({', '.join(pack.timezones)})")
    click.echo("sources:")
    for source in pack.sources:
        click.echo(f"  [{source.id}] {source.title}" + (f" <{source.url}>" if source.url else ""))
    click.echo("rules:")
    for rule in pack.rules:
        flag = " (convention)" if rule.convention else ""
        channels = ",".join(rule.channels)
        click.echo(f"  {rule.id} [{rule.kind}; {channels}]{flag}")
        click.echo(f"      {rule.citation} [{rule.source}]: {rule.message}")
