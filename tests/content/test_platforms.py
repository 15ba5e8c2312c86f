"""Networks as data: records, overrides from sociable.toml, Mastodon instance limits."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from sociable.config import load_settings
from sociable.content.platforms import (
    DEFAULT_PLATFORMS,
    SOURCES,
    Counting,
    fetch_mastodon_instance,
    load_platforms,
    mastodon_from_instance,
    parse_networks,
)
from sociable.errors import UserError
from sociable.net import NetPolicy

EXPECTED = {
    "x", "bluesky", "mastodon", "threads", "linkedin", "facebook",
    "instagram", "tiktok", "youtube", "pinterest", "reddit", "tumblr",
}  # fmt: skip


def test_every_network_has_a_record_with_dated_sources() -> None:
    assert set(DEFAULT_PLATFORMS) == EXPECTED
    for platform in DEFAULT_PLATFORMS.values():
        assert platform.text_limit > 0
        sources = platform.source_of("text_limit")
        assert sources, platform.name
        assert all(s.date[:4].isdigit() for s in sources)
    for keys in (p.sources for p in DEFAULT_PLATFORMS.values()):
        assert all(k in SOURCES for ks in keys.values() for k in ks)


def test_documented_facts() -> None:
    x, bsky = DEFAULT_PLATFORMS["x"], DEFAULT_PLATFORMS["bluesky"]
    assert (x.text_limit, x.counting, x.url_length) == (280, Counting.X_WEIGHTED, 23)
    assert (bsky.text_limit, bsky.max_bytes, bsky.counting) == (300, 3000, Counting.GRAPHEMES)
    assert DEFAULT_PLATFORMS["instagram"].max_hashtags == 5
    assert DEFAULT_PLATFORMS["threads"].max_links == 5
    assert DEFAULT_PLATFORMS["bluesky"].media["image"].max_bytes == 2_000_000


def test_overrides_from_sociable_toml(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "sociable.toml"
    cfg.write_text(
        "[platforms.instagram]\nmax_hashtags = 30\n"
        "[platforms.bluesky.media.image]\nmax_bytes = 1000000\n"
    )
    settings = load_settings(cfg)
    platforms = load_platforms(settings.platforms)
    assert platforms["instagram"].max_hashtags == 30
    assert platforms["bluesky"].media["image"].max_bytes == 1_000_000
    assert platforms["bluesky"].media["image"].max_count == 4  # the rest kept
    assert DEFAULT_PLATFORMS["instagram"].max_hashtags == 5  # defaults untouched


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"myspace": {"text_limit": 1}}, "unknown network"),
        ({"x": {"text_limt": 1}}, "unknown key 'text_limt'"),
        ({"x": {"text_limit": "many"}}, "[platforms.x].text_limit: expected a whole number"),
        ({"x": {"counting": "words"}}, "not one of"),
        ({"x": {"media": {"image": {"max_byts": 1}}}}, "[platforms.x].media.image"),
        ({"x": {"media": {"hologram": {"max_bytes": 1}}}}, "needs max_count"),
        ({"x": {"name": "y"}}, "unknown key 'name'"),
    ],
)
def test_bad_overrides_are_clear_errors(data: dict, message: str) -> None:
    with pytest.raises(UserError) as exc:
        load_platforms(data)
    assert message in str(exc.value)


def test_parse_networks() -> None:
    assert parse_networks("X, bsky,x") == ["x", "bluesky"]
    assert parse_networks(["twitter", "mastodon,threads"]) == ["x", "mastodon", "threads"]
    with pytest.raises(UserError, match="unknown network 'friendster'"):
        parse_networks("friendster")


INSTANCE = {
    "domain": "example.social",
    "configuration": {
        "statuses": {
            "max_characters": 1000,
            "max_media_attachments": 6,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
            "description_limit": 10000,
            "image_size_limit": 10485760,
            "image_matrix_limit": 16777216,
            "video_size_limit": 41943040,
            "video_frame_rate_limit": 60,
            "video_matrix_limit": 2304000,
        },
    },
}


def test_mastodon_instance_limits() -> None:
    p = mastodon_from_instance(INSTANCE)
    assert p.text_limit == 1000 and p.max_media == 6 and p.alt_text_limit == 10000
    assert p.media["image"].max_bytes == 10485760 and p.media["image"].formats == ("jpeg", "png")
    assert p.media["video"].max_fps == 60 and p.media["video"].formats == ("mp4",)
    assert "example.social" in p.notes
    # garbage keeps the defaults
    q = mastodon_from_instance({"configuration": {"statuses": {"max_characters": "lots"}}})
    assert q.text_limit == 500
    with pytest.raises(UserError):
        mastodon_from_instance([1, 2])


@respx.mock
def test_fetch_mastodon_instance_via_net() -> None:
    route = respx.get("https://example.social/api/v2/instance").mock(
        return_value=httpx.Response(200, content=json.dumps(INSTANCE).encode())
    )
    p = fetch_mastodon_instance("https://example.social/", policy=NetPolicy(allow_private=True))
    assert route.called and p.text_limit == 1000


@respx.mock
def test_fetch_mastodon_instance_errors() -> None:
    respx.get("https://bad.social/api/v2/instance").mock(return_value=httpx.Response(404))
    with pytest.raises(UserError, match="HTTP 404"):
        fetch_mastodon_instance("https://bad.social", policy=NetPolicy(allow_private=True))
    respx.get("https://junk.social/api/v2/instance").mock(
        return_value=httpx.Response(200, content=b"<html>")
    )
    with pytest.raises(UserError, match="not JSON"):
        fetch_mastodon_instance("https://junk.social", policy=NetPolicy(allow_private=True))
