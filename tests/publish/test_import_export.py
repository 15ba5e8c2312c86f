"""CSV import (ours and Hootsuite's), dry run, skip-bad, one transaction, and the round trip."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from sociable.errors import UserError
from sociable.publish.importers import detect_format, parse_hootsuite_date, split_list
from sociable.store.models.publish import Post
from tests.publish.calendar_env import Env, make_env, write

HEADER = "scheduled_at,accounts,text,media,alt_text,link,first_comment,labels\n"


@pytest.fixture
def env(cli, database_url: str, tmp_path: Path) -> Iterator[Env]:  # type: ignore[no-untyped-def]
    e = make_env(cli, database_url, tmp_path)
    e.account("mastodon", "@acme@mastodon.social", slots=["mon 09:00", "thu 18:30"])
    e.account("x", "acme", slots=["tue 08:00"])
    yield e
    e.close()


def test_import_our_columns_then_export_round_trips(env: Env, tmp_path: Path) -> None:
    Image.new("RGB", (1200, 675), (200, 30, 30)).save(env.media_dir() / "bike.png")
    rows = [
        HEADER,
        '2030-03-31T09:00+02:00,mastodon|x,"Spring, at last",bike.png,"A red bike, side view",'
        "https://acme.example,First!,launch|bikes\n",
        '2030-11-03 10:30 America/New_York,x:acme,"Line one\nLine two",,,,,\n',
        ",mastodon,Queued into the next slot,,,,,evergreen\n",
    ]
    source = write(tmp_path / "in.csv", "".join(rows))
    result = env.run("import", str(source))
    assert result.code == 0, result.err
    assert "imported 3 post(s), 4 publication(s)" in result.out
    dues = sorted(p.due_at for p in env.publications())
    assert datetime(2030, 3, 31, 7, tzinfo=UTC) in dues
    assert datetime(2030, 11, 3, 15, 30, tzinfo=UTC) in dues  # EST after the change

    first = tmp_path / "out1.csv"
    assert env.run("export", str(first)).code == 0
    exported = list(csv.DictReader(io.StringIO(first.read_text())))
    assert len(exported) == 3
    bike = next(r for r in exported if r["text"] == "Spring, at last")
    assert bike["media"].endswith("bike.png") and bike["alt_text"] == "A red bike, side view"
    assert bike["labels"] == "launch|bikes" and bike["first_comment"] == "First!"

    # Import the export into a second workspace's database state: cancel everything first,
    # so the same slots are free again, then import and export again.
    for post_id in (1, 2, 3):
        assert env.run("post", "cancel", str(post_id)).code == 0
    assert env.run("import", str(first)).code == 0
    second = tmp_path / "out2.csv"
    assert env.run("export", str(second)).code == 0
    assert second.read_text() == first.read_text()


def test_export_writes_media_relative_to_the_workspace_folder_so_a_moved_install_reimports(
    env: Env, tmp_path: Path
) -> None:
    folder = env.media_dir()
    (folder / "shots").mkdir()
    Image.new("RGB", (1200, 675), (20, 160, 60)).save(folder / "shots" / "field.png")
    source = write(
        tmp_path / "in.csv",
        HEADER + "2030-04-02T09:00+02:00,mastodon,A green field,shots/field.png,Grass,,,\n",
    )
    assert env.run("import", str(source)).code == 0
    out = tmp_path / "out.csv"
    assert env.run("export", str(out)).code == 0
    (row,) = csv.DictReader(io.StringIO(out.read_text()))
    assert row["media"] == "shots/field.png"  # not the server's absolute path
    assert str(env.dir) not in out.read_text() and str(folder.resolve()) not in out.read_text()
    with env.db.session() as session:  # connectors still get the real file
        (stored,) = session.scalars(select(Post)).all()
        assert stored.media and Path(stored.media[0]["path"]) == (folder / "shots" / "field.png")

    # Move the whole install (config and media folder) elsewhere; the export still imports.
    assert env.run("post", "cancel", "1").code == 0
    env.dir = Path(shutil.move(env.dir, tmp_path / "moved"))
    result = env.run("import", str(out))
    assert result.code == 0, result.err
    with env.db.session() as session:
        newest = session.scalars(select(Post).order_by(Post.id.desc())).first()
        assert newest is not None and newest.media
        moved_file = (tmp_path / "moved" / folder.relative_to(tmp_path / "ws")) / "shots"
        assert Path(newest.media[0]["path"]) == (moved_file / "field.png").resolve()
    again = tmp_path / "again.csv"
    assert env.run("export", str(again)).code == 0
    assert again.read_text() == out.read_text()


def test_any_bad_row_imports_nothing_and_names_row_and_column(env: Env, tmp_path: Path) -> None:
    (env.media_dir() / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    source = write(
        tmp_path / "bad.csv",
        HEADER
        + "2030-05-01T09:00Z,mastodon,fine row,,,,,\n"
        + "tomorrow at nine,mastodon,bad date,,,,,\n"
        + "2030-05-01T09:00Z,myspace,unknown account,,,,,\n"
        + "2020-05-01T09:00Z,mastodon,in the past,,,,,\n"
        + "2030-05-01T09:00Z,x,"
        + "y" * 300
        + ",,,,,\n"
        + "2030-05-01T09:00Z,mastodon,no media,nope.jpg,,,,\n"
        + "2030-05-01T09:00Z,mastodon,broken image,broken.png,,,,\n"
        + "someday,nobody,,,,,,\n",
    )
    result = env.run("import", str(source))
    assert result.code == 2
    assert "row 3, column scheduled_at" in result.err
    assert "row 4, column accounts" in result.err and "myspace" in result.err
    assert "row 5, column scheduled_at" in result.err and "past" in result.err
    assert "row 6, column text" in result.err and "x:acme" in result.err
    assert "row 7, column media" in result.err and "nope.jpg" in result.err
    assert "row 8, column media" in result.err and "POST3" in result.err
    # Every bad column of a row is reported, and rows come in file order.
    for column in ("scheduled_at", "accounts", "text"):
        assert f"row 9, column {column}" in result.err
    lines = [ln for ln in result.err.splitlines() if ": row " in ln]
    rows = [int(ln.split(": row ")[1].split(",")[0]) for ln in lines]
    assert rows == sorted(rows)
    assert "row 2," not in result.err
    assert "nothing imported" in result.err
    assert env.counts() == (0, 0, 0, 0)

    dry = env.run("import", str(source), "--dry-run")
    assert dry.code == 2 and "1 row(s) would be imported, 7 bad row(s)" in dry.out
    assert env.counts() == (0, 0, 0, 0)

    skipped = env.run("import", str(source), "--skip-bad")
    assert skipped.code == 0, skipped.err
    assert "imported 1 post(s)" in skipped.out and "skipped 7" in skipped.out
    assert env.counts()[0] == 1


def test_dry_run_of_a_good_file_stores_nothing(env: Env, tmp_path: Path) -> None:
    source = write(tmp_path / "ok.csv", HEADER + "2030-05-01T09:00Z,mastodon,hello,,,,,\n")
    result = env.run("import", str(source), "--dry-run")
    assert result.code == 0 and "1 row(s) would be imported" in result.out
    assert env.counts() == (0, 0, 0, 0)


def test_bad_header_is_rejected(env: Env, tmp_path: Path) -> None:
    result = env.run("import", str(write(tmp_path / "h.csv", "scheduled_at,accounts,txt\n")))
    assert result.code == 2 and "unknown column 'txt'" in result.err


def test_hootsuite_headerless_three_columns(env: Env, tmp_path: Path) -> None:
    source = write(
        tmp_path / "hs.csv",
        '03/31/2030 09:00,"Hello from Hootsuite, friends",https://acme.example/a\n'
        "04/01/2030 18:30,No link here\n",
    )
    missing = env.run("import", str(source))
    assert missing.code == 2 and "--accounts" in missing.err
    result = env.run("import", str(source), "--accounts", "mastodon,x")
    assert result.code == 0, result.err
    assert "imported 2 post(s), 4 publication(s)" in result.out
    dues = sorted({p.due_at for p in env.publications()})
    assert dues == [datetime(2030, 3, 31, 7, tzinfo=UTC), datetime(2030, 4, 1, 16, 30, tzinfo=UTC)]


def test_hootsuite_bad_date_names_row(env: Env, tmp_path: Path) -> None:
    source = write(tmp_path / "hs.csv", "03/31/2030 09:00,ok\n31/03/2030 09:00,day first\n")
    result = env.run("import", str(source), "--accounts", "mastodon")
    assert result.code == 2 and "row 2, column date" in result.err
    ok = env.run("import", str(source), "--accounts", "mastodon", "--date-order", "dmy")
    assert ok.code == 2 and "row 1, column date" in ok.err  # 03/31 is not day-first
    assert env.counts() == (0, 0, 0, 0)


def test_empty_scheduled_at_takes_distinct_slots(env: Env, tmp_path: Path) -> None:
    source = write(tmp_path / "q.csv", HEADER + ",x,one,,,,,\n,x,two,,,,,\n,x,three,,,,,\n")
    assert env.run("import", str(source)).code == 0
    dues = [p.due_at for p in env.publications()]
    assert len(set(dues)) == 3
    assert all(d.astimezone(UTC).weekday() == 1 for d in dues)  # Tuesdays 08:00 Paris


# --- pure parts ---------------------------------------------------------------------------


def test_detect_format() -> None:
    assert detect_format([["scheduled_at", "accounts", "text"]]) == "ours"
    assert detect_format([["12/01/2030 09:00", "hi", ""]]) == "hootsuite"


@given(
    month=st.integers(1, 12),
    day=st.integers(1, 28),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
)
def test_hootsuite_date_orders(month: int, day: int, hour: int, minute: int) -> None:
    mdy = parse_hootsuite_date(
        f"{month:02d}/{day:02d}/2031 {hour:02d}:{minute:02d}", "mdy", "UTC", "r"
    )
    dmy = parse_hootsuite_date(
        f"{day:02d}/{month:02d}/2031 {hour:02d}:{minute:02d}", "dmy", "UTC", "r"
    )
    assert mdy == dmy == datetime(2031, month, day, hour, minute, tzinfo=UTC)


def test_hootsuite_date_rejects_garbage() -> None:
    with pytest.raises(UserError, match="not a Hootsuite date"):
        parse_hootsuite_date("2031-01-01 09:00", "mdy", "UTC", "row 1")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_characters="|,\r\n"), min_size=1)
        .map(str.strip)
        .filter(bool),
        max_size=5,
    )
)
def test_split_list_inverts_join(items: list[str]) -> None:
    assert split_list("|".join(items), commas=True) == items


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=["Cs", "Cc"])
        | st.sampled_from(["\n", ",", '"', "|", " "]),
        min_size=1,
    ).filter(lambda t: t.strip()),
    labels=st.lists(
        st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), max_size=3, unique=True
    ),
    comment=st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40),
)
def test_csv_cells_round_trip(text: str, labels: list[str], comment: str) -> None:
    """Whatever a text holds (quotes, commas, newlines, emoji), to_csv and the reader agree."""
    import tempfile

    from sociable.publish.exporters import to_csv
    from sociable.publish.importers import _spec_from_ours, read_csv

    row = {
        "scheduled_at": "2031-01-06T09:00+01:00",
        "accounts": "x:acme|mastodon:@a@b.c",
        "text": text,
        "media": "",
        "alt_text": "",
        "link": "https://acme.example/?a=1,2",
        "first_comment": comment,
        "labels": "|".join(labels),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.csv"
        path.write_text(to_csv([row]), encoding="utf-8", newline="")
        rows = read_csv(path)
    assert rows[0] == list(row)
    spec = _spec_from_ours(dict(zip(rows[0], rows[1], strict=True)), Path("."), "UTC", "r")
    assert spec.text == text
    assert spec.accounts == ["x:acme", "mastodon:@a@b.c"]
    assert spec.labels == labels
    assert spec.first_comment == (comment.strip() or None)
    assert spec.link == "https://acme.example/?a=1,2"
    assert spec.when == datetime(2031, 1, 6, 8, tzinfo=UTC)


def test_a_failure_while_storing_rolls_back_every_row(
    db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """All rows are written in the caller's one transaction: a crash mid-write leaves nothing."""
    from sqlalchemy import func, select

    from sociable.publish import importers
    from sociable.store.models import Account, Workspace
    from sociable.store.models.publish import Post, Publication

    with db.session() as session:
        ws = Workspace(slug="t", name="T", timezone="UTC")
        session.add(ws)
        session.flush()
        session.add(Account(workspace_id=ws.id, network="mastodon", handle="@t@m.example"))
    source = write(
        tmp_path / "ok.csv",
        HEADER + "".join(f"2030-05-0{i}T09:00Z,mastodon,row {i},,,,,\n" for i in range(1, 5)),
    )
    from sociable.publish import posts as posts_module

    real_record = posts_module.states.record_created
    calls = []

    def failing_record(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:  # posts, variants and publications are already flushed
            raise RuntimeError("disk full")
        return real_record(*args, **kwargs)

    monkeypatch.setattr(posts_module.states, "record_created", failing_record)
    with pytest.raises(RuntimeError), db.session() as session:
        ws = session.scalars(select(Workspace)).one()
        importers.import_posts(session, ws, source, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert len(calls) == 3
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 0
        assert session.scalar(select(func.count()).select_from(Publication)) == 0


def test_semicolon_csv_from_excel_with_bom(env: Env, tmp_path: Path) -> None:
    source = tmp_path / "excel.csv"
    source.write_bytes(
        "\ufeffscheduled_at;accounts;text;labels\n"
        "2030-05-01T09:00Z;mastodon;Hej, världen;a|b\n".encode()
    )
    result = env.run("import", str(source))
    assert result.code == 0, result.err
    exported = env.run("export", "-")
    assert "Hej, världen" in exported.out and "a|b" in exported.out
