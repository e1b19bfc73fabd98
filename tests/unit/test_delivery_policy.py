"""The delivery policy: when a failed delivery is tried again, when its endpoint pauses, and
when the endpoint is disabled."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.delivery import policy
from hub.store.delivery_queue import Delivery, Outcome

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
SCHEDULE = [0.0, 5.0, 300.0, 1800.0]
WINDOW = dt.timedelta(days=5)


def _outcome(status: int | None, *, attempts: int = 1, retry_after: float | None = None) -> Outcome:
    delivery = Delivery(
        message_id=1,
        endpoint_id="we_1",
        url="https://93.184.216.34/hook",
        event_id="evt_1",
        event_type="account.placed",
        occurred_at=NOW,
        data={},
        attempts=attempts,
        lease_until=NOW + dt.timedelta(seconds=60),
        endpoint_version=NOW,
    )
    error = None if status is not None else "timeout"
    return Outcome(delivery, NOW, 12, status, "", error, retry_after, None)


def _fixed(factor: float) -> policy.Uniform:
    return lambda low, high: factor


def test_a_delivered_or_gone_message_is_not_tried_again() -> None:
    for status in (200, 204, 299, 410):
        assert policy.next_attempt(_outcome(status), SCHEDULE) is None, status


@pytest.mark.parametrize("status", [None, 300, 400, 404, 429, 500, 503])
def test_any_other_answer_is_tried_again_after_the_scheduled_delay(status: int | None) -> None:
    # After the first attempt comes the second entry of the schedule, and so on.
    for attempts, delay in [(1, 5.0), (2, 300.0), (3, 1800.0)]:
        due = policy.next_attempt(_outcome(status, attempts=attempts), SCHEDULE, _fixed(1.0))
        assert due == NOW + dt.timedelta(seconds=delay)


def test_a_message_fails_for_good_once_the_schedule_is_used_up() -> None:
    assert policy.next_attempt(_outcome(500, attempts=len(SCHEDULE)), SCHEDULE) is None
    assert policy.next_attempt(_outcome(500, attempts=len(SCHEDULE) + 3), SCHEDULE) is None


def test_the_jitter_is_ten_percent_either_way() -> None:
    drawn: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        drawn.append((low, high))
        return high

    due = policy.next_attempt(_outcome(500, attempts=2), SCHEDULE, uniform)
    assert drawn == [(0.9, 1.1)]
    assert due == NOW + dt.timedelta(seconds=330.0)


@given(
    attempts=st.integers(min_value=1, max_value=len(SCHEDULE) - 1),
    retry_after=st.none() | st.floats(min_value=0, max_value=3600),
)
def test_a_retry_comes_within_the_jitter_and_never_before_retry_after(
    attempts: int, retry_after: float | None
) -> None:
    due = policy.next_attempt(_outcome(503, attempts=attempts, retry_after=retry_after), SCHEDULE)
    assert due is not None
    delay = (due - NOW).total_seconds()
    scheduled = SCHEDULE[attempts]
    assert delay >= (retry_after or 0.0) - 1e-6
    assert delay >= scheduled * 0.9 - 1e-6
    assert delay <= max(scheduled * 1.1, retry_after or 0.0) + 1e-6


def test_a_longer_retry_after_puts_the_next_attempt_off() -> None:
    outcome = _outcome(429, attempts=1, retry_after=120.0)
    assert policy.next_attempt(outcome, SCHEDULE, _fixed(1.0)) == NOW + dt.timedelta(seconds=120)
    shorter = _outcome(429, attempts=2, retry_after=120.0)
    assert policy.next_attempt(shorter, SCHEDULE, _fixed(1.0)) == NOW + dt.timedelta(seconds=300)


def test_only_answers_that_ask_to_slow_down_have_their_retry_after_heeded() -> None:
    assert {s for s in range(100, 600) if policy.heeds_retry_after(s)} == {429, 502, 503, 504}
    assert not policy.heeds_retry_after(None)


def test_an_endpoint_pauses_as_long_as_its_receiver_asked() -> None:
    assert policy.pause_until(_outcome(503, retry_after=30.0)) == NOW + dt.timedelta(seconds=30)
    assert policy.pause_until(_outcome(503)) is None
    assert policy.pause_until(_outcome(None)) is None


def test_an_endpoint_that_answers_gone_is_disabled_at_once() -> None:
    reason = policy.disable_reason(gone=True, failing_since=None, now=NOW, window=WINDOW)
    assert reason == "the receiver answered 410 Gone"


def test_an_endpoint_is_disabled_once_every_delivery_failed_for_the_window() -> None:
    def reason(failing_for: dt.timedelta | None) -> str | None:
        since = NOW - failing_for if failing_for is not None else None
        return policy.disable_reason(gone=False, failing_since=since, now=NOW, window=WINDOW)

    assert reason(None) is None  # nothing failed since the last delivery
    assert reason(WINDOW - dt.timedelta(seconds=1)) is None
    assert reason(WINDOW) == "every delivery failed for 5 days"
    assert reason(WINDOW * 2) == "every delivery failed for 5 days"


@pytest.mark.parametrize(
    ("window", "said"),
    [
        (dt.timedelta(days=1), "1 day"),
        (dt.timedelta(hours=1), "1 hour"),
        (dt.timedelta(hours=36), "36 hours"),
        (dt.timedelta(minutes=90), "90 minutes"),
        (dt.timedelta(seconds=90), "90 seconds"),
        (dt.timedelta(seconds=1), "1 second"),
    ],
)
def test_the_reason_names_the_window(window: dt.timedelta, said: str) -> None:
    reason = policy.disable_reason(gone=False, failing_since=NOW - window, now=NOW, window=window)
    assert reason == f"every delivery failed for {said}"
