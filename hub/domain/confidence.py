"""95 % confidence intervals for the KPIs, so a creditor can tell a difference from noise.

- A rate that is a proportion of accounts (or payments, or plans): the Wilson score
  interval, which stays inside [0, 1] and behaves with few trials or rates near 0 and 1.
- The difference of two such rates (a challenger arm against the champion): Newcombe's
  hybrid score interval (his method 10), built from the two Wilson intervals.
- A median (days to first payment): the distribution-free interval between two order
  statistics, chosen from the binomial distribution with p = 1/2, which is exact (at least
  95 % coverage) for any continuous distribution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: The normal quantile of a two-sided 95 % interval.
Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


def wilson(successes: int, trials: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval of ``successes / trials``; None without trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True, slots=True)
class Difference:
    """A rate of one arm minus the same rate of another, with its interval."""

    estimate: float
    interval: Interval


def difference(
    successes: int, trials: int, other_successes: int, other_trials: int
) -> Difference | None:
    """``successes / trials - other_successes / other_trials`` with Newcombe's interval;
    None if either side has no trials."""
    first, second = wilson(successes, trials), wilson(other_successes, other_trials)
    if first is None or second is None:
        return None
    p1, p2 = successes / trials, other_successes / other_trials
    estimate = p1 - p2
    low = estimate - math.sqrt((p1 - first.low) ** 2 + (second.high - p2) ** 2)
    high = estimate + math.sqrt((first.high - p1) ** 2 + (p2 - second.low) ** 2)
    return Difference(estimate, Interval(max(-1.0, low), min(1.0, high)))


def median_ranks(n: int, level: float = 0.95) -> tuple[int, int] | None:
    """The 1-based ranks (lower, upper) of the order statistics bounding the median's
    interval among ``n`` values: the widest symmetric pair ``[x_(j), x_(n+1-j)]`` whose miss
    probability ``2 P(X <= j - 1)``, X ~ Binomial(n, 1/2), is at most ``1 - level``; None
    if no pair reaches the level (too few values)."""
    alpha = 1 - level
    # The lower tail below n/2 - 8 sqrt(n) is under 1e-13: start summing there.
    start = max(0, int(n / 2 - 8 * math.sqrt(n)))
    log_half = n * math.log(2)
    tail, best = 0.0, None
    for k in range(start, n // 2):
        log_pmf = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - log_half
        tail += math.exp(log_pmf)  # P(X <= k), the terms below ``start`` aside
        if 2 * tail > alpha:
            break
        best = k + 1  # j - 1 = k
    return (best, n + 1 - best) if best is not None else None


def median_interval(ordered: Sequence[float], level: float = 0.95) -> Interval | None:
    """The distribution-free interval of the median of ``ordered`` (sorted values)."""
    ranks = median_ranks(len(ordered), level)
    if ranks is None:
        return None
    return Interval(ordered[ranks[0] - 1], ordered[ranks[1] - 1])
