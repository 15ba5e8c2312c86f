"""What the Analytics page shows, gathered from the reports: the headline figures beside the
previous period's, the daily trends, the per-network table, the heatmap, the top posts and
the funnel.

Every number comes from :func:`sociable.analytics.reports.run_report` (the same engine the
CLI and the API run), except the daily trends, which bucket the same tables the reports load
(:mod:`sociable.analytics.data`, engagements as :func:`sociable.analytics.frame.post_facts`
counts them) by local day. Notes from every report are kept, so a base or a caveat is never
lost between the report and the page.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import Request

from sociable.analytics import reports
from sociable.analytics.reports import Report
from sociable.clock import zone
from sociable.config import Settings
from sociable.money import digits
from sociable.store.db import Database
from sociable.web.analytics_tables import Heatmap, Period, heatmap

BEST_TIMES = "sociable.analytics.best_times"
TOP_LIMIT = 5
#: Top posts by engagements, a count every network has (a rate would mix bases across networks).
TOP_MEASURE = "engagements"
BEST_SLOTS = 5


def analytics_engine(request: Request) -> str | None:
    """The ``[analytics] engine`` setting (duckdb or spark)."""
    settings: Settings = request.app.state.settings
    return settings.analytics.engine


def best_times_available() -> bool:
    return importlib.util.find_spec(BEST_TIMES) is not None


def run_best_times(
    db: Database, workspace_id: int, *, by: str, timezone: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows and notes of :mod:`sociable.analytics.best_times` (when that module exists)."""
    module = importlib.import_module(BEST_TIMES)
    result = module.best_times(db, workspace_id, by=by, timezone=timezone)
    rows: list[dict[str, Any]] = []
    notes = list(result.notes)
    for group in result.groups:
        notes.extend(f"{group.key}: {note}" for note in group.notes)
        for rank, slot in enumerate(group.best(BEST_SLOTS), start=1):
            rows.append(
                {
                    "network": group.network,
                    "segment": group.segment,
                    "rank": rank,
                    "weekday": slot.weekday,
                    "hour": slot.hour,
                    "score": slot.score,
                    "low": slot.low,
                    "high": slot.high,
                    "posts": slot.posts,
                    "base": group.base,
                    "fallback": group.fallback,
                    "method": group.method,
                }
            )
    return rows, notes


# -- headline figures ----------------------------------------------------------------------


@dataclass
class Kpi:
    """One headline figure and the same figure over the previous period of the same length.

    ``kind``: "count", "rate" (a ratio with its ``base``; None is n/a) or "money" (a decimal
    amount of ``currency``). ``value`` None means the data cannot give it (said in ``note``).
    """

    key: str
    label: str
    value: float | Decimal | None
    previous: float | Decimal | None
    kind: str = "count"
    currency: str | None = None
    base: str | None = None
    previous_base: str | None = None
    low: float | None = None
    high: float | None = None
    note: str | None = None

    @property
    def change(self) -> float | None:
        """Relative change of a count or an amount; for a rate, the difference in points
        (only when both periods have the same base)."""
        if self.value is None or self.previous is None:
            return None
        if self.kind == "rate":
            if self.base != self.previous_base:
                return None
            return float(self.value) - float(self.previous)
        if self.previous == 0:
            return None
        return (float(self.value) - float(self.previous)) / float(self.previous)

    @property
    def change_note(self) -> str | None:
        if self.value is None:
            return None
        if self.previous is None:
            return "nothing to compare with in the previous period"
        if self.kind == "rate" and self.base != self.previous_base:
            return (
                f"not compared: the previous period's base is {self.previous_base or 'n/a'}, "
                f"this one's {self.base or 'n/a'}"
            )
        if self.kind != "rate" and self.previous == 0:
            return "none in the previous period"
        return None

    def as_row(self) -> dict[str, Any]:
        return {
            "measure": self.key,
            "currency": self.currency,
            "value": _plain(self.value),
            "previous": _plain(self.previous),
            "change": self.change,
            "change_kind": "points" if self.kind == "rate" else "relative",
            "base": self.base if self.kind == "rate" else None,
            "previous_base": self.previous_base if self.kind == "rate" else None,
            "low": self.low,
            "high": self.high,
            "note": self.note or self.change_note,
        }


