"""Every repository path the READMEs name exists, inside the repository.

Two kinds of mention are checked: Markdown link targets (resolved from the README's own
directory, as a browser does) and code spans that start with one of the repository's
top-level entries or with ``..`` (resolved from the repository's root, where the READMEs'
commands run). Patterns with placeholders (``packs/<jurisdiction>/…``) are not paths.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.readme_snippets import READMES, REPO_ROOT

_LINK = re.compile(r"\]\(([^)\s]+)\)")
_CODE_SPAN = re.compile(r"`([^`\s]+)`")
_PATH = re.compile(r"^(?:\./)?(?P<first>[\w.-]+)(?:/[\w.*+-]+)*/?$")


def _tracked_top_level() -> set[str]:
    """The repository's own top-level entries: what git tracks, not what commands create
    beside them (``.evenly/``, ``.venv/``), whose paths the READMEs name as outputs."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    return {line.split("/", 1)[0] for line in listed.splitlines() if line}


TOP_LEVEL = _tracked_top_level()


def _inside_repository(path: Path) -> bool:
    return path.resolve().is_relative_to(REPO_ROOT.resolve()) and path.exists()


def named_paths(readme: Path) -> list[tuple[str, Path]]:
    """(as written, where it points) for every repository path ``readme`` names."""
    text = readme.read_text()
    found = []
    for target in _LINK.findall(text):
        if not re.match(r"^(https?:|mailto:|#)", target):
            found.append((target, readme.parent / target.split("#", 1)[0]))
    for span in _CODE_SPAN.findall(text):
        match = _PATH.match(span)
        if match and "/" in span and (match["first"] in TOP_LEVEL or match["first"] == ".."):
            found.append((span, REPO_ROOT / span))
    return found


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_path_a_readme_names_exists_in_the_repository(readme: Path) -> None:
    named = named_paths(readme)
    assert len(named) > 5, "the READMEs name files of the repository; none found"
    missing = [written for written, path in named if not _inside_repository(path)]
    assert missing == [], f"{readme.name} names paths that are not in the repository: {missing}"


def test_a_path_outside_the_repository_or_misplaced_is_reported(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "The design: [`../shared/DESIGN.md`](../shared/DESIGN.md); the schema check is "
        "`tests/test_operations_schema.py`; the SDK's is `sdk/python/tests/conftest.py`.\n"
    )
    named = dict(named_paths(readme))
    assert not _inside_repository(named["../shared/DESIGN.md"])
    assert not _inside_repository(named["tests/test_operations_schema.py"])
    assert _inside_repository(named["sdk/python/tests/conftest.py"])
