"""Engagement: engagements and the engagement rate per group, its base named, with intervals.

A group's rate is its rated posts' engagements over their summed base (reach, impressions or
followers at post time: each network's first available, or the one forced with ``--base``).
A group whose posts have different bases has no rate: the numbers are not comparable.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sociable.analytics.frame import expand, post_facts
from sociable.analytics.stats import compare, rate_interval

if TYPE_CHECKING:
    from sociable.analytics.reports import Request


def run(req: Request) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from sociable.analytics.reports import sort_rows

    by = req.by
    facts = expand(post_facts(req.loaded, base=req.base), by)
    rated = facts.rate.notnull()
    metrics = {
        "posts": facts.id.count(),
        "rated_posts": facts.id.count(where=rated),
        "engagements": facts.engagements.sum(),
        "rated_engagements": facts.engagements.sum(where=rated),
        "base_total": facts.base_value.sum(where=rated),
        "bases": facts.rate_base.nunique(where=rated),
        "base_name": facts.rate_base.max(where=rated),
    }
    grouped = facts.group_by(by).aggregate(**metrics) if by else facts.aggregate(**metrics)
    rows = req.fetch(grouped)
    wanted = dict.fromkeys([*by, "id", "engagements", "base_value", "rate"])
    per_post = facts.filter(rated).select(*wanted)
    samples: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for p in sorted(req.fetch(per_post), key=lambda r: r["id"]):
        samples[tuple(p[d] for d in by)].append(p)

    out: list[dict[str, Any]] = []
    mixed = False
    for row in rows:
        if not row["posts"]:
            continue  # no posts at all (a total over an empty range)
        key = tuple(row[d] for d in by)
        posts = samples.get(key, [])
        single = row["bases"] == 1
        mixed = mixed or (row["bases"] or 0) > 1
        rate = low = high = None
        if single and row["base_total"]:
            rate = row["rated_engagements"] / row["base_total"]
            low, high = rate_interval(
                [p["engagements"] for p in posts], [p["base_value"] for p in posts]
            )
        out.append(
            {
                **{d: row[d] for d in by},
                "posts": row["posts"],
                "rated_posts": row["rated_posts"] if single else 0,
                "engagements": row["engagements"],
                "engagement_rate": rate,
                "rate_base": row["base_name"] if single else None,
                "rate_low": low,
                "rate_high": high,
            }
        )
    out = sort_rows(out, by)
    _notes(req, facts, mixed)
    return out, _comparisons(req, out, samples)


def _notes(req: Request, facts: Any, mixed: bool) -> None:
    notes = req.notes
    notes.append(
        "engagements = likes + comments + shares + saves + quotes, of the parts a post has "
        "readings for (its latest reading of each)"
    )
    if req.base:
        notes.append(f"engagement rate = engagements / {req.base} (forced with --base)")
    # Which base each network has, and how many of its posts have no rate.
    summary = req.fetch(
        facts.group_by(["network", "rate_base"])
        .aggregate(posts=facts.id.nunique(), rated=facts.id.nunique(where=facts.rate.notnull()))
        .order_by("network")
    )
    for s in summary:
        base = s["rate_base"]
        if s["rated"] == 0:
            notes.append(
                f"{s['network']}: rate n/a ({s['posts']} posts, none with engagements and "
                f"{'a ' + base if base else 'a base'} reading)"
            )
            continue
        text = f"{s['network']}: rate = engagements / {base}"
        if base == "followers":
            text += (
                " (followers at post time: the last reading before the post, else the first after)"
            )
        missing = s["posts"] - s["rated"]
        if missing:
            text += (
                f"; {missing} of {s['posts']} posts have no {base} or engagement reading: no rate"
            )
        notes.append(text)
    if mixed:
        notes.append(
            "a group mixing networks with different bases has no rate (n/a): group by network "
            "or force one base with --base"
        )
    notes.append(
        "rate_low and rate_high: 95% bootstrap interval over posts (2,000 resamples, seeded); "
        "none under 2 rated posts"
    )


def _comparisons(
    req: Request, rows: list[dict[str, Any]], samples: dict[tuple[Any, ...], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """One comparison of per-post rates across the groups that share a base."""
    if not req.by:
        return []
    by_base: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["rate_base"] is not None:
            by_base[row["rate_base"]].append(row)
    out: list[dict[str, Any]] = []
    for base, groups in sorted(by_base.items()):
        if len(groups) < 2:
            continue
        values = [[p["rate"] for p in samples[tuple(g[d] for d in req.by)]] for g in groups]
        result = compare(values, min_posts=req.min_posts)
        out.append(
            {
                "measure": "engagement_rate",
                "base": base,
                "test": result.test,
                "statistic": result.statistic,
                "p_value": result.p_value,
                "verdict": result.verdict,
                "reason": result.reason,
                "min_posts": req.min_posts,
                "groups": [
                    {**{d: g[d] for d in req.by}, "posts": len(v)}
                    for g, v in zip(groups, values, strict=True)
                ],
            }
        )
    if out and any(d in ("label", "hashtag") for d in req.by):
        req.notes.append(
            "comparisons over labels or hashtags share posts between groups, so the groups are "
            "not independent samples: read their p-values as a guide"
        )
    return out
