"""The sandboxTag rule: only sandbox creditors tag placements, and a tag's form."""

from __future__ import annotations

import pytest

from hub.domain.sandbox import MAX_TAG_LENGTH, tag_problem, tag_problems


@pytest.mark.parametrize("tag", ["a", "ci-123", "run.2026-12-02:main", "A_b", "x" * MAX_TAG_LENGTH])
def test_a_tag_of_letters_digits_and_punctuation_is_taken(tag: str) -> None:
    assert tag_problem(tag) is None
    assert tag_problems(tag, sandbox=True) == []


@pytest.mark.parametrize(
    "tag", ["", " ", "has space", "x" * (MAX_TAG_LENGTH + 1), "ü", "a/b", "a\n"]
)
def test_a_malformed_tag_is_refused_on_its_field(tag: str) -> None:
    [problem] = tag_problems(tag, sandbox=True)
    assert (problem.code, problem.field) == ("INVALID_SANDBOX_TAG", ("sandboxTag",))


def test_a_live_creditor_may_not_tag_and_no_tag_is_fine_for_anyone() -> None:
    [problem] = tag_problems("ci-1", sandbox=False)
    assert (problem.code, problem.field) == ("SANDBOX_ONLY", ("sandboxTag",))
    assert tag_problems(None, sandbox=False) == tag_problems(None, sandbox=True) == []
