"""The debtor's own preference on top of the law: the hours they want to be contacted in.

``HUB-CONTACT-HOURS`` refuses an outbound contact outside ``ContactContext.contact_hours``
(the customer's preferred hours, ``hub.domain.contact_hours``) in any of the debtor's
candidate zones, on every channel but letters. It is added to a channel's rules only for a
debtor who set hours, so the others pay nothing for it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hub.domain.compliance._calendar import at_local_time, clock
from hub.domain.compliance._model import Channel, ContactContext, Refusal
from hub.domain.compliance._pack import ChannelRules
from hub.domain.compliance._rules import ZonalRule

CONTACT_HOURS = Refusal(
    "HUB-CONTACT-HOURS",
    "outside the hours the debtor asked to be contacted in",
    "Evenly hub policy: the debtor's preferred contact hours",
    True,
)
#: Channels the preferred hours cover (a letter is not delivered at an hour).
COVERED = frozenset(Channel) - {Channel.LETTER}


class PreferredHoursRule(ZonalRule):
    """Contact only within the debtor's preferred hours (local time, every day)."""

    __slots__ = ()

    def refuses_local(
        self,
        us: int,
        zone: ZoneInfo,
        second_of_day: int,
        weekday: int,
        ordinal: int,
        ctx: ContactContext,
    ) -> bool:
        if ctx.contact_hours is None:
            return False
        start, end = ctx.contact_hours
        return not start <= second_of_day < end

    def next_allowed(self, us: int, zone: ZoneInfo, ctx: ContactContext) -> int | None:
        if ctx.contact_hours is None:
            return us
        start, _ = ctx.contact_hours
        second_of_day, _, ordinal = clock(us, zone)
        day = ordinal if second_of_day < start else ordinal + 1
        return max(at_local_time(zone, day, start), us + 1)


PREFERRED_HOURS = PreferredHoursRule(CONTACT_HOURS, COVERED)


def with_preferences(
    rules: ChannelRules, context: ContactContext, channel: Channel
) -> ChannelRules:
    """``rules`` with the debtor's preferred hours, when they set some for ``channel``."""
    if context.contact_hours is None or channel not in COVERED:
        return rules
    return ChannelRules(
        rules.state_rules, rules.global_rules, (*rules.zonal_rules, PREFERRED_HOURS)
    )
