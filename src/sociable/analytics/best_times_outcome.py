"""Each post's outcome for best times: its engagement rate on the group's one named base.

- Engagements: the network's own ``engagements`` total when given, else the sum of the
  :data:`~sociable.analytics.measures.ENGAGEMENT_PARTS` the post has. A post with neither is
  left out and counted.
- Base: the first of reach, impressions, followers (at posting time) that at least half of
  the group's posts carry (> 0). One base for the whole group, never a silent switch: posts
  without it are left out and counted in the notes.
- No base reaches half (Bluesky and Mastodon give no reach or impressions, and no follower
  readings may exist): the outcome is engagements divided by the account's median
  engagements in the period (1.0 = a typical post of that account; the mean when the median
  is 0), and the base is named ``"account median engagements"``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from sociable.analytics.best_times_data import PostRow
from sociable.analytics.measures import ENGAGEMENT_PARTS

BASES = ("reach", "impressions", "followers")
MEDIAN_BASE = "account median engagements"


@dataclass
class Outcomes:
    base: str
    posts: list[PostRow] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    left_out: int = 0


def engagements(row: PostRow) -> int | None:
    if "engagements" in row.measures:
        return row.measures["engagements"]
    parts = [row.measures[m] for m in ENGAGEMENT_PARTS if m in row.measures]
    return sum(parts) if parts else None


def base_value(row: PostRow, base: str) -> int | None:
    value = row.followers if base == "followers" else row.measures.get(base)
    return value if value is not None and value > 0 else None


def outcomes(rows: Sequence[PostRow]) -> Outcomes:
    """The outcome of every post of one group that has one; the rest counted in notes."""
    known = [(r, e) for r in rows if (e := engagements(r)) is not None]
    out = Outcomes(base=MEDIAN_BASE)
    if len(known) < len(rows):
        missing = len(rows) - len(known)
        out.notes.append(f"{missing} post(s) without engagement numbers left out")
        out.left_out += missing
    if not known:
        return out
    for base in BASES:
        having = [(r, e, b) for r, e in known if (b := base_value(r, base)) is not None]
        if 2 * len(having) >= len(known):
            out.base = base
            out.posts = [r for r, _, _ in having]
            out.values = [e / b for _, e, b in having]
            if len(having) < len(known):
                lost = len(known) - len(having)
                out.notes.append(f"{lost} post(s) without {base} left out (the base is {base})")
                out.left_out += lost
            return out
    by_account: dict[int, list[int]] = {}
    for r, e in known:
        by_account.setdefault(r.account_id, []).append(e)
    scale = {}
    for account, values in by_account.items():
        mid = statistics.median(values) or statistics.fmean(values)
        scale[account] = mid
    out.posts = [r for r, _ in known]
    out.values = [e / scale[r.account_id] if scale[r.account_id] else 0.0 for r, e in known]
    out.notes.append(
        "no reach, impressions or follower count for most posts: outcome is engagements "
        "relative to the account's median post (1.0 = typical), not an engagement rate"
    )
    return out
