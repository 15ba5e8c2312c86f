"""Funnel: impressions -> engagements -> clicks -> conversions -> revenue, per group of posts.

Impressions, engagements and the network's own click count are each post's latest readings;
``clicks`` are people's clicks on our short links (bots left out), and conversions and revenue
are credited to those clicks (last click in 7 days by default), all within the range. A link
is matched to a post by our post id and network. Revenue stays per currency.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sociable.analytics.frame import expand, post_facts
from sociable.money import Totals

if TYPE_CHECKING:
    from sociable.analytics.reports import Request


def run(req: Request) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from sociable.analytics.reports import sort_rows

    by = req.by
    facts = post_facts(req.loaded, base=req.base)
    clicks = req.loaded.clicks
    per_post_clicks = clicks.group_by(["post_id", "network"]).aggregate(our_clicks=clicks.count())
    per_post_clicks = per_post_clicks.rename(c_post="post_id", c_network="network")
    conv = req.loaded.conversions.filter(req.loaded.conversions.post_id.notnull())
    per_post_conv = conv.group_by(["post_id", "network"]).aggregate(conversions=conv.weight.sum())
    per_post_conv = per_post_conv.rename(v_post="post_id", v_network="network")
    t = facts.left_join(
        per_post_clicks,
        (facts.post_id == per_post_clicks.c_post) & (facts.network == per_post_clicks.c_network),
    ).drop("c_post", "c_network")
    t = t.left_join(
        per_post_conv,
        (t.post_id == per_post_conv.v_post) & (t.network == per_post_conv.v_network),
    ).drop("v_post", "v_network")
    t = expand(t, by)
    metrics = {
        "posts": t.id.count(),
        "impressions": t.impressions.sum(),
        "engagements": t.engagements.sum(),
        "network_clicks": t.clicks.sum(),
        "our_clicks": t.our_clicks.sum(),
        "conversions": t.conversions.sum(),
    }
    grouped = t.group_by(by).aggregate(**metrics) if by else t.aggregate(**metrics)

    money = conv.group_by(["post_id", "network", "currency"]).aggregate(
        amount=conv.amount_minor.sum()
    )
    money = money.rename(m_post="post_id", m_network="network")
    keyed = expand(facts, by)
    keyed = keyed.select(*dict.fromkeys([*by, "post_id", "network"]))
    joined = keyed.join(money, (keyed.post_id == money.m_post) & (keyed.network == money.m_network))
    revenue = joined.group_by([*by, "currency"]).aggregate(amount=joined.amount.sum())
    totals: dict[tuple[Any, ...], Totals] = defaultdict(Totals)
    for r in req.fetch(revenue):
        totals[tuple(r[d] for d in by)].add(r["currency"], int(r["amount"]))

    rows = []
    for r in req.fetch(grouped):
        if not r["posts"]:
            continue
        clicks_n = int(r["our_clicks"] or 0)
        conversions = float(r["conversions"] or 0.0)
        rows.append(
            {
                **{d: r[d] for d in by},
                "posts": r["posts"],
                "impressions": r["impressions"],
                "engagements": r["engagements"],
                "network_clicks": r["network_clicks"],
                "clicks": clicks_n,
                "conversions": conversions,
                "conversion_rate": conversions / clicks_n if clicks_n else None,
                "revenue": totals[tuple(r[d] for d in by)].as_text(),
            }
        )
    _notes(req)
    return sort_rows(rows, by), []


def _notes(req: Request) -> None:
    tables = req.db_tables
    req.notes.append(
        "impressions, engagements and network_clicks: each post's latest readings (none where "
        "a network gives none); clicks: people's clicks on our links in the range; conversions: "
        "credited to those clicks (last click within 7 days); revenue per currency, never added"
    )
    if tables.bot_clicks:
        req.notes.append(f"{tables.bot_clicks} clicks by preview bots are left out")
    posts = tables.posts
    ours = {
        (p, n)
        for p, n in zip(
            posts.column("post_id").to_pylist(), posts.column("network").to_pylist(), strict=True
        )
        if p is not None
    }
    clicks = tables.clicks
    orphan = sum(
        1
        for p, n in zip(
            clicks.column("post_id").to_pylist(), clicks.column("network").to_pylist(), strict=True
        )
        if (p, n) not in ours
    )
    if orphan:
        req.notes.append(f"{orphan} clicks are on links to no post of this range: not in the rows")
    unattributed = sum(1 for p in tables.conversions.column("post_id").to_pylist() if p is None)
    if unattributed:
        req.notes.append(f"{unattributed} conversions have no eligible click (unattributed)")
