"""Mentions per network, Bluesky facets with UTF-8 byte offsets, and X's entities.

The X cases are our own, so extraction stays covered without twitter-text's suite
(tests/content/test_twitter_conformance.py runs that when it is at hand).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sociable.content import twitter as tt
from sociable.content.entities import bluesky_facets, mentions


def _texts(found: list[tt.Entity]) -> list[str]:
    return [e.text for e in found]


def test_x_hashtags() -> None:
    text = "#Launch day! #日本 and #123 #x_1 a#b (#yes) &#39; ＃タグ"
    assert _texts(tt.extract_hashtags(text)) == ["Launch", "日本", "x_1", "yes", "タグ"]
    assert tt.extract_hashtags("#Launch")[0].indices == (0, 7)
    assert _texts(tt.extract_hashtags("https://example.com/#anchor #real")) == ["real"]
    assert tt.is_valid_hashtag("#ok") and not tt.is_valid_hashtag("#42")
    assert not tt.is_valid_hashtag("#two words")


def test_x_mentions_lists_and_replies() -> None:
    text = "hi @alice, @Bob_99! mail a@b.com @acme/team-news"
    assert _texts(tt.extract_mentions(text)) == ["alice", "Bob_99"]
    found = tt.extract_mentions_or_lists(text)
    assert [(e.kind, e.text, e.list_slug) for e in found] == [
        ("mention", "alice", ""),
        ("mention", "Bob_99", ""),
        ("list", "acme", "/team-news"),
    ]
    assert found[0].indices == (3, 9)
    assert tt.extract_reply("@alice thanks") == "alice"
    assert tt.extract_reply("  @alice thanks") == "alice"
    assert tt.extract_reply("thanks @alice") is None
    assert tt.is_valid_username("@alice") and not tt.is_valid_username("alice")
    assert tt.is_valid_list("@acme/team") and not tt.is_valid_list("@acme")


def test_x_cashtags() -> None:
    text = "buying $AAPL and $brk.b, not $123, $toolong or price$TSLA"
    assert _texts(tt.extract_cashtags(text)) == ["AAPL", "brk.b"]
    assert tt.extract_cashtags("$AAPL")[0].indices == (0, 5)


def test_x_urls() -> None:
    text = "Visit https://example.com/path?q=1. Or (example.org), not notes.txt; https://t.co/abc1"
    assert _texts(tt.extract_urls(text)) == [
        "https://example.com/path?q=1",
        "example.org",
        "https://t.co/abc1",
    ]
    assert tt.is_valid_url("https://example.com/a") and not tt.is_valid_url("example.com")


def test_x_indices_are_utf16_after_emoji_and_cjk() -> None:
    # 🎉 is one code point and two UTF-16 units; 日 is one of each
    text = "🎉日 #tag @bob $AAPL https://example.com"
    found = tt.extract_entities(text)
    assert [(e.kind, e.text) for e in found] == [
        ("hashtag", "tag"),
        ("mention", "bob"),
        ("cashtag", "AAPL"),
        ("url", "https://example.com"),
    ]
    assert [(e.start, e.end) for e in found] == [(3, 7), (8, 12), (13, 18), (19, 38)]
    assert [e.indices for e in found] == [(4, 8), (9, 13), (14, 19), (20, 39)]


_SIGIL = {"hashtag": "#＃", "mention": "@＠", "list": "@＠", "cashtag": "$"}
pieces = st.sampled_from(
    ["#", "@", "$", " ", "a", "Z", "_", "1", "日", "🎉", "👩\u200d💻", ".", "/", "com",
     "https://", "example", "é", "\u0301", "＃", "\n"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(pieces, max_size=40).map("".join))
def test_x_entity_offsets_agree_with_their_text(text: str) -> None:
    last_end = 0
    for e in tt.extract_entities(text):
        assert e.start >= last_end  # in order, never overlapping
        last_end = e.end
        span = text[e.start : e.end]
        utf16 = len(text[: e.start].encode("utf-16-le")) // 2
        assert e.indices == (utf16, utf16 + len(span.encode("utf-16-le")) // 2)
        if e.kind == "url":
            assert span == e.text
        else:
            assert span[0] in _SIGIL[e.kind] and span[1:] == e.text + e.list_slug


def test_bluesky_facets_use_utf8_byte_offsets() -> None:
    text = "✨ café #Launch see https://example.com/x and @alice.bsky.social!"
    facets = bluesky_facets(text, resolve_handle=lambda h: f"did:plc:{h.split('.')[0]}")
    raw = text.encode("utf-8")
    kinds = {}
    for f in facets:
        start, end = f["index"]["byteStart"], f["index"]["byteEnd"]
        feature = f["features"][0]
        kinds[feature["$type"].split("#")[1]] = (raw[start:end].decode(), feature)
    assert kinds["tag"][0] == "#Launch" and kinds["tag"][1]["tag"] == "Launch"
    assert kinds["link"][0] == "https://example.com/x"
    assert kinds["link"][1]["uri"] == "https://example.com/x"
    assert kinds["mention"][0] == "@alice.bsky.social"
    assert kinds["mention"][1]["did"] == "did:plc:alice"
    starts = [f["index"]["byteStart"] for f in facets]
    assert starts == sorted(starts)


def test_bluesky_tags_drop_trailing_punctuation_and_digits_only() -> None:
    facets = bluesky_facets("#hello! #2024 #ok.")
    tags = [f["features"][0]["tag"] for f in facets]
    assert tags == ["hello", "ok"]


def test_bluesky_link_without_protocol_gets_https() -> None:
    facets = bluesky_facets("go to example.com now")
    assert facets[0]["features"][0]["uri"] == "https://example.com"


def test_mentions_without_resolver_get_no_facet() -> None:
    assert bluesky_facets("hi @bob.example.com") == []


def test_mentions_per_network() -> None:
    text = "thanks @alice@example.social and @bob"
    fedi = mentions(text, "mastodon")
    assert [(m.handle, m.host) for m in fedi] == [("alice", "example.social"), ("bob", None)]
    assert [m.handle for m in mentions("hey @carol.bsky.social", "bluesky")] == [
        "carol.bsky.social"
    ]
    assert [m.handle for m in mentions("hey @dave_x", "x")] == ["dave_x"]
