"""Reading a pack file: TOML (stdlib ``tomllib``), checked against the JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from hub.domain.compliance import InvalidRulePack, RulePack

PACKS_DIR = Path(__file__).with_name("packs")
SCHEMA_PATH = Path(__file__).with_name("pack.schema.json")


class PackFileError(ValueError):
    """Pack files that cannot be used: every problem, by file."""

    def __init__(self, problems: dict[Path, list[str]]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(f"{path}: {p}" for path, items in problems.items() for p in items)
        )


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def read_document(path: Path) -> dict[str, Any]:
    """The pack file as plain data; TOML dates and times become ISO strings."""
    with path.open("rb") as handle:
        return _plain(tomllib.load(handle))


def schema_problems(document: dict[str, Any]) -> list[str]:
    """Every way ``document`` breaks the schema, as ``where: what`` lines."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{_where(e.absolute_path)}: {e.message}" for e in errors]


def document_problems(path: Path) -> list[str]:
    """Every problem with one pack file (unreadable, invalid TOML, schema, consistency)."""
    try:
        document = read_document(path)
    except OSError as error:
        return [f"cannot read: {error.strerror or error}"]
    except tomllib.TOMLDecodeError as error:
        return [f"not valid TOML: {error}"]
    problems = schema_problems(document)
    if problems:
        return problems
    try:
        RulePack.from_document(document)
    except InvalidRulePack as error:
        return list(error.problems)
    return []


def load_pack(path: Path) -> RulePack:
    """The pack in ``path``; ``PackFileError`` says everything wrong with it."""
    problems = document_problems(path)
    if problems:
        raise PackFileError({path: problems})
    return RulePack.from_document(read_document(path))


def pack_files(directory: Path) -> list[Path]:
    """Every ``*.toml`` below ``directory``, in a stable order."""
    return sorted(p for p in directory.rglob("*.toml") if p.is_file())


def check_path(path: Path) -> dict[Path, list[str]]:
    """Problems of a pack file, or of every pack file in a directory (conflicts included)."""
    files = pack_files(path) if path.is_dir() else [path]
    if path.is_dir() and not files:
        return {path: ["no pack files (*.toml) found"]}
    results: dict[Path, list[str]] = {}
    packs: list[tuple[Path, RulePack]] = []
    for file in files:
        results[file] = document_problems(file)
        if not results[file]:
            packs.append((file, RulePack.from_document(read_document(file))))
    for file, problem in conflicts(packs):
        results[file].append(problem)
    return results


def conflicts(packs: Iterable[tuple[Path, RulePack]]) -> list[tuple[Path, str]]:
    """Two files with the same (jurisdiction, version) or the same effective date."""
    found: list[tuple[Path, str]] = []
    versions: dict[tuple[str, str], Path] = {}
    dates: dict[tuple[str, dt.date], Path] = {}
    for path, pack in packs:
        key = (pack.jurisdiction, pack.version)
        if key in versions:
            found.append((path, f"{key[0]} version {key[1]} is also in {versions[key]}"))
            continue
        versions[key] = path
        when = (pack.jurisdiction, pack.effective_from)
        if when in dates:
            found.append(
                (path, f"{when[0]} already has a pack in force from {when[1]} ({dates[when]})")
            )
        else:
            dates[when] = path
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value


def _where(path: Iterable[Any]) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return ("pack" + "".join(parts)) if parts else "pack"
