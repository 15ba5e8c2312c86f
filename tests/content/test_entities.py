"""Mentions per network and Bluesky facets with UTF-8 byte offsets."""

from __future__ import annotations

from sociable.content.entities import bluesky_facets, mentions


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
