"""``sociable hashtags`` end to end, in-process."""

from __future__ import annotations

import json
from pathlib import Path

HISTORY = (
    "Date,Caption,Hashtags,Likes,Comments,Shares,Impressions\n"
    + "".join(
        f"2024-01-{i + 1:02d},Fresh sourdough bread from our oven,#bread #bakery,{10 + i},1,0,500\n"
        for i in range(10)
    )
    + "2024-01-20,Coffee and latte art,#coffee #bakery,lots,1,0,500\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_text_output_with_history_and_bad_rows(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    post = write(tmp_path, "post.md", "---\nnetworks: [instagram]\n---\nA sourdough bread loaf\n")
    history = write(tmp_path, "posts.csv", HISTORY)
    result = cli("hashtags", str(post), "--network", "instagram", "--history", str(history))
    assert result.code == 0, result.err
    assert "#bread" in result.out and "#bakery" in result.out
    assert "networks" not in result.out  # front matter is not the post
    assert "row 12, column Likes" in result.err and "'lots'" in result.err
    assert "10 posts kept" in result.err


def test_json_output_and_config_flags(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    post = write(tmp_path, "post.txt", "A sourdough bread loaf with coffee")
    history = write(tmp_path, "posts.csv", HISTORY)
    config = write(
        tmp_path, "sociable.toml", '[hashtags]\nbanned = ["bread"]\noverused = ["bakery"]\n'
    )
    result = cli(
        "--config",
        str(config),
        "hashtags",
        str(post),
        "--history",
        str(history),
        "--network",
        "instagram",
        "--top",
        "6",
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["network"] == "instagram" and data["cap"] == 5 and data["top"] == 6
    tags = [s["hashtag"] for s in data["suggestions"]]
    assert "#bread" not in tags
    assert [s["hashtag"] for s in data["flagged"]] == ["#bread"]
    bakery = next(s for s in data["suggestions"] if s["hashtag"] == "#bakery")
    assert "overused" in bakery["flags"] and bakery["posts"] == 10
    assert data["history"]["posts"] == 10
    assert data["history"]["rejected"] == [
        {"row": 12, "column": "Likes", "message": "not a whole number >= 0: 'lots'"}
    ]


def test_stdin_and_no_history(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Vegan chocolate cake recipe")))
    result = cli("hashtags", "-", "--network", "x", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["suggestions"] and data["cap"] is None
    assert any("no history" in n for n in data["notes"])


def test_bad_input_exits_2_with_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9 \xff")
    result = cli("hashtags", str(bad))
    assert result.code == 2 and "bad.txt: line 1: not valid UTF-8" in result.err
    assert "Traceback" not in result.err
    post = write(tmp_path, "post.txt", "bread")
    result = cli("hashtags", str(post), "--network", "myspace")
    assert result.code == 2 and "unknown network" in result.err
    result = cli("hashtags", str(post), "--history", str(tmp_path / "missing.csv"))
    assert result.code == 2 and "missing.csv: cannot read" in result.err
    nocols = write(tmp_path, "nocols.csv", "a,b\n1,2\n")
    result = cli("hashtags", str(post), "--history", str(nocols))
    assert result.code == 2 and "nocols.csv: no text or hashtags column" in result.err
    result = cli("hashtags", str(tmp_path / "nope.txt"))
    assert result.code == 2 and "nope.txt: cannot read" in result.err


def test_network_from_front_matter(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    post = write(tmp_path, "post.md", "---\nnetworks: [threads, x]\n---\nSourdough bread\n")
    result = cli("hashtags", str(post), "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["network"] == "threads" and data["cap"] == 1 and len(data["suggestions"]) == 1
    broken = write(tmp_path, "broken.md", "---\nnetworks: [x\nbody\n")
    result = cli("hashtags", str(broken))
    assert result.code == 2 and "broken.md" in result.err
