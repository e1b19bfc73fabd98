"""The decision: may the debtor be contacted on a channel at a moment, and if not, when?"""

from __future__ import annotations

import datetime as dt

from hub.domain.compliance._calendar import (
    EPOCH_ORDINAL,
    US_PER_DAY,
    US_PER_SECOND,
    clock,
    from_us,
    to_us,
    utc_offset,
)
from hub.domain.compliance._model import Channel, ContactContext, Decision, Refusal
from hub.domain.compliance._pack import HUB_ONLY, ChannelRules, RulePack
from hub.domain.compliance._preferences import with_preferences
from hub.domain.compliance._rules import ClockRule, GlobalRule

#: How far ahead ``next_allowed_at`` looks before answering "never".
HORIZON_DAYS = 2 * 366


def evaluate(
    pack: RulePack | None,
    context: ContactContext,
    channel: Channel,
    at: dt.datetime,
    *,
    offers_opt_out: bool | None = None,
) -> Decision:
    """Whether an outbound contact on ``channel`` at ``at`` is allowed under ``pack``.

    ``pack`` is the pack in force for the account's country at ``at`` (None: only the hub's
    own rules on disputes, holds and opt-outs apply). ``offers_opt_out`` says whether an
    electronic message tells the debtor how to opt out; only ``False`` refuses. Inbound
    contacts are never refused: do not ask about them. The debtor's preferred contact
    hours (``context.contact_hours``) refuse on top of the pack (``HUB-CONTACT-HOURS``).
    """
    rules = with_preferences(
        (pack.by_channel if pack is not None else HUB_ONLY)[channel], context, channel
    )
    us = to_us(at)
    reasons: list[Refusal] | None = None
    if context.open_dispute or context.hold is not None or context.opted_out:
        reasons = _refusing(rules.state_rules, us, context, channel, offers_opt_out)
    if rules.global_rules:
        more = _refusing(rules.global_rules, us, context, channel, offers_opt_out)
        if more:
            reasons = more if reasons is None else reasons + more
    zonal_rules = rules.zonal_rules
    if zonal_rules:
        for zone in context.zones:
            days, rest = divmod(us + utc_offset(us, zone), US_PER_DAY)
            ordinal = days + EPOCH_ORDINAL
            second_of_day = rest // US_PER_SECOND
            weekday = (ordinal - 1) % 7
            for zonal in zonal_rules:
                if zonal.refuses_local(us, zone, second_of_day, weekday, ordinal, context):
                    if reasons is None:
                        reasons = []
                    parts = zonal.parts if isinstance(zonal, ClockRule) else (zonal,)
                    for part in parts:
                        if part.refusal not in reasons and part.refuses_local(
                            us, zone, second_of_day, weekday, ordinal, context
                        ):
                            reasons.append(part.refusal)
    ref = None if pack is None else pack.ref
    if not reasons:
        return Decision(True, (), at, ref, context.timezones)
    later = next_allowed(rules, context, channel, us, offers_opt_out)
    return Decision(
        False, tuple(reasons), None if later is None else from_us(later), ref, context.timezones
    )


def _refusing(
    rules: tuple[GlobalRule, ...],
    us: int,
    context: ContactContext,
    channel: Channel,
    offers_opt_out: bool | None,
) -> list[Refusal] | None:
    found = [r.refusal for r in rules if r.refuses(us, context, channel, offers_opt_out)]
    return found or None


def next_allowed(
    rules: ChannelRules,
    context: ContactContext,
    channel: Channel,
    us: int,
    offers_opt_out: bool | None,
) -> int | None:
    """The earliest instant ≥ ``us`` at which no rule refuses, or None.

    The rules that ignore the clock are settled first: each either never allows (None) or
    allows from some instant on. Then each refusing clock rule moves the candidate to the
    first instant it would allow, and the rules are asked again in turn until all of them,
    in every candidate zone, allow the same instant. Candidate zones with no hours in
    common never settle: that is "never" too, as is anything beyond ``HORIZON_DAYS``.
    """
    moment = us
    for settled in (rules.state_rules, rules.global_rules):
        for rule in settled:
            if rule.refuses(moment, context, channel, offers_opt_out):
                later = rule.next_allowed(moment, context)
                if later is None:
                    return None
                moment = max(moment, later)
    zonal_rules, zones = rules.zonal_rules, context.zones
    per_zone = len(zonal_rules)
    checks = per_zone * len(zones)
    if not checks:
        return moment
    horizon = us + HORIZON_DAYS * US_PER_DAY
    index = passed = 0
    zone = zones[0]
    second_of_day, weekday, ordinal = clock(moment, zone)
    while passed < checks:
        zone_index, rule_index = divmod(index, per_zone)
        if zones[zone_index] is not zone:
            zone = zones[zone_index]
            second_of_day, weekday, ordinal = clock(moment, zone)
        zonal = zonal_rules[rule_index]
        if zonal.refuses_local(moment, zone, second_of_day, weekday, ordinal, context):
            later = zonal.next_allowed(moment, zone, context)
            if later is None or later > horizon:
                return None
            moment = max(later, moment + 1)
            second_of_day, weekday, ordinal = clock(moment, zone)
            passed = 1  # this rule allows the new moment; every other must be asked again
        else:
            passed += 1
        index = (index + 1) % checks
    return moment
