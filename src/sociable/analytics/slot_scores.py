"""Empirical-Bayes scores for weekday x hour slots: partial pooling toward the group mean.

Model (normal-normal, one-way random effects). A post's outcome ``y`` in slot ``j`` is
``theta_j + e`` with ``e ~ N(0, sigma2)``; slot means ``theta_j ~ N(mu, tau2)``.

- ``mu``: the group's mean outcome over all its posts (the pooled prior).
- ``sigma2``: the pooled within-slot variance, ``sum (y - ybar_j)^2 / (N - J)``; when most
  slots hold one post (``N - J < 2``) the total variance of the posts stands in for it
  (larger, so it shrinks more, never less).
- ``tau2``: the between-slot variance by the method of moments (the unbalanced one-way
  ANOVA estimator): ``(MSB - MSW) / n0`` with ``n0 = (N - sum n_j^2 / N) / (J - 1)``,
  floored at 0. Zero means the slots do not differ beyond noise, and every slot then scores
  ``mu``: the data cannot name a best time, and the scores say so by being equal.
- A slot with ``n`` posts and mean ``ybar`` scores ``mu + w (ybar - mu)`` with
  ``w = tau2 / (tau2 + sigma2 / n)``: between its own mean and the prior, nearer its own mean
  the more posts it has. Its posterior variance is ``w sigma2 / n + (1 - w)^2 var(mu)``
  (``var(mu) = total variance / N``); a slot with no posts scores ``mu`` with variance
  ``tau2 + var(mu)``. The interval is the normal posterior interval at ``level`` (clipped at
  0 when outcomes cannot be negative). It treats ``tau2`` and ``sigma2`` as known, so it is
  a little narrow when there are few slots.

Every sum is :func:`math.fsum` (correctly rounded), so the result does not depend on the
order of the posts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from scipy.stats import norm

HOURS = 24
WEEKDAYS = 7


@dataclass(frozen=True)
class Pooled:
    """The prior the slots are shrunk toward, and the variances that set how far."""

    mean: float
    within_var: float
    between_var: float
    mean_var: float
    posts: int
    slots_with_posts: int


@dataclass(frozen=True)
class SlotScore:
    weekday: int  # 0 = Monday
    hour: int
    score: float
    low: float
    high: float
    posts: int
    shrunk_from: float | None  # the slot's own mean; None when it has no posts
    weight: float  # how much of the slot's own mean the score keeps (0..1)


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def _ss(values: list[float], centre: float) -> float:
    return math.fsum((v - centre) ** 2 for v in values)


def shrink(slot_mean: float, posts: int, pooled: Pooled) -> tuple[float, float, float]:
    """(score, posterior variance, weight) of a slot of ``posts`` posts averaging ``slot_mean``."""
    if posts <= 0:
        return pooled.mean, pooled.between_var + pooled.mean_var, 0.0
    noise = pooled.within_var / posts
    total = pooled.between_var + noise
    weight = pooled.between_var / total if total > 0 else 0.0
    score = pooled.mean + weight * (slot_mean - pooled.mean)
    var = weight * noise + (1.0 - weight) ** 2 * pooled.mean_var
    return score, var, weight


def pool(by_slot: dict[tuple[int, int], list[float]]) -> Pooled:
    """The prior and variances from the outcomes of each (weekday, hour) slot."""
    groups = [v for v in by_slot.values() if v]
    every = [y for g in groups for y in g]
    n = len(every)
    if n == 0:
        raise ValueError("pool() needs at least one outcome")
    mu = _mean(every)
    total_var = _ss(every, mu) / (n - 1) if n > 1 else 0.0
    j = len(groups)
    within_df = n - j
    if within_df >= 2:
        within = math.fsum(_ss(g, _mean(g)) for g in groups) / within_df
    else:
        within = total_var
    between = 0.0
    if j >= 2:
        msb = math.fsum(len(g) * (_mean(g) - mu) ** 2 for g in groups) / (j - 1)
        n0 = (n - math.fsum(len(g) ** 2 for g in groups) / n) / (j - 1)
        if n0 > 0:
            between = max(0.0, (msb - within) / n0)
    return Pooled(mu, within, between, total_var / n, n, j)


def score_slots(
    observations: Iterable[tuple[int, int, float]], *, level: float = 0.9, nonnegative: bool = True
) -> tuple[Pooled, list[SlotScore]]:
    """Every one of the 168 slots scored from ``(weekday, hour, outcome)`` observations."""
    by_slot: dict[tuple[int, int], list[float]] = {}
    for weekday, hour, y in observations:
        if not (0 <= weekday < WEEKDAYS and 0 <= hour < HOURS):
            raise ValueError(f"not a slot: weekday {weekday}, hour {hour}")
        if not math.isfinite(y):
            raise ValueError(f"outcome must be a finite number, got {y!r}")
        by_slot.setdefault((weekday, hour), []).append(float(y))
    pooled = pool(by_slot)
    z = float(norm.ppf(0.5 + level / 2))
    slots = []
    for weekday in range(WEEKDAYS):
        for hour in range(HOURS):
            values = by_slot.get((weekday, hour), [])
            own = _mean(values) if values else None
            score, var, weight = shrink(own if own is not None else 0.0, len(values), pooled)
            half = z * math.sqrt(max(var, 0.0))
            low = score - half
            if nonnegative:
                low = max(0.0, low)
            slots.append(
                SlotScore(weekday, hour, score, low, score + half, len(values), own, weight)
            )
    return pooled, slots
