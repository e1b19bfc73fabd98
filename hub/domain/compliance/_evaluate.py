"""The decision: may the debtor be contacted on a channel at a moment, and if not, when?"""

from __future__ import annotations

import datetime as dt

from hub.domain.compliance._calendar import US_PER_DAY, from_us, local, to_us
from hub.domain.compliance._model import Channel, ContactContext, Decision, Refusal
from hub.domain.compliance._pack import HUB_ONLY, ChannelRules, RulePack

#: How far ahead ``next_allowed_at`` looks before answering "never".
HORIZON_DAYS = 2 * 366
_MAX_ROUNDS = 1000


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
    contacts are never refused: do not ask about them.
    """
    rules = (pack.by_channel if pack is not None else HUB_ONLY)[channel]
    us = to_us(at)
    reasons: list[Refusal] | None = None
    for rule in rules.global_rules:
        if rule.refuses(us, context, channel, offers_opt_out):
            if reasons is None:
                reasons = []
            reasons.append(rule.refusal)
    if rules.zonal_rules:
        for zone in context.zones:
            clock = at.astimezone(zone)
            second_of_day = clock.hour * 3600 + clock.minute * 60 + clock.second
            weekday = clock.weekday()
            ordinal = clock.toordinal()
            year = clock.year
            for zonal in rules.zonal_rules:
                if zonal.refuses_local(
                    us, zone, second_of_day, weekday, ordinal, year, context
                ) and (reasons is None or zonal.refusal not in reasons):
                    if reasons is None:
                        reasons = []
                    reasons.append(zonal.refusal)
    ref = None if pack is None else pack.ref
    if reasons is None:
        return Decision(True, (), at, ref, context.timezones)
    later = next_allowed(rules, context, channel, us, offers_opt_out)
    return Decision(
        False, tuple(reasons), None if later is None else from_us(later), ref, context.timezones
    )


def next_allowed(
    rules: ChannelRules,
    context: ContactContext,
    channel: Channel,
    us: int,
    offers_opt_out: bool | None,
) -> int | None:
    """The earliest instant ≥ ``us`` at which no rule refuses, or None.

    Each refusing rule moves the candidate to the first instant it would allow; the
    candidate only moves forward, and the answer is the first one no rule moves. Candidate
    zones with no common allowed hours never settle: that is "never" too, as is anything
    beyond ``HORIZON_DAYS``.
    """
    moment = us
    horizon = us + HORIZON_DAYS * US_PER_DAY
    for _ in range(_MAX_ROUNDS):
        moved = False
        for rule in rules.global_rules:
            if rule.refuses(moment, context, channel, offers_opt_out):
                later = rule.next_allowed(moment, context)
                if later is None:
                    return None
                moment, moved = max(later, moment + 1), True
        for zone in context.zones:
            for zonal in rules.zonal_rules:
                clock = local(moment, zone)
                second_of_day = clock.hour * 3600 + clock.minute * 60 + clock.second
                if zonal.refuses_local(
                    moment,
                    zone,
                    second_of_day,
                    clock.weekday(),
                    clock.toordinal(),
                    clock.year,
                    context,
                ):
                    later = zonal.next_allowed(moment, zone, context)
                    if later is None:
                        return None
                    moment, moved = max(later, moment + 1), True
        if not moved:
            return moment
        if moment > horizon:
            return None
    return None