def _plain(value: float | Decimal | None) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _total(report: Report) -> dict[str, Any]:
    return dict(report.rows[0]) if report.rows else {}


def _number(row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    if value is None or isinstance(value, (dict, list, str)):
        return None
    return float(value)


def _revenue(row: Mapping[str, Any]) -> dict[str, Decimal]:
    value = row.get("revenue")
    if isinstance(value, Mapping):
        return {str(k): Decimal(str(v)) for k, v in value.items()}
    return {}


@dataclass
class Runner:
    """Runs reports for one workspace, zone and engine (and keeps every note they make)."""

    db: Database
    workspace_id: int
    timezone: str
    engine: str | None = None
    notes: list[str] = field(default_factory=list)

    def run(self, kind: str, period: Period, by: Sequence[str] = (), **options: Any) -> Report:
        try:
            report = reports.run_report(
                self.db,
                self.workspace_id,
                kind,
                by=list(by),
                start=period.start,
                end=period.end,
                timezone=self.timezone,
                engine=self.engine,
                **options,
            )
        except reports.ReportError as exc:  # a kind this install cannot run: say so, go on
            line = f"{kind}: {exc}"
            if line not in self.notes:
                self.notes.append(line)
            return Report(kind, list(by), period.start, period.end, self.timezone, "-")
        for note in report.notes:
            line = f"{kind}: {note}"
            if line not in self.notes:
                self.notes.append(line)
        return report


@dataclass
class Loaded:
    """One period's tables as the reports load them, with each post's facts."""

    tables: Any
    facts: pa.Table  # posted_at, engagements, impressions, reach per post


def load_period(runner: Runner, period: Period) -> Loaded:
    from sociable.analytics import data
    from sociable.analytics.engine import connect
    from sociable.analytics.frame import post_facts, prepare

    tz = zone(runner.timezone)
    lo = datetime.combine(period.start, datetime.min.time(), tz).astimezone(UTC)
    hi = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    tables = data.load_tables(runner.db, runner.workspace_id, start=lo, end=hi)
    backend = connect(runner.engine or "duckdb")
    facts = post_facts(prepare(backend, tables, runner.timezone))
    columns = backend.to_pyarrow(facts.select("posted_at", "engagements", "impressions", "reach"))
    return Loaded(tables, columns)


def _sum(column: pa.ChunkedArray) -> float | None:
    """The sum of the values present; None when no post has the measure at all."""
    if column.null_count == len(column):
        return None
    return float(pc.sum(column).as_py() or 0)


def totals(loaded: Loaded) -> dict[str, Any]:
    """What the funnel counts, from the same tables the reports read: impressions and reach
    of the period's posts, people's clicks, conversions (attribution credits) and revenue
    per currency, and followers gained (per account: its last reading in the period less its
    last reading before it)."""
    tables = loaded.tables
    revenue: dict[str, Decimal] = {}
    conv = tables.conversions
    if conv.num_rows:
        for currency, minor in zip(
            conv.column("currency").to_pylist(),
            conv.column("amount_minor").to_pylist(),
            strict=True,
        ):
            step = Decimal(10) ** -digits(currency)
            revenue[currency] = revenue.get(currency, Decimal(0)) + Decimal(minor or 0) * step
    weights = conv.column("weight") if conv.num_rows else None
    return {
        "impressions": _sum(loaded.facts.column("impressions")),
        "reach": _sum(loaded.facts.column("reach")),
        "clicks": float(tables.clicks.num_rows),
        "conversions": float(pc.sum(weights).as_py() or 0) if weights is not None else 0.0,
        "revenue": revenue,
        "followers_gained": _followers_gained(tables),
    }


def _followers_gained(tables: Any) -> float | None:
    metrics = tables.account_metrics
    if not metrics.num_rows:
        return None
    start = tables.start
    first: dict[int, tuple[datetime, int]] = {}
    last: dict[int, tuple[datetime, int]] = {}
    for row in metrics.to_pylist():
        if row["measure"] != "followers":
            continue
        key, at, value = row["account_id"], row["taken_at"], row["value"]
        if start is not None and at < start:
            first[key] = (at, value)  # the last reading before the period (one per account)
        elif key not in last or at >= last[key][0]:
            last[key] = (at, value)
    gained = [last[k][1] - first[k][1] for k in last if k in first]
    return float(sum(gained)) if gained else None


def kpis(runner: Runner, period: Period) -> list[Kpi]:
    """The headline figures of ``period`` beside the previous period's."""
    before = period.previous()
    now_e = _total(runner.run("engagement", period))
    was_e = _total(runner.run("engagement", before))
    now_t, was_t = totals(load_period(runner, period)), totals(load_period(runner, before))
    base = now_e.get("rate_base")
    out = [
        Kpi("posts", "Posts", _number(now_e, "posts") or 0, _number(was_e, "posts") or 0),
        _count("impressions", "Impressions", now_t, was_t),
        _count("reach", "Reach", now_t, was_t),
        Kpi(
            "engagements",
            "Engagements",
            _number(now_e, "engagements"),
            _number(was_e, "engagements"),
        ),
        Kpi(
            "engagement_rate",
            "Engagement rate",
            _number(now_e, "engagement_rate"),
            _number(was_e, "engagement_rate"),
            kind="rate",
            base=base,
            previous_base=was_e.get("rate_base"),
            low=_number(now_e, "rate_low"),
            high=_number(now_e, "rate_high"),
            note=None
            if base or not now_e.get("posts")
            else "n/a over all networks together: their bases differ (see the table by network)",
        ),
        _count("clicks", "Clicks", now_t, was_t),
        _count("conversions", "Conversions", now_t, was_t),
    ]
    now_r, was_r = now_t["revenue"], was_t["revenue"]
    for currency in sorted(set(now_r) | set(was_r)):
        out.append(
            Kpi(
                "revenue",
                f"Revenue ({currency})",
                now_r.get(currency, Decimal(0)),
                was_r.get(currency, Decimal(0)),
                kind="money",
                currency=currency,
                note="never added across currencies",
            )
        )
    if not now_r and not was_r:
        out.append(Kpi("revenue", "Revenue", None, None, kind="money", note="no sales recorded"))
    out.append(_count("followers_gained", "Follower growth", now_t, was_t))
    return out


def _count(name: str, label: str, now: Mapping[str, Any], was: Mapping[str, Any]) -> Kpi:
    value, previous = now.get(name), was.get(name)
    note = None if value is not None else f"n/a: no {label.lower()} readings in this period"
    return Kpi(name, label, value, previous, note=note)


# -- daily trends --------------------------------------------------------------------------


@dataclass
class Trends:
    """Per local day of the period: posts, their engagements (by the day they were posted)
    and clicks by people."""

    days: list[str]
    posts: list[int]
    engagements: list[int]
    clicks: list[int]

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"day": d, "posts": p, "engagements": e, "clicks": c}
            for d, p, e, c in zip(self.days, self.posts, self.engagements, self.clicks, strict=True)
        ]

    def series(self) -> dict[str, list[Any]]:
        return {
            "days": self.days,
            "posts": self.posts,
            "engagements": self.engagements,
            "clicks": self.clicks,
        }


