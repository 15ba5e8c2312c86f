"""Property tests for the interval and the comparison verdicts."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given, settings

from sociable.analytics.stats import DIFFERENT, NOT_ENOUGH, compare, rate_interval, ratio

posts = st.lists(st.tuples(st.integers(0, 5_000), st.integers(1, 100_000)), min_size=2, max_size=40)


@settings(max_examples=60, deadline=None)
@given(posts)
def test_interval_holds_the_rate_and_stays_within_the_posts_rates(pairs) -> None:  # type: ignore[no-untyped-def]
    num = [float(n) for n, _ in pairs]
    den = [float(d) for _, d in pairs]
    point = ratio(num, den)
    low, high = rate_interval(num, den)
    rates = [n / d for n, d in pairs]
    assert point is not None and low is not None and high is not None
    eps = 1e-12
    assert min(rates) - eps <= low <= high <= max(rates) + eps
    assert low - eps <= point <= high + eps
    assert rate_interval(num, den) == (low, high)  # seeded: the same every run


def test_under_two_posts_there_is_no_interval() -> None:
    assert rate_interval([3.0], [10.0]) == (None, None)
    assert rate_interval([], []) == (None, None)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1), min_size=1, max_size=9), min_size=2, max_size=4))
def test_groups_under_the_minimum_are_never_called_different(groups) -> None:  # type: ignore[no-untyped-def]
    result = compare(groups, min_posts=10)
    assert result.verdict == NOT_ENOUGH
    assert result.test == ("mann-whitney-u" if len(groups) == 2 else "kruskal-wallis")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1), min_size=10, max_size=30), min_size=2, max_size=4))
def test_different_only_with_a_small_p(groups) -> None:  # type: ignore[no-untyped-def]
    result = compare(groups, min_posts=10)
    if result.verdict == DIFFERENT:
        assert result.p_value is not None and result.p_value < 0.05
    else:
        assert result.p_value is None or result.p_value >= 0.05


def test_clearly_separate_groups_are_called_different() -> None:
    low = [0.01 + i / 1000 for i in range(12)]
    high = [0.5 + i / 1000 for i in range(12)]
    result = compare([low, high])
    assert result.verdict == DIFFERENT and result.p_value is not None and result.p_value < 0.001
