"""publish.compose.refusals: what an account's connector declares it cannot do, at compose time."""

from __future__ import annotations

from pathlib import Path

from sociable.publish.compose import Composed, refusals
from sociable.publish.connectors.registry import connector_class, networks


def _file(tmp_path: Path, name: str) -> dict[str, str]:
    path = tmp_path / name
    path.write_bytes(b"x")
    mime = {"jpg": "image/jpeg", "gif": "image/gif", "mp4": "video/mp4"}[name.rsplit(".", 1)[1]]
    return {"path": str(path), "mime_type": mime}


def test_each_declared_capability_is_checked(tmp_path: Path) -> None:
    video, image = _file(tmp_path, "a.mp4"), _file(tmp_path, "b.jpg")
    # Instagram's connector declares text=False: a caption needs an image or a video. Its
    # platform record says so too (min_media, lint's POST108): then it is not said twice.
    assert refusals("instagram", Composed("Hello"), {}) == [
        "instagram publishes images and videos: attach one to the text"
    ]
    assert refusals("instagram", Composed("Hello")) == []
    assert refusals("instagram", Composed("Hello", media=[image]), {}) == []
    # Bluesky takes images only; Reddit no media at all; Tumblr no first comment.
    assert refusals("bluesky", Composed("Hi", media=[video])) == [
        "bluesky cannot publish video files (a.mp4)"
    ]
    assert refusals("reddit", Composed("Hi", media=[image])) == [
        "reddit cannot publish media through this app"
    ]
    assert refusals("tumblr", Composed("Hi", first_comment="More")) == [
        "tumblr cannot add a first comment"
    ]
    assert refusals("facebook", Composed("Hi", thread=["part 2"])) == [
        "facebook cannot publish a thread"
    ]
    assert refusals("x", Composed("Hi", media=[image] * 5)) == ["5 media files; x takes 4"]


def test_every_connector_refuses_what_it_does_not_declare(tmp_path: Path) -> None:
    image = _file(tmp_path, "b.jpg")
    for network in networks():
        caps = connector_class(network).capabilities
        found = refusals(network, Composed("Hi", thread=["2"], first_comment="c", media=[image]))
        assert any("first comment" in p for p in found) == (not caps.first_comment), network
        assert any("thread" in p for p in found) == (not caps.threads), network
        assert bool(found) == (
            not caps.first_comment
            or not caps.threads
            or caps.max_media == 0
            or (bool(caps.media_kinds) and "image" not in caps.media_kinds)
        ), (network, found)
