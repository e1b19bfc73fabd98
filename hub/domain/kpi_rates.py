"""The KPI rates that are proportions, what each counts, and their intervals.

Each rate is ``part / whole`` over an arm's (or agency's) accounts: ``Tallies`` holds the
counts, ``interval`` the rate's Wilson interval, ``versus`` each rate's difference from
another arm (a challenger against the champion) with Newcombe's interval
(``hub.domain.confidence``). The recovery rate by amount is a ratio of sums, not a
proportion of trials: it has no interval here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hub.domain.confidence import Difference, Interval, difference, wilson


class Rate(StrEnum):
    RECOVERY_RATE_BY_COUNT = "RECOVERY_RATE_BY_COUNT"
    DISPUTE_RATE = "DISPUTE_RATE"
    PAYMENT_PLAN_COMPLETION_RATE = "PAYMENT_PLAN_COMPLETION_RATE"
    SELF_SERVE_SHARE = "SELF_SERVE_SHARE"
    CUSTOMER_RETURN_RATE = "CUSTOMER_RETURN_RATE"


@dataclass(frozen=True, slots=True)
class Tallies:
    """The counts behind the rates of one group of accounts."""

    accounts: int
    recovered_accounts: int
    disputed_accounts: int
    plans_completed: int
    plans_ended: int
    payments: int
    portal_payments: int
    rehabilitated: int
    returned: int

    def part_of(self, rate: Rate) -> tuple[int, int]:
        """(part, whole) of ``rate``."""
        part, whole = _PARTS[rate]
        return getattr(self, part), getattr(self, whole)


_PARTS = {
    Rate.RECOVERY_RATE_BY_COUNT: ("recovered_accounts", "accounts"),
    Rate.DISPUTE_RATE: ("disputed_accounts", "accounts"),
    Rate.PAYMENT_PLAN_COMPLETION_RATE: ("plans_completed", "plans_ended"),
    Rate.SELF_SERVE_SHARE: ("portal_payments", "payments"),
    Rate.CUSTOMER_RETURN_RATE: ("returned", "rehabilitated"),
}


def interval(tallies: Tallies, rate: Rate) -> Interval | None:
    """The rate's 95 % Wilson interval; None when its whole is zero."""
    return wilson(*tallies.part_of(rate))


def versus(arm: Tallies, champion: Tallies) -> dict[Rate, Difference | None]:
    """Each rate of ``arm`` minus the champion's, with its 95 % interval (None when either
    side has no whole): an interval that excludes 0 is a difference, not noise."""
    return {rate: difference(*arm.part_of(rate), *champion.part_of(rate)) for rate in Rate}
