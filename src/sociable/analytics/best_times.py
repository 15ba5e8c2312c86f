"""Best time to post: a score for every weekday x hour slot, from the brand's own posts.

Method (per group: a network, or a segment within a network):

1. **Outcome per post** (:mod:`~sociable.analytics.best_times_outcome`): engagements over the
   group's one named base (reach, else impressions, else followers at posting time); with no
   base, engagements relative to the account's median post, and the result says so.
2. **Slot** = the weekday and hour the post went out, in the workspace's time zone (or the
   one given), read from its UTC instant with :mod:`zoneinfo`, so DST is right: 01:30 on a
   fall-back day is hour 1 both times it happens, and a spring-forward day has no hour 2.
   Slots are whole hours (168 a week). Finer slots (30 minutes) are not offered: at the
   posting rates brands have (a few posts a day) most half-hour slots would hold no post.
3. **Score** (:mod:`~sociable.analytics.slot_scores`): each slot's mean outcome shrunk toward
   the group mean by empirical Bayes (normal-normal, between-slot variance by the method of
   moments), with a 90% posterior interval. A thin slot stays near the group mean; a slot
   with no posts scores the group mean with the widest interval. No separate pooling of
   neighbouring hours: shrinkage already handles thin slots without inventing a shape.
4. **Fallback**: a group with fewer than :data:`MIN_POSTS` scored posts (or a network of the
   workspace with none at all) gets the published general guidance of
   :mod:`~sociable.analytics.best_times_prior` instead: 1 in a recommended window, 0 outside,
   no interval, ``fallback: true``, and the prior names its source as not the brand's own.

Ranking across accounts (the queue, the composer) uses ``lift`` = score / group mean.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.analytics.best_times_data import PostRow, load_posts
from sociable.analytics.best_times_outcome import outcomes
from sociable.analytics.best_times_prior import guidance
from sociable.analytics.slot_scores import HOURS, WEEKDAYS, score_slots
from sociable.clock import zone
from sociable.errors import UserError
from sociable.store.db import Database
from sociable.store.models import Account, Workspace

#: Fewer scored posts than this in a group and it falls back to published guidance.
MIN_POSTS = 10
LEVEL = 0.9
ENGINES = ("duckdb", "spark")
Grouping = Literal["network", "segment"]


@dataclass
class Slot:
    weekday: int  # 0 = Monday
    hour: int
    score: float
    low: float | None
    high: float | None
    posts: int
    shrunk_from: float | None


@dataclass
class Group:
    network: str
    segment: str | None
    fallback: bool
    base: str | None
    method: str
    prior: dict[str, Any]
    slots: list[Slot]
    posts: int
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.network if self.segment is None else f"{self.network}/{self.segment}"

    def slot(self, weekday: int, hour: int) -> Slot:
        return self.slots[weekday * HOURS + hour]

    def lift(self, slot: Slot) -> float:
        """The slot's score relative to the group mean (1.0 = the group's typical post)."""
        mean = self.prior.get("mean")
        if self.fallback or not mean:
            return slot.score
        return slot.score / float(mean)

    def best(self, count: int = 5) -> list[Slot]:
        return sorted(self.slots, key=lambda s: (-s.score, -(s.low or 0.0), s.weekday, s.hour))[
            :count
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "segment": self.segment,
            "fallback": self.fallback,
            "base": self.base,
            "method": self.method,
            "prior": self.prior,
            "posts": self.posts,
            "notes": self.notes,
            "slots": [asdict(s) for s in self.slots],
        }


@dataclass
class BestTimes:
    by: str
    start: datetime | None
    end: datetime | None
    timezone: str
    engine: str
    groups: list[Group]
    notes: list[str] = field(default_factory=list)

    def group(self, network: str, segment: str | None = None) -> Group | None:
        for g in self.groups:
            if g.network == network.lower() and (self.by == "network" or g.segment == segment):
                return g
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "report": "best-times",
            "by": self.by,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "timezone": self.timezone,
            "engine": self.engine,
            "level": LEVEL,
            "min_posts": MIN_POSTS,
            "notes": self.notes,
            "groups": [g.to_json() for g in self.groups],
        }


def _method(by: str) -> str:
    toward = "network" if by == "network" else "segment (within its network)"
    return (
        f"empirical Bayes: each weekday x hour mean outcome shrunk toward the {toward} mean "
        f"(normal-normal, between-slot variance by method of moments); {LEVEL:.0%} posterior "
        "interval"
    )


def fallback_group(network: str, segment: str | None, counts: dict[tuple[int, int], int]) -> Group:
    g = guidance(network)
    slots = [
        Slot(d, h, 1.0 if (d, h) in g.slots else 0.0, None, None, counts.get((d, h), 0), None)
        for d in range(WEEKDAYS)
        for h in range(HOURS)
    ]
    return Group(
        network=network,
        segment=segment,
        fallback=True,
        base=None,
        method="fallback: published general guidance (1 = recommended window, 0 = outside)",
        prior=g.to_json(),
        slots=slots,
        posts=sum(counts.values()),
        notes=[f"fewer than {MIN_POSTS} posts with numbers: not the brand's own evidence"],
    )


def score_group(
    network: str, segment: str | None, rows: list[PostRow], tz_name: str, by: str
) -> Group:
    """One group's slots from its posts (or its fallback when they are too few)."""
    tz = zone(tz_name)
    result = outcomes(rows)
    obs = []
    for row, y in zip(result.posts, result.values, strict=True):
        local = row.posted_at.astimezone(tz)
        obs.append((local.weekday(), local.hour, y))
    if len(obs) < MIN_POSTS:
        counts: dict[tuple[int, int], int] = {}
        for d, h, _ in obs:
            counts[(d, h)] = counts.get((d, h), 0) + 1
        group = fallback_group(network, segment, counts)
        group.notes.extend(result.notes)
        return group
    pooled, scored = score_slots(obs, level=LEVEL)
    slots = [
        Slot(s.weekday, s.hour, s.score, s.low, s.high, s.posts, s.shrunk_from) for s in scored
    ]
    prior = {
        "kind": "group mean",
        "own_evidence": True,
        "mean": pooled.mean,
        "between_slot_var": pooled.between_var,
        "within_slot_var": pooled.within_var,
        "posts": pooled.posts,
        "slots_with_posts": pooled.slots_with_posts,
    }
    notes = list(result.notes)
    if pooled.between_var == 0:
        notes.append("slots do not differ beyond noise: every slot scores the group mean")
    return Group(network, segment, False, result.base, _method(by), prior, slots, len(obs), notes)


