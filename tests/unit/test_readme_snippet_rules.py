"""What the README-step runner relies on, checked without a hub: how blocks are marked, and
that every ``userErrors`` a step selects includes its ``message`` (so a refusal says why)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.readme_snippets import READMES, REPO_ROOT, blocks, problems, steps

_USER_ERRORS = re.compile(r"userErrors\s*\{([^}]*)\}")


def test_only_a_not_a_step_comment_right_before_a_fence_exempts_a_block(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "<!-- not-a-step: serves the hub -->\n```sh\nmake run\n```\n\n"
        "<!-- not-a-step: too far away -->\n\nSome prose.\n```sh\necho one\n```\n\n"
        "```graphql\n{ viewer { clientId } }\n```\n\n```\nA diagram\n```\n"
    )
    found = blocks(readme)
    assert [(b.lang, b.not_a_step) for b in found] == [
        ("sh", "serves the hub"),
        ("sh", None),
        ("graphql", None),
        ("", None),
    ]
    assert [b.text for b in steps(readme)] == ["echo one\n", "{ viewer { clientId } }\n"]


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_readme_has_steps_and_every_exemption_says_why(readme: Path) -> None:
    assert len(steps(readme)) >= 5
    for block in blocks(readme):
        assert block.not_a_step is None or len(block.not_a_step) > 10, block.where


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_user_errors_selection_includes_the_message(readme: Path) -> None:
    for block in blocks(readme):
        for selection in _USER_ERRORS.findall(block.text):
            assert "message" in selection.split(), f"{block.where}: userErrors {{{selection}}}"


def test_problems_finds_errors_wherever_an_answer_nests_them() -> None:
    assert problems({"data": {"placeAccount": {"userErrors": []}}}) == []
    assert problems({"data": {"a": {"results": [{"userErrors": [{"code": "X"}]}]}}}) == [
        'data.a.results.0.userErrors: [{"code": "X"}]'
    ]
    assert problems({"errors": [{"message": "no"}]}) == ['errors: [{"message": "no"}]']
    assert problems({"error": "invalid_client", "error_description": "bad"}) == [
        "error: invalid_client: bad"
    ]
