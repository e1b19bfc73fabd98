"""The code blocks of the READMEs, as a reader meets them: in document order, with their kind.

A block the reader is not meant to run as a step of the document (``make run`` itself, a
synopsis of commands, a fragment of a web handler) is marked in the Markdown by an HTML
comment on the line right before its fence: ``<!-- not-a-step: why -->``. Nothing else
exempts a block.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
READMES = (REPO_ROOT / "README.md", REPO_ROOT / "sdk" / "python" / "README.md")

_FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<text>.*?)^```[ \t]*$", re.M | re.S)
_NOT_A_STEP = re.compile(r"<!--\s*not-a-step:\s*(?P<why>.+?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    readme: Path
    line: int
    lang: str
    text: str
    #: Why the block is not a step (from its ``not-a-step`` comment), or None: run it.
    not_a_step: str | None

    @property
    def where(self) -> str:
        name = (
            self.readme.relative_to(REPO_ROOT)
            if self.readme.is_relative_to(REPO_ROOT)
            else self.readme
        )
        return f"{name}:{self.line}"


def blocks(readme: Path) -> list[Block]:
    """Every fenced block of ``readme``, in order."""
    source = readme.read_text()
    found = []
    for match in _FENCE.finditer(source):
        before = source[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _NOT_A_STEP.search(before)
        found.append(
            Block(
                readme=readme,
                line=source.count("\n", 0, match.start()) + 1,
                lang=match.group("lang"),
                text=match.group("text"),
                not_a_step=marker.group("why") if marker else None,
            )
        )
    return found


def steps(readme: Path, langs: tuple[str, ...] = ("sh", "graphql", "python")) -> list[Block]:
    """The blocks a reader runs, in order: code in ``langs`` without a not-a-step mark."""
    return [b for b in blocks(readme) if b.lang in langs and b.not_a_step is None]


def json_lines(text: str) -> Iterator[Any]:
    """Every line of ``text`` that is a JSON object (an API answer printed by a step)."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except ValueError:
                continue


def problems(answer: Any, path: str = "") -> list[str]:
    """What an API answer reports as gone wrong: GraphQL ``errors``, an OAuth ``error``,
    and every non-empty ``userErrors`` list, wherever it is nested."""
    found: list[str] = []
    if isinstance(answer, dict):
        for key, value in answer.items():
            if key in ("errors", "userErrors") and value:
                found.append(f"{path}{key}: {json.dumps(value)}")
            elif key == "error" and path == "" and isinstance(value, str):
                found.append(f"error: {value}: {answer.get('error_description', '')}")
            else:
                found.extend(problems(value, f"{path}{key}."))
    elif isinstance(answer, list):
        for i, item in enumerate(answer):
            found.extend(problems(item, f"{path}{i}."))
    return found
