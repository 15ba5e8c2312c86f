"""Growth, funnel, top, DST hour buckets, comparisons and the CLI, against plain Python."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from sociable.analytics.reports import ReportError, run_report
from sociable.store.db import Database, open_database
from tests.analytics.builder import Builder, utc

TODAY = date(2026, 11, 30)


def test_growth_per_account_and_network(db: Database) -> None:
    b = Builder(db)
    b.followers("x", "@b", 1000, utc(2026, 10, 1))  # before the range: where it starts
    b.followers("x", "@b", 1100, utc(2026, 11, 10))
    b.followers("x", "@b", 1150, utc(2026, 11, 20))
    b.followers("x", "@c", 50, utc(2026, 11, 5))
    b.followers("x", "@c", 40, utc(2026, 11, 25), metric="followers_count")
    report = run_report(db, b.workspace_id, "growth", by=["account"], today=TODAY)
    rows = {r["account"]: r for r in report.rows}
    assert rows["x:@b"]["followers_start"] == 1000 and rows["x:@b"]["followers_end"] == 1150
    assert rows["x:@b"]["change"] == 150 and rows["x:@b"]["change_pct"] == pytest.approx(15.0)
    assert rows["x:@c"]["change"] == -10  # the network's own name maps to followers
    net = run_report(db, b.workspace_id, "growth", by=["network"], today=TODAY).rows
    assert net == [
        {
            "network": "x",
            "accounts": 2,
            "followers_start": 1050,
            "followers_end": 1190,
            "change": 140,
            "change_pct": pytest.approx(100 * 140 / 1050),
            "start_at": utc(2026, 10, 1),
            "end_at": utc(2026, 11, 25),
            "readings": 5,
        }
    ]
    with pytest.raises(ReportError, match="growth is per account or network"):
        run_report(db, b.workspace_id, "growth", by=["label"])


def test_funnel_keeps_currencies_apart_and_leaves_bots_out(db: Database) -> None:
    b = Builder(db)
    b.post(
        "x",
        "@b",
        utc(2026, 11, 10),
        metrics={"likes": 5, "impressions": 500, "clicks": 9},
        post_id=7,
        campaign="spring",
    )
    b.post(
        "x",
        "@b",
        utc(2026, 11, 11),
        metrics={"likes": 1, "impressions": 100},
        post_id=8,
        campaign="autumn",
    )
    spring = b.link("s", post_id=7, network="x", campaign="spring")
    human = [b.click(spring, "s", utc(2026, 11, 10, 1 + i)) for i in range(3)]
    b.click(spring, "s", utc(2026, 11, 10, 5), bot=True)
    b.conversion("o1", utc(2026, 11, 10, 6), 4990, "EUR", [human[0]])
    b.conversion("o2", utc(2026, 11, 10, 7), 1000, "EUR", [human[1]])
    b.conversion("o3", utc(2026, 11, 10, 8), 5000, "JPY", [human[2]])
    b.conversion("o4", utc(2026, 11, 10, 8), 700, "USD", ["nobody"])
    report = run_report(db, b.workspace_id, "funnel", by=["campaign"], today=TODAY)
    rows = {r["campaign"]: r for r in report.rows}
    s = rows["spring"]
    assert (s["impressions"], s["engagements"], s["network_clicks"]) == (500, 5, 9)
    assert s["clicks"] == 3 and s["conversions"] == pytest.approx(3.0)
    assert s["revenue"] == {"EUR": "59.90", "JPY": "5000"}
    assert rows["autumn"]["clicks"] == 0 and rows["autumn"]["revenue"] == {}
    assert any("1 clicks by preview bots" in n for n in report.notes)
    assert any("1 conversions have no eligible click" in n for n in report.notes)


def test_top_and_bottom_posts(db: Database) -> None:
    b = Builder(db)
    rates = [0.01, 0.05, 0.03, 0.09, 0.02]
    for i, r in enumerate(rates):
        b.post(
            "x",
            "@b",
            utc(2026, 11, 10 + i),
            metrics={"likes": int(r * 1000), "impressions": 1000},
            url=f"https://x.com/b/{i}",
        )
    report = run_report(db, b.workspace_id, "top", limit=2, today=TODAY)
    top = [r["engagement_rate"] for r in report.rows if r["position"] == "top"]
    bottom = [r["engagement_rate"] for r in report.rows if r["position"] == "bottom"]
    assert top == pytest.approx(sorted(rates, reverse=True)[:2])
    assert bottom == pytest.approx(sorted(rates)[:2])
    assert all(r["url"] and r["text"] and r["posted_at"] for r in report.rows)
    by_likes = run_report(db, b.workspace_id, "top", limit=1, measure="likes", today=TODAY)
    assert [r["likes"] for r in by_likes.rows] == [90, 10]


def test_hour_buckets_follow_dst(db: Database) -> None:
    """Paris goes to summer time at 01:00 UTC on 2026-03-29: 00:30 UTC is 01:30, 01:30 is 03:30."""
    b = Builder(db, timezone="Europe/Paris")
    b.post("x", "@b", utc(2026, 3, 29, 0, 30), metrics={"likes": 1})
    b.post("x", "@b", utc(2026, 3, 29, 1, 30), metrics={"likes": 1})
    b.post("x", "@b", utc(2026, 10, 25, 0, 30), metrics={"likes": 1})  # 02:30 CEST
    b.post("x", "@b", utc(2026, 10, 25, 1, 30), metrics={"likes": 1})  # 02:30 CET
    report = run_report(
        db,
        b.workspace_id,
        "cadence",
        by=["weekday", "hour"],
        start=date(2026, 3, 1),
        end=date(2026, 10, 31),
    )
    assert [(r["weekday"], r["hour"], r["posts"]) for r in report.rows] == [
        ("Sunday", 1, 1),
        ("Sunday", 2, 2),
        ("Sunday", 3, 1),
    ]


def test_a_difference_with_few_posts_is_not_called(db: Database) -> None:
    b = Builder(db)
    for i in range(4):  # large gap in rates, but four posts a group
        b.post(
            "x",
            "@b",
            utc(2026, 11, 5 + i),
            metrics={"likes": 1, "impressions": 1000},
            content_type="text",
        )
        b.post(
            "x",
            "@b",
            utc(2026, 11, 5 + i, 12),
            metrics={"likes": 300, "impressions": 1000},
            content_type="video",
        )
    report = run_report(db, b.workspace_id, "engagement", by=["content_type"], today=TODAY)
    (c,) = report.comparisons
    assert c["test"] == "mann-whitney-u" and c["verdict"] == "not enough evidence"
    assert [g["posts"] for g in c["groups"]] == [4, 4]
    # with enough posts each, the same gap is called
    for i in range(8):
        b.post(
            "x",
            "@b",
            utc(2026, 11, 10 + i),
            metrics={"likes": 2 + i, "impressions": 1000},
            content_type="text",
        )
        b.post(
            "x",
            "@b",
            utc(2026, 11, 10 + i, 12),
            metrics={"likes": 250 + i, "impressions": 1000},
            content_type="video",
        )
    called = run_report(db, b.workspace_id, "engagement", by=["content_type"], today=TODAY)
    (c,) = called.comparisons
    assert c["verdict"] == "different" and c["p_value"] < 0.05


@pytest.fixture
def project(cli, tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    assert cli("--database-url", database_url, "init", str(tmp_path), "--name", "Acme").code == 0

    def run(*args: str):  # type: ignore[no-untyped-def]
        return cli(
            "--config", str(tmp_path / "sociable.toml"), "--database-url", database_url, *args
        )

    return run, database_url


def test_cli_report_formats_and_errors(project) -> None:  # type: ignore[no-untyped-def]
    run, url = project
    db = open_database(url)
    try:
        from sqlalchemy import select

        from sociable.store.models import Workspace

        with db.read_session() as s:
            ws_id = s.scalar(select(Workspace.id))
        b = Builder.__new__(Builder)
        b.db = db
        from tests.analytics.builder import Seeded

        b.seeded = Seeded(ws_id)
        day = date.today() - timedelta(days=2)
        when = utc(day.year, day.month, day.day, 12)
        b.post("x", "@b", when, metrics={"likes": 4, "impressions": 100}, labels=["a", "b"])
    finally:
        db.dispose()
    out = run("analytics", "report", "engagement", "--by", "network,label", "--format", "json")
    assert out.code == 0, out.err
    data = json.loads(out.out)
    assert data["report"] == "engagement" and data["base"] is None
    assert [(r["network"], r["label"]) for r in data["rows"]] == [("x", "a"), ("x", "b")]
    assert data["rows"][0]["engagement_rate"] == pytest.approx(0.04)
    assert data["rows"][0]["rate_base"] == "impressions"
    text = run("analytics", "report", "cadence", "--by", "network")
    assert text.code == 0 and "note: posts per week = posts / 4.00 weeks" in text.out
    table = list(
        csv.reader(
            io.StringIO(
                run("analytics", "report", "cadence", "--by", "network", "--format", "csv").out
            )
        )
    )
    assert table[0][:2] == ["network", "posts"] and table[1][:2] == ["x", "1"]
    for args, word in [
        (("engagement", "--by", "colour"), "unknown dimension"),
        (("nope",), "unknown report"),
        (("cadence", "--from", "2026-02-30"), "not a date"),
        (("cadence", "--engine", "oracle"), "unknown analytics engine"),
    ]:
        bad = run("analytics", "report", *args)
        assert bad.code == 2 and word in bad.err and "Traceback" not in bad.err
