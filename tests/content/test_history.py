"""Importing past posts: good rows kept, every bad row reported by row and column."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sociable.content.history import (
    normalize_tag,
    parse_history,
    parse_tag_cell,
    read_history,
    tags_in_text,
)
from sociable.errors import UserError

HEADER = "text,hashtags,date,likes,comments,shares,impressions\n"


def test_good_rows_parse_with_tags_from_both_places() -> None:
    history = parse_history(
        HEADER
        + "Launch day! #Python,#launch #News,2024-05-01,10,2,1,200\n"
        + '"Multi\nline, quoted",python,2024-05-02T09:30:00Z,"1,946",0,0,3000\n'
    )
    assert history.errors == []
    first, second = history.posts
    assert first.tags == ("launch", "news", "python")
    assert first.engagements == 13 and first.engagement_rate == pytest.approx(13 / 200)
    assert first.when == datetime(2024, 5, 1)
    assert second.text == "Multi\nline, quoted" and second.likes == 1946
    assert second.when == datetime(2024, 5, 2, 9, 30)
    assert (first.row, second.row) == (2, 3)


def test_bad_rows_are_reported_and_good_rows_kept() -> None:
    history = parse_history(
        HEADER
        + "ok,#a,2024-01-01,1,1,1,10\n"
        + "bad likes,#b,2024-01-02,12a,1,1,10\n"
        + "bad date,#c,01/02/2024,1,1,1,10\n"
        + "negative,#d,2024-01-04,1,-3,1,10\n"
        + ",,2024-01-05,1,1,1,10\n"
        + "short row,#e\n"
        + "\n"
        + "also ok,#f,2024-01-07,0,0,0,0\n"
    )
    assert [p.text for p in history.posts] == ["ok", "also ok"]
    problems = [(e.row, e.column) for e in history.errors]
    assert (3, "likes") in problems
    assert (4, "date") in problems
    assert (5, "comments") in problems
    assert (6, "text") in problems
    assert any(row == 7 for row, _ in problems)
    assert "12a" in str(history.errors[0]) and str(history.errors[0]).startswith("row 3, column")
    # One post without impressions has no rate, and says so rather than dividing by zero.
    assert history.posts[1].engagement_rate is None


def test_aliases_and_case_of_headers() -> None:
    history = parse_history(
        "Caption,Tags,Date,Likes,Saves,Impressions\nHi there,#x,2024-01-01,5,2,70\n"
    )
    assert history.columns["text"] == "Caption" and history.columns["saves"] == "Saves"
    assert history.posts[0].engagements == 7


def test_missing_columns_are_a_user_error_naming_the_file() -> None:
    with pytest.raises(UserError, match=r"posts\.csv: no text or hashtags column"):
        parse_history("date,likes\n2024-01-01,3\n", source="posts.csv")
    with pytest.raises(UserError, match="no engagement columns"):
        parse_history("text,impressions\nhello,3\n", source="posts.csv")
    with pytest.raises(UserError, match="empty file"):
        parse_history("", source="posts.csv")


def test_undated_history_keeps_file_order() -> None:
    history = parse_history("text,likes\nb #b,1\na #a,2\n")
    assert not history.has_dates
    assert [p.text for p in history.in_time_order()] == ["b #b", "a #a"]


def test_dated_history_sorts_by_date_stably() -> None:
    history = parse_history(
        "text,date,likes\nlate,2024-03-01,1\nearly,2024-01-01,1\nearly2,2024-01-01,1\n"
    )
    assert [p.text for p in history.in_time_order()] == ["early", "early2", "late"]


def test_read_history_from_file_with_cp1252_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_bytes("text,likes\ncaf\xe9 \u2019ok\u2019 #caf\xe9,3\n".encode("cp1252"))
    history = read_history(path)
    assert history.encoding == "cp1252"
    assert history.posts[0].tags == ("café",)
    path.write_bytes(b"\xef\xbb\xbftext,likes\nhi #x,1\n")
    assert read_history(path).posts[0].tags == ("x",)


def test_read_history_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"nope\.csv: cannot read"):
        read_history(tmp_path / "nope.csv")


def test_kharwal_dataset_imports_every_row(shared_data: Callable[[str], Path]) -> None:
    history = read_history(shared_data("datasets/instagram_kharwal") / "Instagram_data.csv")
    assert history.errors == []
    assert len(history.posts) == 176
    assert history.encoding == "utf-8-sig"  # NBSP-separated tags decode as UTF-8
    first = history.posts[0]
    assert first.tags[:3] == ("finance", "money", "business")
    assert first.impressions == 3920 and first.saves == 98


def test_tag_parsing() -> None:
    assert tags_in_text("#a b#c #123 #x_1 (#Yo) &#39; #日本語") == ["a", "x_1", "Yo", "日本語"]
    assert parse_tag_cell("#a\u00a0#b, c; #d#e 42") == ["a", "b", "c", "d", "e"]
    assert normalize_tag("#Straße") == "strasse"


@given(st.text(max_size=300))
def test_tag_parsers_never_crash_and_give_tag_bodies(text: str) -> None:
    for tag in tags_in_text(text) + parse_tag_cell(text):
        assert tag and "#" not in tag and not tag.isdigit()


@given(st.lists(st.text(max_size=30), max_size=8), st.integers(0, 10**9))
def test_any_cells_give_a_post_or_a_reported_error(cells: list[str], likes: int) -> None:
    # Whatever the text cell holds, the row is either kept or reported: never lost.
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["text", "likes"])
    for cell in cells:
        writer.writerow([cell, likes])
    history = parse_history(buf.getvalue())
    assert len(history.posts) + len({e.row for e in history.errors}) == len(cells)
