"""Bad input through the CLI and the publisher: server paths, NUL bytes, formula cells, odd URLs.

CLI tests run on SQLite and PostgreSQL (a NUL byte is what PostgreSQL cannot store).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from sociable.publish.connectors.base import PublishResult
from sociable.publish.csv_cells import FORMULA_TRIGGERS, escape_cell, unescape_cell
from sociable.publish.dispatcher import Dispatcher
from sociable.web.pages.render import http_href
from tests.publish.calendar_env import Env, make_env, write

HEADER = "scheduled_at,accounts,text,media,alt_text,link,first_comment,labels\n"


@pytest.fixture
def env(cli, database_url: str, tmp_path: Path) -> Iterator[Env]:  # type: ignore[no-untyped-def]
    e = make_env(cli, database_url, tmp_path)
    e.account("mastodon", "@acme@mastodon.social", slots=["mon 09:00"])
    yield e
    e.close()


def test_import_refuses_media_outside_the_workspace_folder(env: Env, tmp_path: Path) -> None:
    beside = tmp_path / "beside.png"  # next to the CSV, but not an upload of the workspace
    Image.new("RGB", (1200, 675)).save(beside)
    Image.new("RGB", (1200, 675)).save(env.media_dir() / "ok.png")
    source = write(
        tmp_path / "in.csv",
        HEADER
        + "2030-05-01T09:00Z,mastodon,passwd,/etc/passwd,,,,\n"
        + f"2030-05-01T09:00Z,mastodon,beside,{beside},,,,\n"
        + "2030-05-01T09:00Z,mastodon,climb,../../../etc/passwd,,,,\n"
        + "2030-05-01T09:00Z,mastodon,fine,ok.png,,,,\n",
    )
    result = env.run("import", str(source))
    assert result.code == 2
    for row in (2, 3, 4):
        assert f"row {row}, column media" in result.err
    assert "row 5," not in result.err
    assert result.err.count("not an uploaded asset (asset:ID)") == 3
    assert "Traceback" not in result.err
    assert env.counts() == (0, 0, 0, 0)


def test_import_names_the_column_of_a_nul_byte_or_a_bad_link(env: Env, tmp_path: Path) -> None:
    source = write(
        tmp_path / "in.csv",
        HEADER
        + "2030-05-01T09:00Z,mastodon,Hello\x00world,,,,,\n"
        + "2030-05-01T09:00Z,mastodon,fine,,,http://[::1,,\n"
        + "2030-05-01T09:00Z,mastodon,fine,,,javascript:alert(1),,\n"
        + "2030-05-01T09:00Z,mastodon,fine,,,,,spring\x00\n",
    )
    result = env.run("import", str(source))
    assert result.code == 2, result.err
    assert "row 2, column text" in result.err and "NUL" in result.err
    assert "row 3, column link" in result.err
    assert "row 4, column link" in result.err
    assert "row 5, column labels" in result.err
    assert "Traceback" not in result.err
    assert env.counts() == (0, 0, 0, 0)


def test_export_escapes_formula_cells_and_reimports_the_same_text(env: Env, tmp_path: Path) -> None:
    formula = '=HYPERLINK("https://evil.example","Click")'
    rows = io.StringIO()
    csv.writer(rows, lineterminator="\n").writerow(
        ["2030-05-06T09:00Z", "mastodon", formula, "", "", "", "@everyone", "-launch"]
    )
    source = write(tmp_path / "in.csv", HEADER + rows.getvalue())
    assert env.run("import", str(source)).code == 0
    out = tmp_path / "out.csv"
    assert env.run("export", str(out)).code == 0
    (row,) = list(csv.DictReader(io.StringIO(out.read_text())))
    assert row["text"] == "'" + formula
    assert row["first_comment"] == "'@everyone" and row["labels"] == "'-launch"
    for value in row.values():
        assert not value.startswith(FORMULA_TRIGGERS)
    assert env.run("post", "cancel", "1").code == 0
    assert env.run("import", str(out)).code == 0
    again = tmp_path / "again.csv"
    assert env.run("export", str(again)).code == 0
    assert again.read_text() == out.read_text()


@given(st.text(max_size=30))
def test_an_escaped_cell_is_never_a_formula_and_unescapes_to_itself(value: str) -> None:
    cell = escape_cell(value)
    assert not cell.startswith(FORMULA_TRIGGERS)
    assert unescape_cell(cell) == value


def test_lint_with_a_broken_link_is_a_finding_not_a_traceback(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    post = write(tmp_path / "p.md", "Hello there\n")
    result = cli("lint", str(post), "-n", "x", "--link", "http://[::1")
    assert "Traceback" not in result.err
    assert result.code == 1 and "POST405" in result.out


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.cookie)", "data:text/html,x", "http://[::1", " "]
)
def test_a_receivers_non_http_url_is_not_stored_or_linked(url: str) -> None:
    fields = Dispatcher._published_fields(PublishResult("r1", url), datetime.now(UTC))
    assert fields["url"] is None and fields["remote_id"] == "r1"
    assert http_href(url) == "#"
    good = "https://hooks.example/p/1"
    assert Dispatcher._published_fields(PublishResult("r1", good), datetime.now(UTC))["url"] == good
    assert http_href(good) == good
