"""Counting per network: units, URL weights, mentions, cut points; property tests."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from sociable.content.counting import count_text, graphemes, utf8_bytes
from sociable.content.platforms import DEFAULT_PLATFORMS, load_platforms

P = DEFAULT_PLATFORMS


def test_x_weighted() -> None:
    c = count_text("Hello 世界 https://example.com/a/very/long/path/indeed/yes", P["x"])
    assert c.length == 6 + 4 + 1 + 23 and c.limit == 280 and c.valid and c.cut_at is None
    assert count_text("👨‍👩‍👧‍👦", P["x"]).length == 2


def test_x_cut_point() -> None:
    text = "a" * 300
    c = count_text(text, P["x"])
    assert (c.length, c.remaining, c.valid, c.cut_at) == (300, -20, False, 280)
    c = count_text("字" * 141, P["x"])
    assert c.cut_at == 140 and c.length == 282


def test_bluesky_graphemes_and_bytes() -> None:
    assert count_text("👨‍👩‍👧‍👦" * 300, P["bluesky"]).length == 300
    family = count_text("👨‍👩‍👧‍👦" * 300, P["bluesky"])
    # 300 graphemes fit, but 300 * 25 bytes do not
    assert not family.valid and family.size_bytes == 7500 and family.max_bytes == 3000
    assert family.cut_at == 120 * 7  # 120 families fit in 3000 bytes, 7 code points each
    c = count_text("e\u0301" * 301, P["bluesky"])  # NFC makes é
    assert c.length == 301 and c.cut_at == 300


def test_mastodon_urls_and_remote_mentions() -> None:
    text = "Hi @alice@example.social see https://example.com/" + "x" * 100
    c = count_text(text, P["mastodon"])
    assert c.length == len("Hi @alice see ") + 23
    assert count_text("ping @bob", P["mastodon"]).length == 9


def test_threads_counts_emoji_as_utf8_bytes() -> None:
    assert count_text("hi 😀", P["threads"]).length == 3 + 4
    assert count_text("👍🏽", P["threads"]).length == 8  # one sequence, 8 bytes
    c = count_text("😀" * 130, P["threads"])
    assert c.length == 520 and c.cut_at == 125


def test_other_units() -> None:
    assert count_text("😀", P["linkedin"]).length == 2  # UTF-16
    assert count_text("😀", P["tumblr"]).length == 1  # code points
    assert count_text("😀", P["youtube"]).length == 4  # bytes
    assert count_text("a" * 501, P["pinterest"]).cut_at == 500


def test_override_changes_limit() -> None:
    platforms = load_platforms({"mastodon": {"text_limit": 10}})
    assert not count_text("hello world!", platforms["mastodon"]).valid


def test_crlf_is_one_grapheme() -> None:
    assert graphemes("a\r\nb") == 3


def test_lone_surrogates_do_not_crash() -> None:
    text = "abc\ud800def"
    for p in P.values():
        count_text(text, p)
    assert utf8_bytes(text) == 9


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(max_examples=150, deadline=None)
@given(texts, texts)
def test_appending_never_lowers_a_length(a: str, b: str) -> None:
    for name in ("x", "bluesky", "mastodon", "threads", "linkedin", "tumblr", "youtube"):
        before = count_text(a, P[name]).length
        after = count_text(a + " " + b, P[name]).length
        assert after >= before, (name, a, b)


@settings(max_examples=150, deadline=None)
@given(texts)
def test_nfc_invariance(a: str) -> None:
    nfd = unicodedata.normalize("NFD", a)
    for p in P.values():
        assert count_text(nfd, p).length == count_text(a, p).length


@settings(max_examples=100, deadline=None)
@given(texts)
def test_cut_text_fits(a: str) -> None:
    for name in ("x", "bluesky", "mastodon", "instagram"):
        p = load_platforms({name: {"text_limit": 20}})[name]
        c = count_text(a, p)
        if c.cut_at is not None:
            head = unicodedata.normalize("NFC", a)[: c.cut_at]
            assert count_text(head, p).length <= 20, (name, a)
        else:
            assert c.length <= 20
