"""Facebook Page connector at the HTTP level (respx) with Graph API shapes and error codes."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from sociable.publish.connectors.base import (
    AuthExpired,
    MediaItem,
    OutcomeUnknown,
    PublishRequest,
    RateLimited,
    Rejected,
    Transient,
)
from sociable.publish.connectors.facebook import GRAPH, FacebookConnector

V = f"{GRAPH}/v23.0"


def conn(http: httpx.Client) -> FacebookConnector:
    return FacebookConnector({"token": "page-token"}, {"page_id": "555"}, http)


def graph_error(status: int, code: int, message: str, **extra: object) -> httpx.Response:
    error = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbC",
        **extra,
    }
    return httpx.Response(status, json={"error": error})


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_text_post_with_link_and_first_comment(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    feed = respx_mock.post(f"{V}/555/feed").respond(json={"id": "555_1"})
    comment = respx_mock.post(f"{V}/555_1/comments").respond(json={"id": "555_1_9"})
    result = conn(http).publish(
        PublishRequest(1, "Hello page", link="https://acme.example", first_comment="first!")
    )
    assert result.remote_id == "555_1" and result.extra == {"first_comment_id": "555_1_9"}
    assert form(feed.calls.last.request) == {
        "message": "Hello page",
        "link": "https://acme.example",
    }
    assert feed.calls.last.request.url.params["access_token"] == "page-token"
    assert form(comment.calls.last.request) == {"message": "first!"}


def test_one_photo_and_several_photos(
    respx_mock: respx.MockRouter, http: httpx.Client, png: Path
) -> None:
    ids = iter(["p1", "p2", "p3"])
    photos = respx_mock.post(f"{V}/555/photos").mock(
        side_effect=lambda req: httpx.Response(200, json={"id": next(ids), "post_id": "555_7"})
    )
    single = conn(http).publish(
        PublishRequest(2, "one", media=(MediaItem(png, "image/png", "alt"),))
    )
    assert single.remote_id == "555_7"
    first = photos.calls[0].request.content
    assert b'name="source"' in first and b"alt_text_custom" in first
    feed = respx_mock.post(f"{V}/555/feed").respond(json={"id": "555_8"})
    media = (MediaItem(png, "image/png"), MediaItem(png, "image/png"))
    several = conn(http).publish(PublishRequest(3, "two", media=media))
    assert several.remote_id == "555_8"
    body = form(feed.calls.last.request)
    assert json.loads(body["attached_media[0]"]) == {"media_fbid": "p2"}
    assert json.loads(body["attached_media[1]"]) == {"media_fbid": "p3"}
    assert b'name="published"' in photos.calls[1].request.content


def test_expired_token_code_190(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{V}/555").mock(
        return_value=graph_error(
            400, 190, "Error validating access token: Session has expired", error_subcode=463
        )
    )
    with pytest.raises(AuthExpired):
        conn(http).check()
    assert conn(http).refresh() is None  # page tokens are not refreshed: reconnect


def test_throttled_codes_are_rate_limited(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    usage = {"555": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}]}
    respx_mock.post(f"{V}/555/feed").mock(
        return_value=httpx.Response(
            400,
            json={"error": {"message": "Application request limit reached", "code": 4}},
            headers={"x-business-use-case-usage": json.dumps(usage)},
        )
    )
    with pytest.raises(RateLimited) as info:
        conn(http).publish(PublishRequest(4, "x"))
    assert info.value.retry_after == 420


def test_duplicate_506(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{V}/555/feed").mock(
        return_value=graph_error(400, 506, "Duplicate status message")
    )
    with pytest.raises(Rejected, match="duplicate"):
        conn(http).publish(PublishRequest(5, "x"))


def test_5xx_and_timeout_unknown_then_reconcile(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    respx_mock.post(f"{V}/555/feed").mock(
        side_effect=[
            httpx.Response(
                500, json={"error": {"message": "An unknown error occurred", "code": 1}}
            ),
            httpx.ReadTimeout("slow"),
            graph_error(500, 2, "Service temporarily unavailable", is_transient=True),
        ]
    )
    request = PublishRequest(6, "Hello page")
    for _ in range(3):
        with pytest.raises(OutcomeUnknown):
            conn(http).publish(request)
    respx_mock.get(f"{V}/555/posts").respond(
        json={
            "data": [
                {
                    "id": "555_3",
                    "message": "hello page",
                    "created_time": "2026-11-21T10:00:00+0000",
                    "permalink_url": "https://www.facebook.com/555/posts/3",
                }
            ]
        }
    )
    found = conn(http).reconcile(request)
    assert found is not None and found.remote_id == "555_3"
    assert conn(http).recent_posts()[0].created_at is not None
    assert conn(http).reconcile(PublishRequest(7, "other")) is None


def test_connect_error_transient_and_missing_page(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    respx_mock.post(f"{V}/555/feed").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(Transient):
        conn(http).publish(PublishRequest(8, "x"))
    with pytest.raises(Rejected, match="page_id"):
        FacebookConnector({"token": "t"}, {}, http).publish(PublishRequest(9, "x"))


def test_policy_block_is_rejected(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{V}/555/feed").mock(
        return_value=graph_error(400, 368, "The action attempted has been deemed abusive")
    )
    with pytest.raises(Rejected, match="abusive"):
        conn(http).publish(PublishRequest(10, "x"))


def test_video_goes_to_the_video_host(
    respx_mock: respx.MockRouter, http: httpx.Client, tmp_path: Path, png: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0\0\0 ftypmp42" + b"\0" * 100)
    route = respx_mock.post("https://graph-video.facebook.com/v23.0/555/videos").respond(
        json={"id": "v77"}
    )
    result = conn(http).publish(
        PublishRequest(11, "Watch", media=(MediaItem(clip, "video/mp4"),), link="https://a.example")
    )
    assert result.remote_id == "v77"
    raw = route.calls.last.request.content
    assert b'name="source"' in raw and clip.read_bytes() in raw
    assert b"Watch\n\nhttps://a.example" in raw.replace(b"\r\n", b"\n")
    with respx.mock() as router, pytest.raises(Rejected, match="one video"):
        media = (MediaItem(clip, "video/mp4"), MediaItem(png, "image/png"))
        conn(http).publish(PublishRequest(12, "x", media=media))
    assert not router.calls
