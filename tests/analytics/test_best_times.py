"""best_times() on a real database (SQLite, PostgreSQL): slots, DST, bases, fallback, segments."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sociable.analytics.best_times import MIN_POSTS, best_times
from sociable.analytics.best_times_outcome import MEDIAN_BASE
from sociable.store.db import Database
from tests.analytics import history as h

MONDAY = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday


def _week_of_posts(s, acc, *, hot: tuple[int, int], n: int = 30, segment=None):  # type: ignore[no-untyped-def]
    """``n`` posts over the week at 3-hour steps, the ``hot`` (weekday, hour UTC) slot five
    times better than the rest; every slot's posts vary a little."""
    day, hour = hot
    for i in range(n):
        at = MONDAY + timedelta(hours=3 * i + 1)
        reach = 1000
        likes = 20 + (i % 3) * 2
        h.post(s, acc, at, {"likes": likes, "reach": reach}, segment=segment)
    for k in range(6):
        at = MONDAY + timedelta(days=day + 7 * k, hours=hour)
        h.post(s, acc, at, {"likes": 100 + k, "reach": 1000}, segment=segment)


def test_the_hot_slot_scores_best_on_the_named_base(db: Database) -> None:
    with db.session() as s:
        ws = h.workspace(s)
        acc = h.account(s, ws, "facebook")
        _week_of_posts(s, acc, hot=(2, 18))
        ws_id = ws.id
    result = best_times(db, ws_id)
    (group,) = result.groups
    assert not group.fallback and group.base == "reach"
    top = group.best(1)[0]
    assert (top.weekday, top.hour, top.posts) == (2, 18, 6)
    assert top.low is not None and top.high is not None and top.low <= top.score <= top.high
    assert top.shrunk_from is not None and group.prior["mean"] < top.score < top.shrunk_from
    assert group.posts == 36 and group.prior["own_evidence"] is True
    empty = group.slot(0, 0)
    assert empty.posts == 0 and empty.shrunk_from is None and empty.score == group.prior["mean"]


def test_a_post_at_0130_on_the_fall_back_day_lands_in_hour_1_both_times(db: Database) -> None:
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST, an hour later
    spring = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT (02:xx does not exist)
    with db.session() as s:
        ws = h.workspace(s, tz="America/New_York")
        acc = h.account(s, ws, "facebook")
        for at in (first, second, spring):
            h.post(s, acc, at, {"likes": 10, "reach": 100})
        for i in range(MIN_POSTS):
            h.post(s, acc, MONDAY + timedelta(hours=15 + i), {"likes": 5 + i, "reach": 100})
        ws_id = ws.id
    (group,) = best_times(db, ws_id).groups
    sunday = 6
    assert group.slot(sunday, 1).posts == 2  # both 01:30s of 1 November
    assert group.slot(sunday, 2).posts == 0  # a fixed -4 or -5 offset puts one here
    assert group.slot(sunday, 3).posts == 1  # 8 March, after the gap
    # the same posts read in UTC are other slots: the zone is applied, not assumed
    (utc,) = best_times(db, ws_id, timezone="UTC").groups
    assert utc.slot(sunday, 5).posts == 1 and utc.slot(sunday, 6).posts == 1


def test_no_history_falls_back_to_published_guidance_and_says_so(db: Database) -> None:
    with db.session() as s:
        ws = h.workspace(s, tz="Europe/Paris")
        h.account(s, ws, "facebook")
        h.account(s, ws, "mastodon", handle="@a@m.example")
        ws_id = ws.id
    result = best_times(db, ws_id)
    assert [g.network for g in result.groups] == ["facebook", "mastodon"]
    fb, masto = result.groups
    for g in (fb, masto):
        assert g.fallback and g.posts == 0 and g.prior["own_evidence"] is False
        assert "Sprout Social" in g.prior["title"] and g.prior["checked"]
        assert all(s.low is None and s.high is None for s in g.slots)
    assert fb.prior["network"] == "facebook" and masto.prior["network"] == "*"
    # Facebook's guidance has Monday 8-13; the cross-network finding starts on Tuesday
    assert fb.slot(0, 9).score == 1 and masto.slot(0, 9).score == 0
    assert masto.slot(1, 10).score == 1 and fb.slot(6, 10).score == 0


def test_thin_history_is_a_fallback_that_still_counts_the_posts(db: Database) -> None:
    with db.session() as s:
        ws = h.workspace(s)
        acc = h.account(s, ws, "facebook")
        for i in range(MIN_POSTS - 1):
            h.post(s, acc, MONDAY + timedelta(days=7 * i, hours=9), {"likes": 3, "reach": 50})
        h.post(s, acc, MONDAY + timedelta(hours=10), {"reach": 50})  # no engagement numbers
        ws_id = ws.id
    (group,) = best_times(db, ws_id).groups
    assert group.fallback and group.posts == MIN_POSTS - 1
    assert group.slot(0, 9).posts == MIN_POSTS - 1
    assert any("without engagement numbers" in n for n in group.notes)


def test_no_reach_means_median_normalised_engagements_named_as_such(db: Database) -> None:
    with db.session() as s:
        ws = h.workspace(s)
        acc = h.account(s, ws, "mastodon", handle="@a@m.example")
        for i in range(12):
            h.post(s, acc, MONDAY + timedelta(hours=5 * i), {"likes": 4 + i % 3, "shares": 1})
        ws_id = ws.id
    (group,) = best_times(db, ws_id).groups
    assert group.base == MEDIAN_BASE and not group.fallback
    assert any("not an engagement rate" in n for n in group.notes)
    observed = [sl.shrunk_from for sl in group.slots if sl.shrunk_from is not None]
    assert min(observed) < 1.0 < max(observed)  # relative to the median post (= 6)


