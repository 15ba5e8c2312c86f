"""`sociable demo`: what `make run` starts is there, and running it twice adds nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sociable.store.db import open_database
from sociable.store.models.analytics import SocialPost
from sociable.store.models.audit import AuditFinding, AuditRun


def test_demo_twice(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    first = cli("demo", "d")
    assert first.code == 0, first.err
    assert "5 posts scheduled" in first.out and "demo@sociable.local" in first.out
    assert "audited the demo site" in first.out
    login = tmp_path / "d" / "LOGIN.txt"
    assert login.stat().st_mode & 0o777 == 0o600
    password = login.read_text().split()[-1]
    assert password in first.out
    assert "allow_private = true" in (tmp_path / "d" / "sociable.toml").read_text()

    second = cli("demo", "d")
    assert second.code == 0 and "0 posts scheduled" in second.out
    assert "audited" not in second.out
    listed = cli("--config", "d/sociable.toml", "post", "list", "--format", "json")
    posts = json.loads(listed.out)
    assert len(posts) == 5
    assert {p["publications"][0]["state"] for p in posts} == {"scheduled"}
    accounts = json.loads(
        cli("--config", "d/sociable.toml", "accounts", "list", "--format", "json").out
    )
    assert ("webhook", "demo-receiver") in [(a["network"], a["handle"]) for a in accounts]
    # The analytics demo accounts: imported (never collected), named as demo data.
    demo = [a for a in accounts if a["network"] != "webhook"]
    assert {a["network"] for a in demo} == {"x", "bluesky", "mastodon", "linkedin"}
    assert {a["status"] for a in demo} == {"imported"}
    links = cli("--config", "d/sociable.toml", "link", "list", "--format", "json")
    assert {item["code"] for item in json.loads(links.out)} == {
        "yirga",
        "blend",
        "cupping",
        "journal",
    }
    assert "demo analytics (made-up numbers)" in first.out
    assert "demo analytics" not in second.out  # seeded once
    db = open_database(f"sqlite:///{tmp_path / 'd' / 'sociable.db'}")
    with db.session() as s:
        runs = s.scalars(select(AuditRun)).all()
        assert len(runs) == 1 and runs[0].workspace_id is not None
        assert runs[0].pages == 3 and runs[0].site_score is not None
        assert s.scalar(select(func.count()).select_from(AuditFinding)) > 0
        assert s.scalar(select(func.count()).select_from(SocialPost)) > 100
    db.dispose()
    # The Analytics page has numbers: the engine reads the demo posts, followers and clicks.
    report = cli("--config", "d/sociable.toml", "analytics", "report", "engagement",
                 "--by", "network", "--format", "json")  # fmt: skip
    assert report.code == 0, report.err
    rows = {r["network"]: r for r in json.loads(report.out)["rows"]}
    assert set(rows) == {"x", "bluesky", "mastodon", "linkedin"}
    assert all(r["posts"] > 0 and r["engagements"] > 0 for r in rows.values())
    assert rows["linkedin"]["rate_base"] == "reach" and rows["x"]["rate_base"] == "impressions"
