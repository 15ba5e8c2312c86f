"""Uncertainty for report figures, from scipy (nothing hand-rolled).

- :func:`rate_interval`: a 95% bootstrap interval (percentile method, resampling posts) for a
  group's rate, the ratio of its summed engagements to its summed base. Seeded, so the same
  data gives the same interval on every run and every engine.
- :func:`compare`: do the per-post rates of two or more groups differ? Mann-Whitney U for two
  groups, Kruskal-Wallis for more. The verdict is "different" only when p < :data:`ALPHA`
  *and* every group has at least :data:`MIN_POSTS` posts; otherwise "not enough evidence"
  (a small group can show a small p by luck and one outlier). A p at or above ALPHA is also
  "not enough evidence": no test here shows two groups are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

ALPHA = 0.05
#: Posts each group needs before a difference between groups is called.
MIN_POSTS = 10
CONFIDENCE = 0.95
RESAMPLES = 2_000
SEED = 20261204

DIFFERENT = "different"
NOT_ENOUGH = "not enough evidence"


def ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float | None:
    total = float(np.sum(denominators))
    return float(np.sum(numerators)) / total if total > 0 else None


def rate_interval(
    numerators: Sequence[float], denominators: Sequence[float]
) -> tuple[float | None, float | None]:
    """(low, high) of the ratio of sums over posts; (None, None) under two posts."""
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if len(num) < 2 or float(den.sum()) <= 0:
        return None, None
    if np.ptp(num / den) == 0:  # every post has the same rate: the interval is that rate
        point = float(num[0] / den[0])
        return point, point

    def statistic(n: np.ndarray, d: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.asarray(n.sum(axis=axis) / d.sum(axis=axis))

    result = stats.bootstrap(
        (num, den),
        statistic,
        paired=True,
        vectorized=True,
        n_resamples=RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        rng=np.random.default_rng(SEED),
    )
    low, high = result.confidence_interval
    return float(low), float(high)


@dataclass
class Comparison:
    test: str  # "mann-whitney-u" | "kruskal-wallis" | "none"
    statistic: float | None
    p_value: float | None
    verdict: str
    reason: str


def compare(samples: Sequence[Sequence[float]], *, min_posts: int = MIN_POSTS) -> Comparison:
    """Whether the groups' values differ (two-sided), with a verdict the data supports."""
    groups = [np.asarray(s, dtype=float) for s in samples]
    if len(groups) < 2:
        return Comparison("none", None, None, NOT_ENOUGH, "fewer than two groups")
    test = "mann-whitney-u" if len(groups) == 2 else "kruskal-wallis"
    smallest = min(len(g) for g in groups)
    if smallest == 0:
        return Comparison(test, None, None, NOT_ENOUGH, "a group has no rated posts")
    everything = np.concatenate(groups)
    if np.ptp(everything) == 0:
        return Comparison(test, None, 1.0, NOT_ENOUGH, "every post has the same value")
    if len(groups) == 2:
        res = stats.mannwhitneyu(groups[0], groups[1], alternative="two-sided")
    else:
        res = stats.kruskal(*groups)
    statistic, p = float(res.statistic), float(res.pvalue)
    if smallest < min_posts:
        reason = f"a group has {smallest} posts; a difference is called from {min_posts} each"
        return Comparison(test, statistic, p, NOT_ENOUGH, reason)
    if p < ALPHA:
        return Comparison(test, statistic, p, DIFFERENT, f"p < {ALPHA}")
    return Comparison(test, statistic, p, NOT_ENOUGH, f"p >= {ALPHA}")
