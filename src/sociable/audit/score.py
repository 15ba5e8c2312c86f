"""Scores: 0-100 per category, per page, and a streaming site total with flat memory.

A page's category score is the share of the weight of its *applicable* checks that passed
(error 5, warning 2, info 1); checks that could not run do not count either way. The page
score is the mean of its category scores; the site's scores are means over pages.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sociable.audit.findings import CATEGORIES, PageReport

WEIGHTS = {"error": 5, "warning": 2, "info": 1}


def category_scores(outcomes: Iterable[tuple[str, str, bool]]) -> dict[str, int]:
    """``(category, severity, passed)`` for each applicable check -> score per category."""
    total: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for category, severity, ok in outcomes:
        weight = WEIGHTS.get(severity, 1)
        total[category] += weight
        if ok:
            passed[category] += weight
    order = list(CATEGORIES.values())
    return {
        cat: round(100 * passed[cat] / total[cat])
        for cat in sorted(total, key=lambda c: order.index(c) if c in order else 99)
        if total[cat]
    }


def page_score(categories: dict[str, int]) -> int:
    if not categories:
        return 100
    return round(sum(categories.values()) / len(categories))


@dataclass
class SiteScore:
    """Accumulates PageReports one at a time; keeps only counters and the worst pages."""

    worst_kept: int = 10
    pages: int = 0
    error_pages: int = 0  # pages that could not be fetched or parsed
    pages_with_errors: int = 0  # pages with at least one error-severity finding
    _score_sum: int = 0
    _cat_sum: Counter[str] = field(default_factory=Counter)
    _cat_n: Counter[str] = field(default_factory=Counter)
    by_code: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    _worst: list[tuple[int, int, str, int]] = field(default_factory=list)

    def add(self, report: PageReport) -> None:
        self.pages += 1
        if report.error:
            self.error_pages += 1
        self._score_sum += report.score
        for cat, value in report.categories.items():
            self._cat_sum[cat] += value
            self._cat_n[cat] += 1
        for f in report.findings:
            self.by_code[f.code] += 1
            self.by_severity[f.severity] += 1
        if any(f.severity == "error" for f in report.findings):
            self.pages_with_errors += 1
        # Max-heap on score via negation: pop the best when over the limit.
        item = (-report.score, -self.pages, report.url, len(report.findings))
        heapq.heappush(self._worst, item)
        if len(self._worst) > self.worst_kept:
            heapq.heappop(self._worst)

    @property
    def score(self) -> int:
        return round(self._score_sum / self.pages) if self.pages else 100

    @property
    def categories(self) -> dict[str, int]:
        order = list(CATEGORIES.values())
        cats = sorted(self._cat_n, key=lambda c: order.index(c) if c in order else 99)
        return {c: round(self._cat_sum[c] / self._cat_n[c]) for c in cats}

    def worst_pages(self) -> list[dict[str, Any]]:
        rows = sorted(self._worst, key=lambda t: (-t[0], -t[1]))
        return [{"url": url, "score": -neg, "findings": n} for neg, _, url, n in rows]

    def summary(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "categories": self.categories,
            "pages": self.pages,
            "error_pages": self.error_pages,
            "pages_with_errors": self.pages_with_errors,
            "worst_pages": self.worst_pages(),
            "findings_by_code": dict(sorted(self.by_code.items())),
            "findings_by_severity": dict(self.by_severity),
        }