def best_times(
    db: Database,
    workspace_id: int,
    *,
    by: Grouping = "network",
    start: datetime | None = None,
    end: datetime | None = None,
    timezone: str | None = None,
    engine: str | None = None,
) -> BestTimes:
    """Scores for every slot, per network (or per segment within a network)."""
    with db.read_session() as s:
        return best_times_in(
            s, workspace_id, by=by, start=start, end=end, timezone=timezone, engine=engine
        )


def best_times_in(
    s: Session,
    workspace_id: int,
    *,
    by: Grouping = "network",
    start: datetime | None = None,
    end: datetime | None = None,
    timezone: str | None = None,
    engine: str | None = None,
) -> BestTimes:
    """:func:`best_times` in an open session (the web composer's)."""
    if by not in ("network", "segment"):
        raise UserError(f"--by must be network or segment, not {by!r}")
    if engine is not None and engine not in ENGINES:
        raise UserError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if start is not None and end is not None and start >= end:
        raise UserError("--from must be before --to")
    workspace = s.get(Workspace, workspace_id)
    if workspace is None:
        raise UserError(f"no workspace {workspace_id}")
    tz_name = timezone or workspace.timezone or "UTC"
    zone(tz_name)
    accounts = select(Account.network).where(Account.workspace_id == workspace_id)
    networks = sorted({n.lower() for n in s.scalars(accounts)})
    rows = load_posts(s, workspace_id, start=start, end=end)
    grouped: dict[tuple[str, str | None], list[PostRow]] = {}
    for row in rows:
        key = (row.network.lower(), row.segment if by == "segment" else None)
        grouped.setdefault(key, []).append(row)
    for network in networks:
        if not any(k[0] == network for k in grouped):
            grouped[(network, None)] = []
    groups = [
        score_group(net, seg, grouped[(net, seg)], tz_name, by)
        for net, seg in sorted(grouped, key=lambda k: (k[0], k[1] or ""))
    ]
    notes = [f"slots are local to {tz_name}; {len(rows)} post(s) in the period"]
    if not groups:
        notes.append("no accounts and no posts: nothing to score yet")
    if engine is not None:
        notes.append(
            f"computed in Python (scipy); the {engine} engine is not used by best times yet"
        )
    return BestTimes(by, start, end, tz_name, "python", groups, notes)