def test_posts_without_the_groups_base_are_left_out_and_counted(db: Database) -> None:
    with db.session() as s:
        ws = h.workspace(s)
        acc = h.account(s, ws, "facebook")
        for i in range(12):
            h.post(s, acc, MONDAY + timedelta(hours=5 * i), {"likes": 10 + i, "reach": 200})
        for i in range(3):
            h.post(s, acc, MONDAY + timedelta(hours=7 * i + 2), {"likes": 10, "impressions": 900})
        ws_id = ws.id
    (group,) = best_times(db, ws_id).groups
    assert group.base == "reach" and group.posts == 12
    assert any(n.startswith("3 post(s) without reach left out") for n in group.notes)


def test_per_segment_each_segment_gets_its_own_slots(db: Database) -> None:
    with db.session() as s:
        ws = h.workspace(s)
        acc = h.account(s, ws, "facebook")
        _week_of_posts(s, acc, hot=(1, 8), segment="shop")
        _week_of_posts(s, acc, hot=(4, 20), segment="blog")
        ws_id = ws.id
    by_segment = best_times(db, ws_id, by="segment")
    assert [(g.network, g.segment) for g in by_segment.groups] == [
        ("facebook", "blog"),
        ("facebook", "shop"),
    ]
    blog, shop = by_segment.groups
    assert (blog.best(1)[0].weekday, blog.best(1)[0].hour) == (4, 20)
    assert (shop.best(1)[0].weekday, shop.best(1)[0].hour) == (1, 8)
    assert "segment" in blog.method and blog.posts == shop.posts == 36
    (both,) = best_times(db, ws_id, by="network").groups
    assert both.segment is None and both.posts == 72
    assert {(sl.weekday, sl.hour) for sl in both.best(2)} == {(1, 8), (4, 20)}


def test_the_period_bounds_which_posts_count(db: Database) -> None:
    with db.session() as s:
        ws = h.workspace(s)
        acc = h.account(s, ws, "facebook")
        _week_of_posts(s, acc, hot=(2, 18))
        ws_id = ws.id
    (late,) = best_times(db, ws_id, start=MONDAY + timedelta(days=7)).groups
    assert late.fallback and late.posts == 5  # only the hot slot's later weeks are left


# --- the command ----------------------------------------------------------------------------


def _env(cli, database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    from tests.publish.calendar_env import make_env

    env = make_env(cli, database_url, tmp_path, timezone="UTC")
    with env.db.session() as s:
        from sqlalchemy import select

        from sociable.store.models import Workspace

        ws = s.scalars(select(Workspace)).one()
        acc = h.account(s, ws, "facebook")
        _week_of_posts(s, acc, hot=(2, 18))
        h.account(s, ws, "mastodon", handle="@a@m.example")
    return env


def test_cli_best_times_json_csv_and_text(cli, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = _env(cli, database_url, tmp_path)
    try:
        out = env.run("analytics", "best-times", "--format", "json")
        assert out.code == 0, out.err
        data = json.loads(out.out)
        assert data["report"] == "best-times" and data["timezone"] == "UTC"
        fb, masto = data["groups"]
        assert not fb["fallback"] and fb["base"] == "reach" and masto["fallback"]
        top = max(fb["slots"], key=lambda sl: sl["score"])
        assert (top["weekday"], top["hour"], top["posts"]) == (2, 18, 6)
        assert {"score", "low", "high", "posts", "shrunk_from"} <= set(top)

        table = env.run("analytics", "best-times", "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(table.out)))
        assert len(rows) == 2 * 168
        wed18 = next(
            r
            for r in rows
            if r["network"] == "facebook" and r["weekday"] == "wed" and r["hour"] == "18"
        )
        assert wed18["posts"] == "6" and float(wed18["low"]) <= float(wed18["score"])

        text = env.run("analytics", "best-times", "--timezone", "Asia/Tokyo")
        assert text.code == 0, text.err
        assert "facebook: 36 post(s)" in text.out and "mastodon: 0 post(s) - fallback" in text.out
        assert "thu 03:00 score" in text.out  # Wednesday 18:00 UTC is Thursday 03:00 in Tokyo
        assert text.out.count("\n  mon ") == 2  # one grid row per weekday and group
    finally:
        env.close()


def test_cli_best_times_bad_input_is_exit_2(cli, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = _env(cli, database_url, tmp_path)
    try:
        bad_day = env.run("analytics", "best-times", "--from", "2026-13-01")
        assert bad_day.code == 2 and "--from" in bad_day.err and "2026-13-01" in bad_day.err
        bad_zone = env.run("analytics", "best-times", "--timezone", "Mars/Base")
        assert bad_zone.code == 2 and "Mars/Base" in bad_zone.err
        backwards = env.run("analytics", "best-times", "--from", "2026-06-10", "--to", "2026-06-01")
        assert backwards.code == 2 and "--from must be before --to" in backwards.err
        by = env.run("analytics", "best-times", "--by", "hashtag")
        assert by.code == 2
        window = env.run("analytics", "best-times", "--from", "2026-06-01", "--to", "2026-06-07")
        assert window.code == 0 and "facebook: 31 post(s)" in window.out
    finally:
        env.close()
