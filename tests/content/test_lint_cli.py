"""``sociable lint`` and ``sociable adapt`` end to end, in-process."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

POST = """---
networks: [x, bluesky]
link: https://example.com/spring?utm_source=x&utm_medium=social&utm_campaign=spring
media: [https://cdn.example.com/cup.jpg]
alt: [A cup of coffee]
---
Our spring menu is here. Come taste it this weekend!
"""


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_lint_file_text_output(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    post = tmp_path / "post.md"
    post.write_text(POST)
    result = cli("lint", str(post))
    assert result.code == 0, result.err
    assert "x" in result.out and "/280" in result.out and "/300" in result.out
    assert "left" in result.out


def test_lint_json_shape_and_exit_code(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("lint", "--text", "word " * 70, "-n", "x,bluesky", "--format", "json")
    assert result.code == 1
    data = json.loads(result.out)
    assert set(data) == {"networks", "findings"}
    x = data["networks"]["x"]
    assert (x["length"], x["limit"], x["remaining"], x["valid"]) == (350, 280, -70, False)
    assert x["cut_at"] == 280
    assert data["networks"]["bluesky"]["valid"] is False
    assert {"code", "network", "severity", "message"} == set(data["findings"][0])
    assert any(f["code"] == "POST101" for f in data["findings"])


def test_lint_shows_cut_point(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("lint", "--text", "x" * 290, "-n", "x")
    assert result.code == 1 and "cut at character 280" in result.out


def test_lint_stdin_and_select(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _stdin(monkeypatch, b"ALL CAPS SHOUTING IN THIS POST #a")
    result = cli("lint", "-", "-n", "x", "--select", "POST5", "--format", "json")
    assert result.code == 0
    assert {f["code"] for f in json.loads(result.out)["findings"]} == {"POST502"}


def test_lint_media_and_alt_flags(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    img = tmp_path / "a.jpg"
    Image.new("RGB", (1200, 1200), "blue").save(img)
    result = cli("lint", "--text", "Read more", "-n", "x", "--media", str(img), "--format", "json")
    codes = {f["code"] for f in json.loads(result.out)["findings"]}
    assert "POST310" in codes  # the media checks' missing alt
    result = cli(
        "lint",
        "--text",
        "Read more",
        "-n",
        "x",
        "--media",
        str(img),
        "--alt",
        "Blue",
        "--format",
        "json",
    )
    assert "POST310" not in {f["code"] for f in json.loads(result.out)["findings"]}


def test_batch_jsonl(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.jsonl"
    lines = [
        {"text": "Join us on Friday!", "networks": ["x"]},
        {"text": "y" * 400, "networks": ["bluesky", "mastodon"]},
    ]
    plan.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    result = cli("lint", str(plan), "--batch", "--format", "json")
    assert result.code == 1
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [r["line"] for r in rows] == [1, 2]
    assert rows[0]["networks"]["x"]["valid"] is True
    assert rows[1]["networks"]["bluesky"]["valid"] is False
    assert rows[1]["networks"]["mastodon"]["valid"] is True


def test_batch_bad_line_names_the_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.jsonl"
    plan.write_text('{"text": "ok", "networks": ["x"]}\n{"text": oops}\n')
    result = cli("lint", str(plan), "--batch")
    assert result.code == 2 and "plan.jsonl:2" in result.err and result.out == ""
    plan.write_text('{"text": "ok", "networks": ["friendster"]}\n')
    result = cli("lint", str(plan), "--batch")
    assert result.code == 2 and "plan.jsonl:1" in result.err and "friendster" in result.err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"---\nnetworks: [x\n---\nhi", "line 2"),
        (b"---\nnetworks: [x]\nhi", "never closed"),
        (b"---\n- a\n---\nhi", "mapping"),
        (b"---\nnetwork: [x]\n---\nhi", "unknown field 'network'"),
        (b"---\nscheduled_at: tomorrow\n---\nhi", "scheduled_at"),
        (b"---\nmedia: 3\n---\nhi", "media"),
        (b"caf\xe9 au lait", "not valid UTF-8"),
    ],
)
def test_bad_post_files_exit_2(cli, tmp_path: Path, content: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    post = tmp_path / "bad.md"
    post.write_bytes(content)
    result = cli("lint", str(post), "-n", "x")
    assert result.code == 2, result.out
    assert message in result.err and "bad.md" in result.err
    assert "Traceback" not in result.err


def test_missing_file_and_no_network(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("lint", str(tmp_path / "nope.md"), "-n", "x").code == 2
    result = cli("lint", "--text", "hi")
    assert result.code == 2 and "no network" in result.err


def test_config_overrides_apply(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "sociable.toml"
    cfg.write_text("[platforms.x]\ntext_limit = 5\n")
    result = cli("-c", str(cfg), "lint", "--text", "Read it", "-n", "x", "--format", "json")
    assert json.loads(result.out)["networks"]["x"]["limit"] == 5
    cfg.write_text("[platforms.x]\ntext_limt = 5\n")
    result = cli("-c", str(cfg), "lint", "--text", "Read it", "-n", "x")
    assert result.code == 2 and "text_limt" in result.err


def test_adapt_cli(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "sociable.toml"
    cfg.write_text('[handles.acme]\nx = "@acme_co"\nbluesky = "acme.com"\nname = "Acme"\n')
    post = tmp_path / "post.md"
    body = " ".join(f"Sentence {i} about our new spring coffee menu." for i in range(15))
    post.write_text(
        "---\nnetworks: [x, bluesky, instagram]\nlink: https://example.com/spring\n"
        "media: [https://cdn.example/cup.jpg]\nalt: [A cup of coffee]\n"
        f"campaign: Spring Menu\n---\nThanks @acme! {body} #Coffee #Spring #Menu #Latte\n"
    )
    result = cli("-c", str(cfg), "adapt", str(post), "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert set(data) == {"x", "bluesky", "instagram"}
    x = data["x"]
    assert len(x["thread"]) > 1 and x["thread"][0].startswith("Thanks @acme_co!")
    assert x["thread"][-1].endswith(f"{len(x['thread'])}/{len(x['thread'])}")
    assert all(c["valid"] for c in x["counts"]) and x["findings"] == []
    assert "utm_source=x&utm_medium=social&utm_campaign=spring_menu" in x["link"]
    assert data["bluesky"]["thread"][0].startswith("Thanks @acme.com!")
    assert data["instagram"]["thread"][0].startswith("Thanks Acme!")
    assert len(data["instagram"]["hashtags"]) <= 5
    text = cli("-c", str(cfg), "adapt", str(post), "-n", "x")
    assert text.code == 0 and "X" in text.out and "/280" in text.out


def test_adapt_cli_fails_a_text_only_post_for_instagram(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    post = tmp_path / "post.md"
    post.write_text("---\nnetworks: [x, instagram]\n---\nOur spring menu is here, come by?\n")
    result = cli("adapt", str(post), "--format", "json")
    assert result.code == 1
    data = json.loads(result.out)
    assert [f["code"] for f in data["instagram"]["findings"] if f["severity"] == "error"] == [
        "POST108"
    ]
    assert not [f for f in data["x"]["findings"] if f["severity"] == "error"]
    lint = cli("lint", "--text", "Our spring menu is here, come by?", "-n", "instagram")
    assert lint.code == 1 and "POST108" in lint.out