def _local_days(column: pa.ChunkedArray, timezone: str) -> list[str]:
    local = column.cast(pa.timestamp("us", tz=timezone))
    return [
        f"{y:04d}-{m:02d}-{d:02d}"
        for y, m, d in zip(
            pc.year(local).to_pylist(),
            pc.month(local).to_pylist(),
            pc.day(local).to_pylist(),
            strict=True,
        )
    ]


def daily_trends(runner: Runner, period: Period, loaded: Loaded | None = None) -> Trends:
    loaded = loaded or load_period(runner, period)
    per_post, tables = loaded.facts, loaded.tables
    labels = [(period.start + timedelta(days=i)).isoformat() for i in range(period.days)]
    index = {d: i for i, d in enumerate(labels)}
    posts, engaged, clicks = [0] * len(labels), [0] * len(labels), [0] * len(labels)
    if per_post.num_rows:
        days = _local_days(per_post.column("posted_at"), runner.timezone)
        for day, value in zip(days, per_post.column("engagements").to_pylist(), strict=True):
            if day in index:
                posts[index[day]] += 1
                engaged[index[day]] += int(value or 0)
    if tables.clicks.num_rows:
        for day in _local_days(tables.clicks.column("at"), runner.timezone):
            if day in index:
                clicks[index[day]] += 1
    return Trends(labels, posts, engaged, clicks)


