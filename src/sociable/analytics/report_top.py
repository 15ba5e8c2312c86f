"""Top: the best and the worst posts by engagement rate (or a chosen measure), per group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis

from sociable.analytics.frame import POST_COLUMNS, expand, post_facts
from sociable.analytics.reports import ReportError

if TYPE_CHECKING:
    from sociable.analytics.reports import Request

RANKABLE = ("engagement_rate", "engagements", *(c for c in POST_COLUMNS if c != "engagements"))


def run(req: Request) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    measure = (req.measure or "engagement_rate").strip().lower()
    if measure not in RANKABLE:
        raise ReportError(
            f"cannot rank by {req.measure!r}: choose {', '.join(RANKABLE)}", where="--measure"
        )
    by = req.by
    facts = expand(post_facts(req.loaded, base=req.base), by)
    column = "rate" if measure == "engagement_rate" else measure
    ranked = facts.filter(facts[column].notnull()).mutate(value=facts[column].cast("float64"))
    group = list(by) or None
    best = ibis.window(group_by=group, order_by=[ibis.desc(ranked.value), ranked.id])
    worst = ibis.window(group_by=group, order_by=[ranked.value, ibis.desc(ranked.id)])
    ranked = ranked.mutate(_best=ibis.row_number().over(best), _worst=ibis.row_number().over(worst))
    # A post is in the top N, else in the bottom N (never both when a group is small).
    picked = ranked.filter((ranked._best < req.limit) | (ranked._worst < req.limit))
    wanted = dict.fromkeys(
        [
            *by,
            "id",
            "network",
            "account",
            "posted_at",
            "text",
            "url",
            "value",
            "rate_base",
            "_best",
            "_worst",
        ]
    )
    rows = []
    for r in req.fetch(picked.select(*wanted)):
        top = r["_best"] < req.limit
        rows.append(
            {
                **{d: r[d] for d in by},
                "position": "top" if top else "bottom",
                "rank": (r["_best"] if top else r["_worst"]) + 1,
                "post": r["id"],
                "network": r["network"],
                "account": r["account"],
                "posted_at": r["posted_at"],
                measure: r["value"],
                "rate_base": r["rate_base"] if measure == "engagement_rate" else None,
                "text": r["text"],
                "url": r["url"],
            }
        )

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        dims = tuple((row[d] is None, row[d] if row[d] is not None else 0) for d in by)
        return (*dims, row["position"] != "top", row["rank"])

    rows.sort(key=key)
    unranked = req.fetch(facts.aggregate(n=facts.id.nunique(where=facts[column].isnull())))
    missing = unranked[0]["n"] if unranked else 0
    req.notes.append(
        f"top and bottom {req.limit} posts by {measure} per group (ties broken by post id)"
    )
    if missing:
        req.notes.append(f"{missing} posts have no {measure} and are not ranked")
    if measure == "engagement_rate" and by and "network" not in by:
        req.notes.append("rates over different bases (see rate_base) are not comparable")
    return rows, []
