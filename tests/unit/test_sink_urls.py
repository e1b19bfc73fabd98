"""Sink URLs: what each stands for, and the forms refused with a code."""

from __future__ import annotations

import pytest

from hub.delivery.sink import sink_answer
from hub.domain.errors import DomainError
from hub.domain.sink_urls import SinkAnswer, is_sink_url, parse_sink_url


@pytest.mark.parametrize(
    ("url", "answer"),
    [
        ("sink://ok", SinkAnswer(200)),
        ("SINK://OK", SinkAnswer(200)),
        ("sink://500", SinkAnswer(500)),
        ("sink://410", SinkAnswer(410)),
        ("sink://429?retry-after=2", SinkAnswer(429, 2)),
        ("sink://503?retry-after=0", SinkAnswer(503, 0)),
        ("sink://timeout", SinkAnswer(None)),
    ],
)
def test_each_sink_url_stands_for_one_answer(url: str, answer: SinkAnswer) -> None:
    assert is_sink_url(url)
    assert parse_sink_url(url) == answer


@pytest.mark.parametrize(
    "url",
    [
        "sink://",
        "sink://nope",
        "sink://199",
        "sink://600",
        "sink://5000",
        "sink://500/path",
        "sink://ok#x",
        "sink://429?retry-after=-1",
        "sink://429?retry-after=3601",
        "sink://429?retry-after=soon",
        "sink://429?delay=2",
        "sink://timeout?retry-after=2",
        "sink://ok?" + "x" * 300,
    ],
)
def test_other_sink_urls_are_refused_with_a_code(url: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_sink_url(url)
    assert refused.value.code == "INVALID_SINK_URL"
    assert refused.value.problems[0].field == ("url",)


def test_only_the_sink_scheme_is_a_sink() -> None:
    assert not is_sink_url("https://sink.example.com/ok")
    assert not is_sink_url("sinkx://ok")


def test_the_sink_answers_in_process() -> None:
    assert sink_answer("sink://ok")[0] == 200
    status, _, retry_after = sink_answer("sink://429?retry-after=2")
    assert status == 429 and retry_after is not None and 1 <= retry_after <= 2
    # A Retry-After the policy does not heed (on a 500) is not passed on.
    assert sink_answer("sink://500?retry-after=2")[2] is None
    with pytest.raises(TimeoutError):
        sink_answer("sink://timeout")
