"""Properties of the slot scores: shrinkage, intervals, weight by posts, order of posts."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from sociable.analytics.slot_scores import Pooled, score_slots, shrink

outcome = st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False)
obs = st.tuples(st.integers(0, 6), st.integers(0, 23), outcome)
histories = st.lists(obs, min_size=1, max_size=120)


def _tol(*values: float) -> float:
    return 1e-9 * max(1.0, *(abs(v) for v in values))


@given(histories)
def test_each_score_lies_between_its_slot_mean_and_the_prior(history) -> None:  # type: ignore[no-untyped-def]
    pooled, slots = score_slots(history)
    assert len(slots) == 168
    for s in slots:
        if s.shrunk_from is None:
            assert s.score == pooled.mean and s.posts == 0
            continue
        lo, hi = sorted((s.shrunk_from, pooled.mean))
        assert lo - _tol(lo, hi) <= s.score <= hi + _tol(lo, hi)
        assert 0.0 <= s.weight <= 1.0


@given(histories)
def test_the_interval_contains_the_estimate(history) -> None:  # type: ignore[no-untyped-def]
    _, slots = score_slots(history)
    for s in slots:
        assert s.low <= s.score <= s.high
        assert s.low >= 0  # outcomes are rates or counts: never below zero


@given(histories, st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_the_order_of_posts(history, rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(history)
    rnd.shuffle(shuffled)
    assert score_slots(shuffled) == score_slots(history)


@given(
    st.floats(0, 100),
    st.floats(0, 100),
    st.floats(1e-6, 100),
    st.floats(1e-6, 100),
    st.integers(1, 50),
    st.integers(1, 50),
)
def test_a_slot_with_more_posts_moves_less_toward_the_prior(  # type: ignore[no-untyped-def]
    mean, own, within, between, few, more
) -> None:
    few, more = sorted((few, more))
    pooled = Pooled(mean, within, between, within / 100, 100, 10)
    s_few, _, w_few = shrink(own, few, pooled)
    s_more, _, w_more = shrink(own, more, pooled)
    assert w_few <= w_more
    assert abs(s_more - own) <= abs(s_few - own) + _tol(own, mean)


@settings(max_examples=60)
@given(histories, outcome, st.floats(0.5, 50), st.integers(2, 10))
def test_in_one_history_the_busier_of_two_equal_slots_stays_nearer_its_mean(  # type: ignore[no-untyped-def]
    rest, level, spread, times
) -> None:
    """Two slots with the same mean: Monday 9h with 2 posts, Tuesday 9h with 2 x ``times``."""
    rest = [o for o in rest if (o[0], o[1]) not in ((0, 9), (1, 9))]
    pair = [level, level + spread]
    history = rest + [(0, 9, y) for y in pair] + [(1, 9, y) for y in pair * times]
    _, slots = score_slots(history)
    few, many = slots[0 * 24 + 9], slots[1 * 24 + 9]
    assert few.shrunk_from is not None and many.shrunk_from is not None
    assert math.isclose(few.shrunk_from, many.shrunk_from)
    own = many.shrunk_from
    assert abs(many.score - own) <= abs(few.score - own) + _tol(own)
    assert (many.high - many.low) <= (few.high - few.low) + _tol(few.high)


def test_slots_that_differ_only_by_noise_all_score_the_mean() -> None:
    """Every slot holds the same mix of outcomes: no slot is better, the scores say so."""
    history = [(d, h, y) for d in range(7) for h in (9, 18) for y in (1.0, 3.0)]
    pooled, slots = score_slots(history)
    assert pooled.between_var == 0
    assert {s.score for s in slots} == {2.0}


def test_a_clearly_better_slot_wins_and_keeps_most_of_its_own_mean() -> None:
    history = [(d, 9, y) for d in range(7) for y in (1.0, 1.2, 0.8, 1.1, 0.9)]
    history += [(2, 18, y) for y in (5.0, 5.2, 4.8, 5.1, 4.9)]
    pooled, slots = score_slots(history)
    best = max(slots, key=lambda s: s.score)
    assert (best.weekday, best.hour) == (2, 18)
    assert best.weight > 0.9 and best.low > max(s.high for s in slots if s.hour == 9)
    assert pooled.mean < best.score < 5.0
