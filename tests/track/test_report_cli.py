"""`sociable link` and `sociable report` as a user runs them, clicks and sales included."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sociable.store.db import open_database
from sociable.store.models import Workspace
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
                    amount_minor=10000,
                    currency="EUR",
                    at=now,
                    click_ids=["click0001", "click0004"],
                    source="postback",
                ),
                Conversion(
                    workspace_id=wid,
                    order_id="o2",
                    amount_minor=5000,
                    currency="EUR",
                    at=now,
                    click_ids=["click0003"],
                    source="pixel",
                ),
                Conversion(
                    workspace_id=wid,
                    order_id="o3",
                    amount_minor=700,
                    currency="EUR",
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
    assert rows["summer"]["revenue"] == {"EUR": "100.00"}
    assert rows["spring"]["revenue"] == {"EUR": "50.00"}
    assert rows["spring"]["unverified_revenue"] == {"EUR": "50.00"}  # o2 came from the pixel
    assert rows["summer"]["unverified_conversions"] == 0
    assert rows["spring"]["conversion_rate"] == round(1 / 3, 4)
    assert rows["(unattributed)"]["revenue"] == {"EUR": "7.00"}

    first = json.loads(
        run("report", "attribution", "--model", "first_click", "--format", "json").out
    )
    frows = {r["key"]: r for r in first["rows"]}
    assert frows["spring"]["revenue"] == {"EUR": "150.00"} and frows["spring"]["conversions"] == 2

    linear = run("report", "attribution", "--model", "linear", "--by", "network", "--format", "csv")
    table = {r["network"]: r for r in csv.DictReader(io.StringIO(linear.out))}
    assert table["x"]["revenue_EUR"] == "100.00" and table["linkedin"]["revenue_EUR"] == "50.00"

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


def _seed_currencies(database_url: str) -> None:
    """Issue #12.5: EUR 49.90, USD 100 and JPY 5000, all credited to one link."""
    db = open_database(database_url)
    day = datetime(2026, 3, 10, 12, tzinfo=UTC)
    with db.session() as session:
        wid = session.query(Workspace).one().id
        link = ShortLink(
            workspace_id=wid,
            code="m1",
            url="https://s.example",
            destination="https://s.example",
            campaign="spring",
            network="x",
        )
        session.add(link)
        session.flush()
        session.add(
            Click(
                click_id="clickm001",
                link_id=link.id,
                code="m1",
                at=day - timedelta(hours=1),
                visitor="v1",
            )
        )
        for order, minor, code, source in (
            ("e1", 4990, "EUR", "postback"),
            ("u1", 10000, "USD", "postback"),
            ("j1", 5000, "JPY", "pixel"),
        ):
            session.add(
                Conversion(
                    workspace_id=wid,
                    order_id=order,
                    amount_minor=minor,
                    currency=code,
                    click_ids=["clickm001"],
                    source=source,
                    replaced_pixel=order == "e1",  # a postback replaced the pixel's figures
                    at=day,
                )
            )
    db.dispose()


def test_revenue_is_reported_per_currency_and_converted_only_with_given_rates(
    project, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run, url = project
    _seed_currencies(url)
    out = json.loads(run("report", "links", "--format", "json").out)
    [row] = out["rows"]
    assert row["revenue"] == {"EUR": "49.90", "JPY": "5000", "USD": "100.00"}
    assert out["total"]["revenue"] == row["revenue"]
    assert row["unverified_revenue"] == {"JPY": "5000"}
    text = run("report", "links")
    assert text.code == 0 and "5149.90" not in text.out
    assert "EUR 49.90 · JPY 5000 · USD 100.00" in text.out
    assert "Unverified (pixel only, no signed postback): 1 conversion(s), JPY 5000" in text.out
    assert "A signed postback replaced the pixel's figures for 1 order(s)." in text.out
    assert out["replaced_pixel"] == 1

    rates = tmp_path / "rates.csv"
    rates.write_text(
        "date,from,to,rate\n"
        "2026-03-01,USD,EUR,0.90\n"
        "2026-03-11,USD,EUR,0.50\n"  # after the sale's day: not used
        "2026-03-09,EUR,JPY,160\n"
    )
    conv = run("report", "links", "--currency", "eur", "--rates", str(rates), "--format", "json")
    assert conv.code == 0, conv.err
    data = json.loads(conv.out)
    # 49.90 + 100 * 0.90 + 5000 / 160 = 49.90 + 90.00 + 31.25
    assert data["total"]["converted_revenue"] == {"currency": "EUR", "amount": "171.15"}
    assert data["total"]["not_converted"] == {}
    assert data["rates_used"] == [  # oldest first
        "1 USD = 0.90 EUR on 2026-03-01 (rates.csv:2)",
        "1 EUR = 160 JPY on 2026-03-09 (rates.csv:4), used as 1 JPY = 0.00625 EUR",
    ]
    shown = run("report", "links", "--currency", "EUR", "--rates", str(rates))
    assert "In EUR: EUR 171.15" in shown.out and "rates.csv:2" in shown.out

    # Without a rate for a currency, that amount stays apart, never guessed.
    rates.write_text("date,from,to,rate\n2026-03-01,USD,EUR,0.90\n")
    part = json.loads(
        run("report", "links", "--currency", "EUR", "--rates", str(rates), "--format", "json").out
    )
    assert part["total"]["converted_revenue"]["amount"] == "139.90"
    assert part["total"]["not_converted"] == {"JPY": "5000"}
    spread = run("report", "links", "--format", "csv").out
    [line] = list(csv.DictReader(io.StringIO(spread)))
    assert (line["revenue_EUR"], line["revenue_JPY"], line["revenue_USD"]) == (
        "49.90",
        "5000",
        "100.00",
    )

    assert run("report", "links", "--rates", str(rates)).code == 2  # rates without --currency
    assert run("report", "links", "--currency", "EURO").code == 2
    rates.write_text("date,from,to,rate\n2026-03-01,USD,EUR,cheap\n")
    bad = run("report", "links", "--currency", "EUR", "--rates", str(rates))
    assert bad.code == 2 and "rates.csv:2 rate" in bad.err and "Traceback" not in bad.err


def test_rates_from_the_config(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run, url = project
    _seed_currencies(url)
    config = tmp_path / "sociable.toml"
    config.write_text(
        config.read_text()
        + '\n[[money.rates]]\ndate = "2026-03-01"\nfrom = "USD"\nto = "EUR"\nrate = "0.9"\n'
    )
    out = json.loads(run("report", "links", "--currency", "EUR", "--format", "json").out)
    assert out["total"]["converted_revenue"]["amount"] == "139.90"
    assert out["total"]["not_converted"] == {"JPY": "5000"}
    assert out["rates_used"] == ["1 USD = 0.9 EUR on 2026-03-01 (sociable.toml money.rates[0])"]
