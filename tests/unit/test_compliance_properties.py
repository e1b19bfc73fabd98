"""Properties of the compliance engine over random accounts, moments and shipped packs.

* the next allowed moment is allowed when asked again, and the instant just before it
  (when later than the moment asked) is refused: it is the earliest;
* revoking consent for a channel never makes a contact allowed;
* an open dispute or an open-ended hold refuses every outbound contact, for good.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.compliance import RuleRegistry
from hub.domain.compliance import (
    Channel,
    ContactContext,
    ContactHistory,
    ContactRecord,
    Direction,
    Hold,
    HoldReason,
    Outcome,
    evaluate,
)

REGISTRY = RuleRegistry()
ZONES = {
    "US": ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"],
    "GB": ["Europe/London"],
    "SE": ["Europe/Stockholm"],
    "DE": ["Europe/Berlin"],
    "ES": ["Europe/Madrid", "Atlantic/Canary"],
    "FR": ["Europe/Paris"],
    "NL": ["Europe/Amsterdam"],
}
START = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=6 * 366)
ONE_US = dt.timedelta(microseconds=1)

moments = st.integers(0, int(SPAN.total_seconds())).map(lambda s: START + dt.timedelta(seconds=s))


@st.composite
def contexts(draw: st.DrawFn) -> tuple[ContactContext, Channel, dt.datetime]:
    country = draw(st.sampled_from(sorted(ZONES)))
    at = draw(moments)
    zones = draw(st.lists(st.sampled_from(ZONES[country]), min_size=1, max_size=2, unique=True))
    offsets = st.integers(-20 * 86_400, 2 * 86_400)  # mostly before the moment asked
    records = draw(
        st.lists(
            st.builds(
                ContactRecord,
                offsets.map(lambda s: at + dt.timedelta(seconds=s)),
                st.sampled_from([Channel.CALL, Channel.CALL, Channel.SMS, Channel.EMAIL]),
                st.sampled_from(Direction),
                st.sampled_from(Outcome),
            ),
            max_size=25,
        )
    )
    hold = draw(
        st.none()
        | st.builds(
            Hold,
            st.sampled_from(HoldReason),
            st.none()
            | st.integers(-86_400, 40 * 86_400).map(lambda s: at + dt.timedelta(seconds=s)),
        )
    )
    context = ContactContext(
        country=country,
        placed_at=at - dt.timedelta(days=draw(st.integers(0, 90))),
        history=ContactHistory(records),
        timezones=tuple(zones),
        opted_out=frozenset(draw(st.sets(st.sampled_from(Channel), max_size=2))),
        open_dispute=draw(st.integers(0, 9)) == 0,
        hold=hold,
    )
    return context, draw(st.sampled_from(Channel)), at


@settings(max_examples=300, deadline=None)
@given(contexts())
def test_next_allowed_at_is_allowed_and_the_earliest(
    drawn: tuple[ContactContext, Channel, dt.datetime],
) -> None:
    context, channel, at = drawn
    decision = REGISTRY.evaluate(context, channel, at)
    if decision.allowed:
        assert decision.next_allowed_at == at and decision.reasons == ()
        return
    assert decision.reasons
    later = decision.next_allowed_at
    if later is None:
        return
    assert later > at
    pack = REGISTRY.pack_for(context.country, at)  # the pack the answer was given under
    assert evaluate(pack, context, channel, later).allowed
    assert not evaluate(pack, context, channel, later - ONE_US).allowed


@settings(max_examples=300, deadline=None)
@given(contexts(), st.sampled_from(Channel))
def test_revoking_consent_never_allows_more(
    drawn: tuple[ContactContext, Channel, dt.datetime], revoked: Channel
) -> None:
    context, channel, at = drawn
    before = REGISTRY.evaluate(context, channel, at)
    fewer = ContactContext(
        context.country,
        context.placed_at,
        context.history,
        context.timezones,
        context.opted_out | {revoked},
        context.open_dispute,
        context.hold,
    )
    after = REGISTRY.evaluate(fewer, channel, at)
    assert before.allowed or not after.allowed
    if before.next_allowed_at is None:
        assert after.next_allowed_at is None
    elif after.next_allowed_at is not None:
        assert after.next_allowed_at >= before.next_allowed_at


@settings(max_examples=150, deadline=None)
@given(contexts(), st.sampled_from(HoldReason))
def test_a_dispute_or_an_open_ended_hold_blocks_every_outbound_contact(
    drawn: tuple[ContactContext, Channel, dt.datetime], reason: HoldReason
) -> None:
    context, channel, at = drawn
    for blocked in (
        ContactContext(
            context.country,
            context.placed_at,
            context.history,
            context.timezones,
            open_dispute=True,
        ),
        ContactContext(
            context.country,
            context.placed_at,
            context.history,
            context.timezones,
            hold=Hold(reason),
        ),
    ):
        decision = REGISTRY.evaluate(blocked, channel, at)
        assert not decision.allowed
        assert decision.next_allowed_at is None
