"""Instagram connector at the HTTP level (respx): container, status polling, publish."""

from __future__ import annotations

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
from sociable.publish.connectors.instagram import InstagramConnector

V = "https://graph.facebook.com/v23.0"
IGV = "https://graph.instagram.com"


def conn(http: httpx.Client, **settings: str) -> InstagramConnector:
    base = {"ig_user_id": "1784", "media_base_url": "https://cdn.acme.example/m/"}
    c = InstagramConnector({"token": "tok"}, {**base, **settings}, http)
    c.sleep = lambda _s: None
    return c


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_single_image_polls_then_publishes(
    respx_mock: respx.MockRouter, http: httpx.Client, png: Path
) -> None:
    media = respx_mock.post(f"{V}/1784/media").respond(json={"id": "c1"})
    status = respx_mock.get(f"{V}/c1").mock(
        side_effect=[
            httpx.Response(200, json={"status_code": "IN_PROGRESS", "id": "c1"}),
            httpx.Response(200, json={"status_code": "FINISHED", "id": "c1"}),
        ]
    )
    publish = respx_mock.post(f"{V}/1784/media_publish").respond(json={"id": "m9"})
    comment = respx_mock.post(f"{V}/m9/comments").respond(json={"id": "k1"})
    respx_mock.get(f"{V}/m9").respond(
        json={"permalink": "https://www.instagram.com/p/abc/", "id": "m9"}
    )
    result = conn(http).publish(
        PublishRequest(
            1, "Caption #x", media=(MediaItem(png, "image/png", "red"),), first_comment="#more"
        )
    )
    assert result.remote_id == "m9" and result.url == "https://www.instagram.com/p/abc/"
    assert form(media.calls.last.request) == {
        "image_url": "https://cdn.acme.example/m/photo.png",
        "alt_text": "red",
        "caption": "Caption #x",
    }
    assert status.call_count == 2
    assert form(publish.calls.last.request) == {"creation_id": "c1"}
    assert form(comment.calls.last.request) == {"message": "#more"}


def test_carousel_children_then_parent(
    respx_mock: respx.MockRouter, http: httpx.Client, png: Path
) -> None:
    ids = iter(["k1", "k2", "parent"])
    media = respx_mock.post(f"{V}/1784/media").mock(
        side_effect=lambda req: httpx.Response(200, json={"id": next(ids)})
    )
    respx_mock.get(url__regex=rf"{V}/(k1|k2|parent)\?.*").respond(json={"status_code": "FINISHED"})
    respx_mock.post(f"{V}/1784/media_publish").respond(json={"id": "m1"})
    respx_mock.get(f"{V}/m1").respond(json={"id": "m1"})
    items = (MediaItem(png, "image/png"), MediaItem(png, "image/png"))
    assert conn(http).publish(PublishRequest(2, "two", media=items)).remote_id == "m1"
    bodies = [form(c.request) for c in media.calls]
    assert bodies[0]["is_carousel_item"] == "true"
    assert bodies[2] == {"media_type": "CAROUSEL", "children": "k1,k2", "caption": "two"}


def test_container_error_is_rejected_and_nothing_published(
    respx_mock: respx.MockRouter, http: httpx.Client, png: Path
) -> None:
    respx_mock.post(f"{V}/1784/media").respond(json={"id": "c1"})
    respx_mock.get(f"{V}/c1").respond(json={"status_code": "ERROR"})
    publish = respx_mock.post(f"{V}/1784/media_publish").respond(json={"id": "x"})
    with pytest.raises(Rejected, match="ERROR"):
        conn(http).publish(PublishRequest(3, "x", media=(MediaItem(png, "image/png"),)))
    assert not publish.called


def test_still_in_progress_is_transient(
    respx_mock: respx.MockRouter, http: httpx.Client, png: Path
) -> None:
    respx_mock.post(f"{V}/1784/media").respond(json={"id": "c1"})
    respx_mock.get(f"{V}/c1").respond(json={"status_code": "IN_PROGRESS"})
    c = conn(http)
    c.poll_attempts = 3
    with pytest.raises(Transient, match="IN_PROGRESS"):
        c.publish(PublishRequest(4, "x", media=(MediaItem(png, "image/png"),)))


def test_needs_media_and_public_url(http: httpx.Client, png: Path) -> None:
    with pytest.raises(Rejected, match="image or a video"):
        conn(http).publish(PublishRequest(5, "text only"))
    c = InstagramConnector({"token": "t"}, {"ig_user_id": "1"}, http)
    with pytest.raises(Rejected, match="media_base_url"):
        c.publish(PublishRequest(6, "x", media=(MediaItem(png, "image/png"),)))


def test_rate_limit_expired_token_and_refresh(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    respx_mock.get(f"{V}/1784").mock(
        side_effect=[
            httpx.Response(
                400,
                json={"error": {"message": "Application request limit reached", "code": 4}},
                headers={"Retry-After": "60"},
            ),
            httpx.Response(
                400, json={"error": {"message": "Error validating access token", "code": 190}}
            ),
        ]
    )
    with pytest.raises(RateLimited) as info:
        conn(http).check()
    assert info.value.retry_after == 60
    with pytest.raises(AuthExpired):
        conn(http).check()
    assert conn(http).refresh() is None  # Facebook-login token: reconnect
    refresh = respx_mock.get(f"{IGV}/refresh_access_token").respond(
        json={"access_token": "new", "token_type": "bearer", "expires_in": 5183944}
    )
    creds = conn(http, host=IGV).refresh()
    assert creds is not None and creds["token"] == "new"
    assert refresh.calls.last.request.url.params["grant_type"] == "ig_refresh_token"


def test_publish_timeout_or_5xx_is_unknown_then_reconcile(
    respx_mock: respx.MockRouter, http: httpx.Client, png: Path
) -> None:
    respx_mock.post(f"{V}/1784/media").respond(json={"id": "c1"})
    respx_mock.get(f"{V}/c1").respond(json={"status_code": "FINISHED"})
    respx_mock.post(f"{V}/1784/media_publish").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(503, text="unavailable")]
    )
    request = PublishRequest(7, "Caption", media=(MediaItem(png, "image/png"),))
    for _ in range(2):
        with pytest.raises(OutcomeUnknown):
            conn(http).publish(request)
    respx_mock.get(f"{V}/1784/media").respond(
        json={
            "data": [
                {
                    "id": "m5",
                    "caption": "caption",
                    "timestamp": "2026-11-21T10:00:00+0000",
                    "permalink": "https://www.instagram.com/p/x/",
                }
            ]
        }
    )
    found = conn(http).reconcile(request)
    assert found is not None and found.remote_id == "m5"


def test_duplicate_is_rejected(respx_mock: respx.MockRouter, http: httpx.Client, png: Path) -> None:
    respx_mock.post(f"{V}/1784/media").respond(
        400, json={"error": {"message": "Duplicate post", "code": 506}}
    )
    with pytest.raises(Rejected, match="duplicate"):
        conn(http).publish(PublishRequest(8, "x", media=(MediaItem(png, "image/png"),)))
