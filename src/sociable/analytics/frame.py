"""The Ibis tables every report starts from: posts with their measures, grouped by dimensions.

:func:`prepare` loads :class:`~sociable.analytics.data.Tables` into a backend (local weekday
and hour added first, in Python's time-zone database, so DST days bucket right);
:func:`post_facts` gives one row per post with its measures as columns, its engagements and
its engagement-rate base; :func:`expand` adds one column per dimension, a post with two labels
(or hashtags) becoming two rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
from ibis.backends import BaseBackend

from sociable.analytics.data import Tables
from sociable.analytics.engine import load
from sociable.analytics.measures import ENGAGEMENT_PARTS

#: Bases an engagement rate can be over, in the order a network's is chosen.
BASES = ("reach", "impressions", "followers")
#: The post measures a report reads as columns.
POST_COLUMNS = (*ENGAGEMENT_PARTS, "impressions", "reach", "views", "clicks", "engagements")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Dimensions that are lists on a post: a post counts once in each of its groups.
LIST_DIMENSIONS = {"label": "labels", "hashtag": "hashtags"}


@dataclass
class Loaded:
    """The tables as the backend holds them."""

    posts: ir.Table
    post_metrics: ir.Table
    account_metrics: ir.Table
    clicks: ir.Table
    conversions: ir.Table


def with_local_time(posts: pa.Table, timezone: str) -> pa.Table:
    """``posts`` plus ``weekday`` (0 = Monday) and ``hour`` where it was posted in ``timezone``."""
    local = posts.column("posted_at").cast(pa.timestamp("us", tz=timezone))
    weekday = pc.day_of_week(local).cast(pa.int64())
    hour = pc.hour(local).cast(pa.int64())
    return posts.append_column("weekday", weekday).append_column("hour", hour)


def prepare(backend: BaseBackend, tables: Tables, timezone: str) -> Loaded:
    return Loaded(
        posts=load(backend, "posts", with_local_time(tables.posts, timezone)),
        post_metrics=load(backend, "post_metrics", tables.post_metrics),
        account_metrics=load(backend, "account_metrics", tables.account_metrics),
        clicks=load(backend, "clicks", tables.clicks),
        conversions=load(backend, "conversions", tables.conversions),
    )


def followers_at_post(posts: ir.Table, account_metrics: ir.Table) -> ir.Table:
    """Per post id: the account's followers when it was posted.

    The last followers reading at or before the post; when the account has none that early,
    its first reading after the post (the nearest one known).
    """
    f = account_metrics.filter(account_metrics.measure == "followers")
    f = f.select(f_account=f.account_id, f_value=f.value, f_ts=f.taken_ts)
    p = posts.select(p_id=posts.id, p_account=posts.account_id, p_ts=posts.posted_ts)
    j = p.join(f, p.p_account == f.f_account)
    before = j.f_ts <= j.p_ts
    # Readings before the post, latest first, then readings after it, earliest first.
    score = ibis.ifelse(before, j.f_ts, -j.f_ts)
    w = ibis.window(group_by=j.p_id, order_by=[ibis.desc(before.cast("int8")), ibis.desc(score)])
    ranked = j.mutate(_n=ibis.row_number().over(w))
    best = ranked.filter(ranked._n == 0)
    return best.select(fp_id=best.p_id, followers_at_post=best.f_value)


def post_facts(loaded: Loaded, *, base: str | None = None) -> ir.Table:
    """One row per post: its measures, ``engagements``, ``rate_base``, ``base_value``, ``rate``.

    ``engagements`` is the sum of the parts the post has readings for (None when it has
    none). Without ``base`` each network's base is the first of :data:`BASES` any of its posts
    has; a post lacking its network's base has no rate (never another base in its place).
    """
    pm = loaded.post_metrics
    wide = pm.group_by(pm.social_post_id).aggregate(
        **{m: pm.value.max(where=pm.measure == m) for m in POST_COLUMNS}
    )
    posts = loaded.posts
    t = posts.left_join(wide, posts.id == wide.social_post_id).drop("social_post_id")
    fol = followers_at_post(posts, loaded.account_metrics)
    t = t.left_join(fol, t.id == fol.fp_id).drop("fp_id")
    present = ibis.or_(*(t[p].notnull() for p in ENGAGEMENT_PARTS))
    total = sum(
        (t[p].coalesce(0) for p in ENGAGEMENT_PARTS[1:]), t[ENGAGEMENT_PARTS[0]].coalesce(0)
    )
    t = t.mutate(post_engagements=ibis.ifelse(present, total, ibis.null("int64")))
    t = t.drop("engagements").rename(engagements="post_engagements")
    if base is not None:
        t = t.mutate(rate_base=ibis.literal(base))
    else:
        t = t.mutate(followers=t.followers_at_post)
        per_net = t.group_by(t.network).aggregate(
            has_reach=t.reach.notnull().any(),
            has_impressions=t.impressions.notnull().any(),
        )
        per_net = per_net.mutate(
            net_base=ibis.cases(
                (per_net.has_reach, "reach"),
                (per_net.has_impressions, "impressions"),
                else_="followers",
            )
        ).select(b_network="network", net_base="net_base")
        t = t.left_join(per_net, t.network == per_net.b_network).drop("b_network", "followers")
        t = t.rename(rate_base="net_base")
    value = ibis.cases(
        (t.rate_base == "reach", t.reach),
        (t.rate_base == "impressions", t.impressions),
        else_=t.followers_at_post,
    )
    t = t.mutate(base_value=value)
    rated = t.engagements.notnull() & t.base_value.notnull() & (t.base_value > 0)
    rate = t.engagements.cast("float64") / t.base_value.cast("float64")
    return t.mutate(rate=ibis.ifelse(rated, rate, ibis.null("float64")))


def expand(t: ir.Table, by: Sequence[str]) -> ir.Table:
    """``t`` with one column per dimension in ``by`` (list dimensions unnested)."""
    for dim in by:
        if dim in LIST_DIMENSIONS:
            column = t[LIST_DIMENSIONS[dim]]
            has = t.filter(column.length() > 0)
            has = has.mutate(**{dim: has[LIST_DIMENSIONS[dim]].unnest()})
            none = t.filter(column.isnull() | (column.length() == 0))
            none = none.mutate(**{dim: ibis.null("string")})
            t = has.union(none)
    return t


def median(t: ir.Table, keys: Sequence[str], column: str, name: str) -> ir.Table:
    """The exact median of ``column`` per group (the mean of the middle two when even).

    Spelled out with row numbers because engines' ``median`` differ (Spark's is approximate).
    """
    t = t.filter(t[column].notnull())
    order = ibis.window(group_by=list(keys), order_by=[t[column]])
    whole = ibis.window(group_by=list(keys))
    t = t.mutate(_rn=ibis.row_number().over(order), _cnt=t[column].count().over(whole))
    mid = t.filter((t._rn == (t._cnt - 1) // 2) | (t._rn == t._cnt // 2))
    if keys:
        return mid.group_by(list(keys)).aggregate(**{name: mid[column].mean()})
    return mid.aggregate(**{name: mid[column].mean()})
