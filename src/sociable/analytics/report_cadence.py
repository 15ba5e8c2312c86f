"""Cadence: how often each group posts (posts, posts per week, the median gap between posts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis

from sociable.analytics.frame import expand, median

if TYPE_CHECKING:
    from sociable.analytics.reports import Request


def run(req: Request) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from sociable.analytics.reports import sort_rows

    by = req.by
    posts = expand(req.loaded.posts, by)
    order = ibis.window(group_by=by or None, order_by=[posts.posted_ts, posts.id])
    gaps = posts.mutate(gap_hours=(posts.posted_ts - posts.posted_ts.lag().over(order)) / 3600.0)
    metrics = {
        "posts": gaps.id.count(),
        "first_post": gaps.posted_at.min(),
        "last_post": gaps.posted_at.max(),
    }
    grouped = gaps.group_by(by).aggregate(**metrics) if by else gaps.aggregate(**metrics)
    mid = median(gaps, by, "gap_hours", "median_gap_hours")
    medians = {tuple(r[d] for d in by): r["median_gap_hours"] for r in req.fetch(mid)}
    weeks = req.days / 7
    rows = [
        {
            **{d: r[d] for d in by},
            "posts": r["posts"],
            "posts_per_week": r["posts"] / weeks,
            "median_gap_hours": medians.get(tuple(r[d] for d in by)),
            "first_post": r["first_post"],
            "last_post": r["last_post"],
        }
        for r in req.fetch(grouped)
        if r["posts"]
    ]
    req.notes.append(
        f"posts per week = posts / {weeks:.2f} weeks ({req.days} days, {req.start} to {req.end}); "
        "median gap: hours between a group's consecutive posts (none under 2 posts)"
    )
    return sort_rows(rows, by), []
