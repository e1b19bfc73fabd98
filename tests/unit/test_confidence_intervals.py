"""The KPI intervals against independent computations: scipy's Wilson interval and
distribution-free median interval, and Newcombe's published example."""

from __future__ import annotations

import random

import pytest
from scipy import stats

from hub.domain.confidence import difference, median_interval, median_ranks, wilson


@pytest.mark.parametrize(
    ("successes", "trials"), [(0, 1), (0, 12), (1, 12), (3, 10), (56, 70), (999, 1000), (5, 5)]
)
def test_wilson_interval_is_scipys(successes: int, trials: int) -> None:
    expected = stats.binomtest(successes, trials).proportion_ci(0.95, method="wilson")
    got = wilson(successes, trials)
    assert got is not None
    assert (got.low, got.high) == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_no_trials_have_no_interval() -> None:
    assert wilson(0, 0) is None and difference(1, 2, 0, 0) is None


def test_difference_is_newcombes_hybrid_score_interval() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II, example (a), method 10.
    got = difference(56, 70, 48, 80)
    assert got is not None and got.estimate == pytest.approx(0.2)
    assert (got.interval.low, got.interval.high) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    # And (g), a rate of 0 against a small one: the interval still covers the estimate.
    small = difference(0, 10, 0, 20)
    assert small is not None and small.interval.low < 0 < small.interval.high


@pytest.mark.parametrize("n", [6, 7, 10, 25, 100, 1001, 5000])
def test_median_interval_is_scipys_order_statistic_interval(n: int) -> None:
    rng = random.Random(n)
    values = sorted(rng.expovariate(1 / 3) for _ in range(n))
    median = stats.scoreatpercentile(values, 50)
    expected = stats.quantile_test(values, q=median, p=0.5).confidence_interval(0.95)
    got = median_interval(values)
    assert got is not None
    assert (got.low, got.high) == (expected.low, expected.high)


def test_too_few_values_give_no_median_interval() -> None:
    # Five values: even [min, max] misses the median with probability 1/16 > 5 %.
    assert median_ranks(5) is None and median_interval([1.0, 2.0]) is None
    assert median_ranks(6) == (1, 6)