# -- the whole page ------------------------------------------------------------------------


@dataclass
class Overview:
    period: Period
    timezone: str
    kpis: list[Kpi]
    trends: Trends
    networks: Report
    heatmap_report: Report
    heatmap: Heatmap
    top: Report
    funnel: list[dict[str, Any]]
    notes: list[str]

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every table on the page, as its CSV export writes it."""
        return {
            "kpis": [k.as_row() for k in self.kpis],
            "trends": self.trends.rows(),
            "networks": self.networks.to_json()["rows"],
            "heatmap": self.heatmap_report.to_json()["rows"],
            "top": self.top.to_json()["rows"],
            "funnel": self.funnel,
        }


TABLES = ("kpis", "trends", "networks", "heatmap", "top", "funnel")


def heatmap_of(report: Report) -> Heatmap:
    """The engagement report by weekday and hour as a grid of engagements per post."""
    rows = [
        {**row, "per_post": (row["engagements"] or 0) / row["posts"] if row.get("posts") else None}
        for row in report.rows
    ]
    return heatmap(
        rows,
        value="per_post",
        measure="engagements per post (mean)",
        source="the engagement report by weekday and hour",
        notes=[
            "a slot's value is its posts' engagements divided by its posts: a mean over few "
            "posts is a weak guide, the post count is on each cell"
        ],
    )


def overview(runner: Runner, period: Period) -> Overview:
    """Everything the page shows for ``period``."""
    grid = runner.run("engagement", period, ("weekday", "hour"))
    headline_figures = kpis(runner, period)
    funnel: list[dict[str, Any]] = runner.run("funnel", period).to_json()["rows"]
    return Overview(
        period=period,
        timezone=runner.timezone,
        kpis=headline_figures,
        trends=daily_trends(runner, period),
        networks=runner.run("engagement", period, ("network",)),
        heatmap_report=grid,
        heatmap=heatmap_of(grid),
        top=runner.run("top", period, limit=TOP_LIMIT, measure=TOP_MEASURE),
        funnel=funnel,
        notes=runner.notes,
    )


def table_rows(runner: Runner, period: Period, name: str) -> list[dict[str, Any]]:
    """One of :data:`TABLES`, computed alone (what its CSV export writes)."""
    if name == "kpis":
        return [k.as_row() for k in kpis(runner, period)]
    if name == "trends":
        return daily_trends(runner, period).rows()
    if name == "funnel":
        report = runner.run("funnel", period)
    elif name == "top":
        report = runner.run("top", period, limit=TOP_LIMIT, measure=TOP_MEASURE)
    else:
        dims = ("network",) if name == "networks" else ("weekday", "hour")
        report = runner.run("engagement", period, dims)
    rows: list[dict[str, Any]] = report.to_json()["rows"]
    return rows


def headline(runner: Runner, today: date) -> list[Kpi]:
    """The week's posts, engagements, clicks and revenue for the home page."""
    week = Period(today - timedelta(days=6), today)
    wanted = {"posts", "engagements", "clicks", "revenue"}
    return [k for k in kpis(runner, week) if k.key in wanted]
