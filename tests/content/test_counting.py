"""Counting per network: units, URL weights, mentions, cut points; property tests.

The X cases below are our own (written from twitter-text's published rules: Latin and
general punctuation weigh 1, everything else 2, an emoji sequence 2 in config v3, any URL
23, NFC first), so X counting stays covered when the conformance suite is not at hand.
"""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from sociable.content import twitter as tt
from sociable.content.counting import count_text, graphemes, utf8_bytes
from sociable.content.platforms import DEFAULT_PLATFORMS, load_platforms

P = DEFAULT_PLATFORMS


def test_x_weighted() -> None:
    c = count_text("Hello 世界 https://example.com/a/very/long/path/indeed/yes", P["x"])
    assert c.length == 6 + 4 + 1 + 23 and c.limit == 280 and c.valid and c.cut_at is None
    assert count_text("👨‍👩‍👧‍👦", P["x"]).length == 2


def _x(text: str, config: tt.TwitterConfig = tt.CONFIG_V3) -> int:
    return tt.parse_tweet(text, config).weighted_length


def test_x_latin_and_punctuation_weigh_one() -> None:
    assert _x("Hello, world!") == 13
    assert _x("Crème brûlée — “quoted” ‘ok’") == 28  # Latin-1, Latin Extended, U+2014/201C/2018
    assert _x("Привет мир") == 10  # Cyrillic is inside U+0000-10FF


def test_x_cjk_and_other_scripts_weigh_two() -> None:
    assert _x("日本語のテキスト") == 16
    assert _x("한국어") == 6
    assert _x("Tokyo 東京") == 6 + 4
    assert _x("→") == 2 and _x("…") == 2  # U+2192, U+2026: outside the Latin ranges


def test_x_emoji_sequences_weigh_two_in_v3_only() -> None:
    # (text, code points' weights under v2) for one emoji sequence each
    sequences = {
        "🎉": 2,  # one astral code point
        "👍🏽": 4,  # + skin tone modifier
        "👩\u200d💻": 5,  # ZWJ (U+200D) is in the Latin range: 2 + 1 + 2
        "🇫🇷": 4,  # two regional indicators
        "1\ufe0f\u20e3": 5,  # keycap: 1 + FE0F + 20E3
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f": 14,  # Scotland
    }
    for emoji, v2 in sequences.items():
        assert _x(emoji) == 2, emoji
        assert _x(emoji, tt.CONFIG_V2) == v2, emoji
    assert _x("🎉 🎉🎉") == 2 + 1 + 4
    assert _x("©") == 1 and _x("©\ufe0f") == 2  # © as text is Latin-1, as emoji 2


def test_x_every_url_weighs_23() -> None:
    long = "https://example.com/" + "a" * 200
    assert _x(long) == 23
    assert _x("see " + long) == 4 + 23
    assert _x("go to example.com now") == 6 + 23 + 4  # no protocol, still a link
    assert _x("https://t.co/abc") == 23  # shorter than 23 still counts 23
    assert _x("two: https://a.example.com https://b.example.org/x") == 5 + 23 + 1 + 23
    assert _x("notes.txt") == 9  # not a known TLD, not a link
    # a URL's path stops at CJK, which then counts as text again
    assert _x("日本 https://example.jp/日本") == 4 + 1 + 23 + 4


def test_x_limit_and_valid_range() -> None:
    fits = tt.parse_tweet("a" * 280)
    assert fits.valid and fits.weighted_length == 280 and fits.permillage == 1000
    over = tt.parse_tweet("a" * 281)
    assert not over.valid and over.valid_range_end == 279 and over.display_range_end == 280
    cjk = tt.parse_tweet("字" * 141)
    assert not cjk.valid and cjk.weighted_length == 282 and cjk.valid_range_end == 139
    # ranges are UTF-16 indices: each 🎉 is two units and weighs 2, so 140 fit
    emoji = tt.parse_tweet("🎉" * 141)
    assert emoji.weighted_length == 282 and emoji.valid_range_end == 2 * 140 - 1
    assert tt.parse_tweet("x" * 140 + " " + "https://example.com/" + "y" * 300).valid


def test_x_nfc_and_invalid_characters() -> None:
    decomposed = "e\u0301" * 3  # NFC: three é
    result = tt.parse_tweet(decomposed)
    assert result.weighted_length == 3 and result.valid
    assert result.display_range_end == 5 and result.valid_range_end == 5  # in the input's units
    assert not tt.parse_tweet("fine\ufffe").valid  # U+FFFE is never allowed
    assert not tt.parse_tweet("").valid  # an empty post is not a post


def test_x_config_v1_counts_code_points_to_140() -> None:
    assert _x("字" * 140, tt.CONFIG_V1) == 140 and tt.parse_tweet("字" * 140, tt.CONFIG_V1).valid
    assert not tt.parse_tweet("a" * 141, tt.CONFIG_V1).valid


latin = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz ABC,;!?'-é"), max_size=300)
cjk = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=200)
EMOJI = ["🎉", "👍🏽", "👩\u200d💻", "🇯🇵", "#\ufe0f\u20e3", "❤\ufe0f", "🧑🏿\u200d🚀"]


@settings(max_examples=100, deadline=None)
@given(latin)
def test_x_latin_text_weighs_its_length(text: str) -> None:
    assert _x(text) == len(text)
    assert tt.parse_tweet(text).valid == (0 < len(text) <= 280)


@settings(max_examples=100, deadline=None)
@given(cjk)
def test_x_cjk_text_weighs_twice_its_length(text: str) -> None:
    assert _x(text) == 2 * len(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(EMOJI), min_size=1, max_size=50), latin)
def test_x_each_emoji_weighs_two_whatever_its_code_points(emoji: list[str], words: str) -> None:
    text = words + " " + " ".join(emoji)
    assert _x(text) == len(words) + 1 + 2 * len(emoji) + (len(emoji) - 1)


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
