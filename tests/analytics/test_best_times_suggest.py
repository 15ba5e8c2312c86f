"""Suggestions: the best free hours of the next week, for the queue and the composer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sociable.analytics.suggest import suggest
from sociable.store.db import Database
from tests.analytics import history as h
from tests.analytics.test_best_times import MONDAY, _week_of_posts
from tests.publish.factories import publication

NOW = datetime(2026, 7, 6, 0, 0, tzinfo=UTC)  # a Monday after the history


def _history(s, acc):  # type: ignore[no-untyped-def]
    _week_of_posts(s, acc, hot=(2, 18))  # Wednesday 18h best
    for k in range(6):  # Thursday 7h second best
        h.post(s, acc, MONDAY + timedelta(days=3 + 7 * k, hours=7), {"likes": 60, "reach": 1000})


def test_suggest_takes_the_highest_scoring_free_hours_only(db: Database) -> None:
    with db.session() as s:
        ws = h.workspace(s)
        acc = h.account(s, ws, "facebook")
        _history(s, acc)
        wednesday_18 = NOW + timedelta(days=2, hours=18)
        publication(s, ws, acc, wednesday_18 + timedelta(minutes=30))  # taken: inside the hour
        found = suggest(s, ws, [acc], now=NOW, count=3)
        assert wednesday_18 not in [f.at for f in found]
        assert found[0].at == NOW + timedelta(days=3, hours=7)  # the next best, free
        assert found[0].lift > found[1].lift >= found[2].lift
        (score,) = found[0].accounts
        assert not score.fallback and score.low is not None and score.high is not None
        assert score.low <= score.score <= score.high and score.posts == 7  # 6 + 1 of the grid
        # free again once that publication is gone from the queue: Wednesday 18h wins
        s.rollback()
    with db.session() as s:
        ws = h.workspace(s, slug="b")
        acc = h.account(s, ws, "facebook")
        _history(s, acc)
        found = suggest(s, ws, [acc], now=NOW, count=1)
        assert found[0].at == NOW + timedelta(days=2, hours=18)


def test_with_no_history_suggestions_are_marked_fallback(db: Database) -> None:
    with db.session() as s:
        ws = h.workspace(s, tz="Europe/Paris")
        fb = h.account(s, ws, "facebook")
        found = suggest(s, ws, [fb], now=NOW, count=2)
        assert all(f.fallback for f in found)
        # Facebook guidance starts Monday 08:00 local: 06:00 UTC in summer
        assert [f.local.hour for f in found] == [8, 9] and found[0].local.weekday() == 0
        assert found[0].at == NOW + timedelta(hours=6)


def test_several_accounts_need_an_hour_free_for_all(db: Database) -> None:
    with db.session() as s:
        ws = h.workspace(s)
        fb = h.account(s, ws, "facebook")
        other = h.account(s, ws, "facebook", handle="other")
        _history(s, fb)
        publication(s, ws, other, NOW + timedelta(days=2, hours=18))
        alone = suggest(s, ws, [fb], now=NOW, count=1)
        both = suggest(s, ws, [fb, other], now=NOW, count=1)
        assert alone[0].at == NOW + timedelta(days=2, hours=18)
        assert both[0].at != alone[0].at and len(both[0].accounts) == 2


def test_cli_queue_slots_suggest(cli, database_url: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sociable.cli.queue_cmd as queue_cmd
    from tests.analytics.test_best_times import _env

    monkeypatch.setattr(queue_cmd, "system_clock", lambda: NOW)
    env = _env(cli, database_url, tmp_path)
    try:
        out = env.run("queue", "slots", "--suggest", "--account", "facebook", "--count", "2")
        assert out.code == 0, out.err
        assert "facebook:acme (UTC)" in out.out
        assert "wed 18:00 (2026-07-08): score" in out.out and "6 post(s) here" in out.out
        masto = env.run("queue", "slots", "--suggest", "--account", "mastodon", "-n", "1")
        assert "fallback (published guidance" in masto.out
        applied = env.run("queue", "slots", "facebook", "--suggest", "-n", "1", "--apply")
        assert applied.code == 0 and "weekly slots now: wed 18:00" in applied.out
        assert "(UTC): wed 18:00" in env.run("queue", "slots", "facebook").out
        bad = env.run("queue", "slots", "--suggest", "--account", "tiktok")
        assert bad.code == 2 and "tiktok" in bad.err
        nothing = env.run("queue", "slots")
        assert nothing.code == 2 and "--suggest" in nothing.err
    finally:
        env.close()
