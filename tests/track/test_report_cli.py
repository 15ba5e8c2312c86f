"""`sociable link` and `sociable report` as a user runs them, clicks and sales included."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from sociable.store.db import open_database
from sociable.store.models.track import Click, Conversion, ShortLink


@pytest.fixture
def project(cli, tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    assert cli("--database-url", database_url, "init", str(tmp_path), "--name", "Acme").code == 0

    def run(*args: str):  # type: ignore[no-untyped-def]
        return cli(
            "--config", str(tmp_path / "sociable.toml"), "--database-url", database_url, *args
        )

    return run, database_url


def test_link_commands(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run, _ = project
    made = run(
        "link",
        "create",
        "https://shop.example.com/a",
        "--network",
        "LinkedIn",
        "--campaign",
        "Spring",
        "--post",
        "3",
        "--utm-term",
        "Shoes",
        "--format",
        "json",
    )
    assert made.code == 0, made.err
    data = json.loads(made.out)
    assert set(data) == {"code", "short_url", "destination"}
    assert data["short_url"] == f"http://127.0.0.1:8000/l/{data['code']}"
    assert "utm_source=linkedin" in data["destination"] and "utm_term=shoes" in data["destination"]
    listed = json.loads(run("link", "list", "--format", "json").out)
    assert [row["code"] for row in listed] == [data["code"]] and listed[0]["status"] == "live"
    assert run("link", "qr", data["code"], "--png", str(tmp_path / "q.png")).code == 0
    assert (tmp_path / "q.png").read_bytes()[:4] == b"\x89PNG"
    assert run("link", "disable", data["code"]).code == 0
    assert json.loads(run("link", "list", "--format", "json").out)[0]["status"] == "disabled"
    bad = run("link", "create", "notaurl")
    assert bad.code == 2 and "url:" in bad.err and "Traceback" not in bad.err
    assert run("link", "qr", "nope", "--svg", str(tmp_path / "q.svg")).code == 2
    assert run("link", "create", "https://e.com", "--expires", "yesterday").code == 2


def _seed(database_url: str) -> None:
    """Two campaigns on two networks; sales with click ids, one duplicate order, one bot."""
    db = open_database(database_url)
    now = datetime.now(UTC)
    with db.session() as session:
        ws = session.execute(ShortLink.__table__.select()).first()  # no links yet
        assert ws is None
        from sociable.store.models import Workspace

        wid = session.query(Workspace.id).scalar()
        a = ShortLink(
            workspace_id=wid,
            code="a1",
            url="u",
            destination="u",
            campaign="spring",
            network="x",
            post_id=1,
        )
        b = ShortLink(
            workspace_id=wid,
            code="b1",
            url="u",
            destination="u",
            campaign="summer",
            network="linkedin",
            post_id=2,
        )
        session.add_all([a, b])
        session.flush()

        def click(cid: str, link: ShortLink, hours: float, visitor: str, bot: bool = False) -> None:
            session.add(
                Click(
                    click_id=cid,
                    link_id=link.id,
                    code=link.code,
                    at=now - timedelta(hours=hours),
                    visitor=visitor,
                    is_bot=bot,
                )
            )

        click("click0001", a, 30, "v1")
        click("click0002", a, 20, "v1")
        click("click0003", a, 10, "v2")
        click("click0004", b, 5, "v3")
        click("click0005", b, 4, "v3", bot=True)
        session.add_all(
            [
                Conversion(
                    workspace_id=wid,
                    order_id="o1",
                    value=Decimal("100"),
                    at=now,
                    click_ids=["click0001", "click0004"],
                    source="postback",
                ),
                Conversion(
                    workspace_id=wid,
                    order_id="o2",
                    value=Decimal("50"),
                    at=now,
                    click_ids=["click0003"],
                    source="pixel",
                ),
                Conversion(
                    workspace_id=wid,
                    order_id="o3",
                    value=Decimal("7"),
                    at=now,
                    click_ids=[],
                    source="pixel",
                ),
            ]
        )
    db.dispose()


def test_reports(project) -> None:  # type: ignore[no-untyped-def]
    run, url = project
    _seed(url)
    out = json.loads(run("report", "links", "--by", "campaign", "--format", "json").out)
    rows = {r["key"]: r for r in out["rows"]}
    assert rows["spring"]["clicks"] == 3 and rows["spring"]["unique_visitors"] == 2
    assert rows["summer"]["clicks"] == 1 and rows["summer"]["bot_clicks"] == 1
    # last click: o1 -> summer (click0004 is later), o2 -> spring
    assert rows["summer"]["revenue"] == 100 and rows["spring"]["revenue"] == 50
    assert rows["spring"]["conversion_rate"] == round(1 / 3, 4)
    assert rows["(unattributed)"]["revenue"] == 7

    first = json.loads(
        run("report", "attribution", "--model", "first_click", "--format", "json").out
    )
    frows = {r["key"]: r for r in first["rows"]}
    assert frows["spring"]["revenue"] == 150 and frows["spring"]["conversions"] == 2

    linear = run("report", "attribution", "--model", "linear", "--by", "network", "--format", "csv")
    table = {r["network"]: r for r in csv.DictReader(io.StringIO(linear.out))}
    assert float(table["x"]["revenue"]) == 100 and float(table["linkedin"]["revenue"]) == 50

    only_x = json.loads(run("report", "links", "--network", "x", "--format", "json").out)
    assert [r["key"] for r in only_x["rows"]] == ["a1"]
    text = run("report", "links", "--since", "12h")
    assert text.code == 0 and "a1" in text.out
    assert run("report", "links", "--since", "whenever").code == 2
    assert run("report", "attribution", "--window", "0").code == 2


def test_link_list_shows_human_clicks(project) -> None:  # type: ignore[no-untyped-def]
    run, url = project
    _seed(url)  # a1: 3 clicks; b1: 1 click and 1 bot
    listed = json.loads(run("link", "list", "--format", "json").out)
    assert {row["code"]: row["clicks"] for row in listed} == {"a1": 3, "b1": 1}
    text = run("link", "list")
    assert text.code == 0 and "clicks" in text.out
    rows = {
        line.split("│")[1].strip(): line
        for line in text.out.splitlines()
        if "│ a1" in line or "│ b1" in line
    }
    assert [c.strip() for c in rows["a1"].split("│")][6] == "3"
    assert [c.strip() for c in rows["b1"].split("│")][6] == "1"


def test_track_serve_refuses_a_busy_log_dir(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sociable.track.clicklog import ClickLog

    run, _ = project
    holder = ClickLog(tmp_path / "track-log")
    holder.open()
    try:
        result = run("track", "serve", "--port", "1")
    finally:
        holder.close()
    assert result.code == 2 and "another track server" in result.err
