"""Bad input gives a finding or a clear error: never a crash, never a hang."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from sociable.content.adapt import adapt_post
from sociable.content.lint import lint_post
from sociable.content.platforms import DEFAULT_PLATFORMS
from sociable.content.post import MAX_NESTING, PostInput, iter_jsonl, parse_post
from sociable.errors import UserError

ALL = ",".join(DEFAULT_PLATFORMS)


def test_invalid_utf8_line_in_batch(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.jsonl"
    plan.write_bytes(b'{"text": "ok", "networks": ["x"]}\n{"text": "caf\xe9"}\n')
    result = cli("lint", str(plan), "--batch")
    assert result.code == 2 and "plan.jsonl:2" in result.err and "UTF-8" in result.err


def test_lone_surrogates_from_json_are_a_finding(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.jsonl"
    plan.write_text(
        json.dumps({"text": "bad \ud800 text " + "x" * 300, "networks": ["x", "bluesky"]})
    )
    for fmt in ("json", "text"):
        result = cli("lint", str(plan), "--batch", "--format", fmt)
        assert result.code == 1, result.err
        assert "POST105" in result.out and "Traceback" not in result.err


@pytest.mark.parametrize(
    "text",
    [
        "family 👨\u200d👩\u200d👧 and a\u200db",  # ZWJ inside and outside emoji
        "\u202eevil.exe\u202c \u2066isolate\u2069 \u200f",  # bidi controls
        "\u0000\u0007 control \x7f",
        "e\u0301" * 400,  # combining marks
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f" * 100,
    ],
)
def test_odd_unicode_lints_and_adapts(text: str) -> None:
    report = lint_post(PostInput(text=text), ALL)
    assert set(report.networks) == set(DEFAULT_PLATFORMS)
    adapt_post(PostInput(text=text), ALL)


def test_bidi_and_stray_joiners_are_findings() -> None:
    report = lint_post(PostInput(text="Read \u202eevil\u202c and a\u200db"), "x")
    [finding] = [f for f in report.findings if f.code == "POST505"]
    assert "U+202E" in finding.message and "U+200D" in finding.message


@pytest.mark.slow
def test_one_megabyte_of_text(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = ("Some words 字 😀 https://example.com/a #tag @user@host.social " * 20_000)[:1_000_000]
    post = tmp_path / "big.md"
    post.write_text("---\nnetworks: [x, bluesky, mastodon, linkedin]\n---\n" + text)
    result = cli("lint", str(post), "--format", "json")
    assert result.code == 1
    data = json.loads(result.out)
    assert data["networks"]["x"]["valid"] is False and data["networks"]["x"]["cut_at"] > 0
    result = cli("adapt", str(post))
    assert result.code == 2 and "at most" in result.err


def test_too_big_file_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    post = tmp_path / "huge.md"
    post.write_bytes(b"a" * (4 * 1024 * 1024 + 1))
    result = cli("lint", str(post), "-n", "x")
    assert result.code == 2 and "larger than" in result.err


def test_front_matter_types() -> None:
    with pytest.raises(UserError, match="networks"):
        parse_post("---\nnetworks: 5\n---\nhi")
    with pytest.raises(UserError, match="text"):
        parse_post("---\ntext: hi\n---\nhi")
    post = parse_post("---\n---\nbody")
    assert post.text == "body" and post.networks == []
    assert parse_post("no front matter\n").text == "no front matter"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_post_file_parses_or_is_a_user_error(text: str) -> None:
    for candidate in (text, "---\n" + text, "---\n" + text + "\n---\nbody"):
        try:
            post = parse_post(candidate, "post.md")
        except UserError as exc:
            assert "post.md" in str(exc)
        else:
            assert isinstance(post.text, str)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_jsonl_bytes_parse_or_are_a_user_error(data: bytes) -> None:
    try:
        for number, post in iter_jsonl(data, "plan.jsonl"):
            assert number >= 1 and isinstance(post.text, str)
    except UserError as exc:
        assert "plan.jsonl:" in str(exc)


@respx.mock
def test_lint_reads_mastodon_instance_limits(cli) -> None:  # type: ignore[no-untyped-def]
    respx.get("https://small.social/api/v2/instance").mock(
        return_value=httpx.Response(
            200, json={"configuration": {"statuses": {"max_characters": 100}}}
        )
    )
    args = ["lint", "--text", "Read " + "x" * 120, "-n", "mastodon", "--format", "json"]
    result = cli(*args, "--instance", "https://small.social", "--allow-private")
    data = json.loads(result.out)
    assert data["networks"]["mastodon"]["limit"] == 100 and result.code == 1


DEEP = 100_000


def test_deeply_nested_json_line_is_a_clear_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plan = tmp_path / "plan.jsonl"
    nested = '{"text": "ok", "extra": ' + "[" * DEEP + "]" * DEEP + "}"
    plan.write_text('{"text": "ok", "networks": ["x"]}\n' + nested + "\n")
    result = cli("lint", str(plan), "--batch", "-n", "x")
    assert result.code == 2, result.err
    assert "Traceback" not in result.err and "RecursionError" not in result.err
    [line] = result.err.strip().splitlines()
    assert "plan.jsonl:2" in line and "nested too deeply" in line


@pytest.mark.parametrize("opening", ["[", "{a: ", "- "])
def test_deeply_nested_front_matter_is_a_clear_error(cli, tmp_path: Path, opening: str) -> None:  # type: ignore[no-untyped-def]
    post = tmp_path / "post.md"
    if opening == "- ":  # block style: one more indent per level
        header = "".join(" " * (2 * i) + "- \n" for i in range(2000))
        header = "a:\n" + "".join("  " + row for row in header.splitlines(keepends=True))
    else:
        header = "a: " + opening * DEEP + "\n"
    post.write_text("---\nnetworks: [x]\n" + header + "---\nHello\n")
    result = cli("lint", str(post))
    assert result.code == 2, result.err
    assert "Traceback" not in result.err and "RecursionError" not in result.err
    [line] = result.err.strip().splitlines()
    assert "post.md" in line and "line " in line and "nested deeper than" in line


@given(depth=st.integers(1, 3_000), kind=st.sampled_from(["[", "{"]))
@settings(max_examples=40, deadline=None)
def test_any_nesting_is_a_user_error_naming_the_place(depth: int, kind: str) -> None:
    close = "]" if kind == "[" else "}"
    inner = (kind + ('"k": ' if kind == "{" else "")) * depth + "1" + close * depth
    # ``campaign`` must be a string, so every input here is bad: the point is how it fails.
    with pytest.raises(UserError, match=r"^p\.jsonl:1: "):
        list(iter_jsonl(('{"text": "t", "campaign": ' + inner + "}").encode(), "p.jsonl"))
    yaml_inner = inner.replace('"k": ', "k: ")
    with pytest.raises(UserError, match=r"^p\.md: ") as caught:
        parse_post(f"---\ncampaign: {yaml_inner}\n---\nt", "p.md")
    if depth >= MAX_NESTING:
        assert "line 2: front matter is not valid YAML: nested deeper than" in str(caught.value)
