"""Engagement and cadence reports on SQLite and PostgreSQL, checked against plain Python."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date

import pytest

from sociable.analytics.reports import ReportError, run_report
from sociable.store.db import Database
from tests.analytics.builder import Builder, utc

TODAY = date(2026, 11, 30)
PARTS = ("likes", "comments", "shares", "saves", "quotes")


def seed(db: Database) -> Builder:
    b = Builder(db)
    # bluesky: no reach, no impressions -> followers at post time
    b.followers("bluesky", "@a", 200, utc(2026, 11, 1))
    b.followers("bluesky", "@a", 400, utc(2026, 11, 20))
    b.post(
        "bluesky",
        "@a",
        utc(2026, 11, 10, 9),
        metrics={"likes": 10, "comments": 2},
        labels=["promo", "video"],
        content_type="video",
    )
    b.post(
        "bluesky",
        "@a",
        utc(2026, 11, 21, 9),
        metrics={"likes": 20},
        labels=["promo"],
        content_type="image",
    )
    # x: impressions
    b.post(
        "x",
        "@b",
        utc(2026, 11, 12, 10),
        metrics={"likes": 3, "impressions": 100},
        content_type="image",
    )
    b.post(
        "x",
        "@b",
        utc(2026, 11, 13, 10),
        metrics={"likes": 1, "shares": 2, "impressions": 50},
        content_type="image",
    )
    b.post("x", "@b", utc(2026, 11, 14, 10), metrics={"likes": 1}, content_type="text")
    # mastodon: nothing to divide by at all
    b.post("mastodon", "@m", utc(2026, 11, 15, 10), metrics={"likes": 4})
    return b


def engagements(measures: dict[str, int]) -> int | None:
    got = [measures[p] for p in PARTS if p in measures]
    return sum(got) if got else None


def followers_at(b: Builder, account_id: int, when) -> int | None:  # type: ignore[no-untyped-def]
    before = [r for r in b.seeded.account_readings if r[0] == account_id and r[3] <= when]
    return max(before, key=lambda r: r[3])[2] if before else None


def test_per_network_base_is_named_and_na_where_none(db: Database) -> None:
    b = seed(db)
    report = run_report(db, b.workspace_id, "engagement", by=["network"], today=TODAY)
    rows = {r["network"]: r for r in report.rows}
    # expected from the rows the test wrote
    blue = [p for p in b.seeded.posts if p.network == "bluesky"]
    num = sum(engagements(p.measures) or 0 for p in blue)
    den = sum(followers_at(b, p.account_id, p.posted_at) or 0 for p in blue)
    assert rows["bluesky"]["rate_base"] == "followers"
    assert rows["bluesky"]["engagement_rate"] == pytest.approx(num / den)
    xs = [p for p in b.seeded.posts if p.network == "x" and "impressions" in p.measures]
    x_rate = sum(engagements(p.measures) or 0 for p in xs) / sum(
        p.measures["impressions"] for p in xs
    )
    assert rows["x"]["rate_base"] == "impressions"
    assert rows["x"]["engagement_rate"] == pytest.approx(x_rate)
    assert rows["x"]["posts"] == 3 and rows["x"]["rated_posts"] == 2
    assert rows["mastodon"]["engagement_rate"] is None
    assert rows["mastodon"]["engagements"] == 4
    assert any("mastodon: rate n/a" in n for n in report.notes)
    assert any("1 of 3 posts have no impressions" in n for n in report.notes)
    for row in report.rows:
        if row["rate_low"] is not None:
            assert row["rate_low"] <= row["engagement_rate"] <= row["rate_high"]


def test_forced_base_gives_na_where_missing_and_mixed_groups_have_no_rate(db: Database) -> None:
    b = seed(db)
    forced = run_report(
        db, b.workspace_id, "engagement", by=["network"], base="impressions", today=TODAY
    )
    rows = {r["network"]: r for r in forced.rows}
    assert rows["bluesky"]["engagement_rate"] is None and rows["bluesky"]["rate_base"] is None
    assert rows["x"]["rate_base"] == "impressions"
    assert forced.base == "impressions"
    # content_type image mixes bluesky (followers) and x (impressions): no silent blend
    mixed = run_report(db, b.workspace_id, "engagement", by=["content_type"], today=TODAY)
    image = next(r for r in mixed.rows if r["content_type"] == "image")
    assert image["engagement_rate"] is None and image["posts"] == 3
    assert any("different bases" in n for n in mixed.notes)


def test_labels_count_in_each_group_and_the_unlabelled_are_kept(db: Database) -> None:
    b = seed(db)
    report = run_report(db, b.workspace_id, "engagement", by=["label"], today=TODAY)
    counts: dict[str | None, int] = defaultdict(int)
    for p in b.seeded.posts:
        for label in p.labels or [None]:
            counts[label] += 1
    assert {r["label"]: r["posts"] for r in report.rows} == counts
    assert sum(r["posts"] for r in report.rows) > len(b.seeded.posts)
    assert any("counts in each of their groups" in n for n in report.notes)


def test_cadence_per_network(db: Database) -> None:
    b = seed(db)
    report = run_report(db, b.workspace_id, "cadence", by=["network"], today=TODAY)
    for row in report.rows:
        times = sorted(p.posted_at for p in b.seeded.posts if p.network == row["network"])
        assert row["posts"] == len(times)
        assert row["posts_per_week"] == pytest.approx(len(times) / 4)  # 28 days
        gaps = [(b2 - a).total_seconds() / 3600 for a, b2 in zip(times, times[1:], strict=False)]
        assert row["median_gap_hours"] == (statistics.median(gaps) if gaps else None)
    assert {r["network"] for r in report.rows} == {"bluesky", "x", "mastodon"}


def test_date_range_is_inclusive_in_the_workspace_zone(db: Database) -> None:
    b = Builder(db, timezone="America/New_York")
    # 2026-11-11 04:30 UTC is 23:30 on the 10th in New York
    b.post("x", "@b", utc(2026, 11, 11, 4, 30), metrics={"likes": 1})
    b.post("x", "@b", utc(2026, 11, 11, 5, 30), metrics={"likes": 1})
    on_10th = run_report(
        db, b.workspace_id, "cadence", start=date(2026, 11, 10), end=date(2026, 11, 10)
    )
    assert [r["posts"] for r in on_10th.rows] == [1]
    in_utc = run_report(
        db,
        b.workspace_id,
        "cadence",
        start=date(2026, 11, 10),
        end=date(2026, 11, 10),
        timezone="UTC",
    )
    assert in_utc.rows == []


def test_bad_requests_are_user_errors(db: Database) -> None:
    b = seed(db)
    with pytest.raises(ReportError, match="unknown dimension"):
        run_report(db, b.workspace_id, "engagement", by=["colour"])
    with pytest.raises(ReportError, match="unknown report"):
        run_report(db, b.workspace_id, "vibes")
    with pytest.raises(ReportError, match="rate base"):
        run_report(db, b.workspace_id, "engagement", base="hearts")
    with pytest.raises(ReportError, match="after it ends"):
        run_report(db, b.workspace_id, "cadence", start=date(2026, 11, 2), end=date(2026, 11, 1))
