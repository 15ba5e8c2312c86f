"""Threads connector at the HTTP level (respx): containers, publish, replies as a thread."""

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
from sociable.publish.connectors.threads import API, ThreadsConnector

V = f"{API}/v1.0"


def conn(http: httpx.Client, **settings: str) -> ThreadsConnector:
    c = ThreadsConnector({"token": "tok"}, {"user_id": "77", **settings}, http)
    c.sleep = lambda _s: None
    return c


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


@pytest.fixture
def threads_api(respx_mock: respx.MockRouter) -> respx.MockRouter:
    containers = iter(f"c{i}" for i in range(100))
    posts = iter(f"t{i}" for i in range(100))
    respx_mock.post(f"{V}/77/threads").mock(
        side_effect=lambda req: httpx.Response(200, json={"id": next(containers)})
    )
    respx_mock.get(url__regex=rf"{V}/c\d+\?.*").respond(json={"status": "FINISHED"})
    respx_mock.post(f"{V}/77/threads_publish").mock(
        side_effect=lambda req: httpx.Response(200, json={"id": next(posts)})
    )
    return respx_mock


def test_text_thread_and_first_comment(threads_api: respx.MockRouter, http: httpx.Client) -> None:
    result = conn(http).publish(
        PublishRequest(
            1, "Hello", thread=("part 2", "part 3"), first_comment="c", link="https://a.example"
        )
    )
    assert result.remote_id == "t0"
    assert result.extra == {"thread_ids": ["t1", "t2"], "first_comment_id": "t3"}
    bodies = [form(c.request) for c in threads_api.routes[0].calls]
    assert bodies[0] == {"media_type": "TEXT", "text": "Hello\n\nhttps://a.example"}
    assert bodies[1] == {"media_type": "TEXT", "text": "part 2", "reply_to_id": "t0"}
    assert bodies[2]["reply_to_id"] == "t1"
    assert bodies[3] == {"media_type": "TEXT", "text": "c", "reply_to_id": "t0"}


def test_image_and_carousel(threads_api: respx.MockRouter, http: httpx.Client, png: Path) -> None:
    c = conn(http, media_base_url="https://cdn.example/m")
    c.publish(PublishRequest(2, "pic", media=(MediaItem(png, "image/png"),)))
    c.publish(
        PublishRequest(3, "pics", media=(MediaItem(png, "image/png"), MediaItem(png, "image/png")))
    )
    bodies = [form(call.request) for call in threads_api.routes[0].calls]
    assert bodies[0] == {
        "media_type": "IMAGE",
        "image_url": "https://cdn.example/m/photo.png",
        "text": "pic",
    }
    assert bodies[1]["is_carousel_item"] == "true"
    assert bodies[3] == {"media_type": "CAROUSEL", "children": "c1,c2", "text": "pics"}


def test_failed_thread_part_keeps_the_post(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    respx_mock.post(f"{V}/77/threads").mock(
        side_effect=[
            httpx.Response(200, json={"id": "c1"}),
            httpx.Response(400, json={"error": {"message": "Invalid parameter", "code": 100}}),
        ]
    )
    respx_mock.get(f"{V}/c1").respond(json={"status": "FINISHED"})
    respx_mock.post(f"{V}/77/threads_publish").respond(json={"id": "t1"})
    result = conn(http).publish(PublishRequest(4, "Hello", thread=("bad",)))
    assert result.remote_id == "t1"
    assert "Invalid parameter" in result.extra["follow_up_errors"][0]


def test_errors(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    route = respx_mock.post(f"{V}/77/threads")
    route.side_effect = [
        httpx.Response(
            400, json={"error": {"message": "rate", "code": 613}}, headers={"Retry-After": "30"}
        ),
        httpx.Response(401, json={"error": {"message": "Session has expired", "code": 190}}),
        httpx.Response(
            400,
            json={
                "error": {
                    "message": "The link limit was exceeded",
                    "code": 100,
                    "error_subcode": 4279009,
                }
            },
        ),
        httpx.ConnectError("down"),
    ]
    with pytest.raises(RateLimited) as info:
        conn(http).publish(PublishRequest(5, "x"))
    assert info.value.retry_after == 30
    with pytest.raises(AuthExpired):
        conn(http).publish(PublishRequest(5, "x"))
    with pytest.raises(Rejected, match="link limit"):
        conn(http).publish(PublishRequest(5, "x"))
    with pytest.raises(Transient):
        conn(http).publish(PublishRequest(5, "x"))


def test_refresh(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    route = respx_mock.get(f"{API}/refresh_access_token").respond(
        json={"access_token": "new", "token_type": "bearer", "expires_in": 5183944}
    )
    creds = conn(http).refresh()
    assert creds is not None and creds["token"] == "new"
    assert route.calls.last.request.url.params["grant_type"] == "th_refresh_token"


def test_publish_timeout_unknown_then_reconcile(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    respx_mock.post(f"{V}/77/threads").respond(json={"id": "c1"})
    respx_mock.get(f"{V}/c1").respond(json={"status": "FINISHED"})
    respx_mock.post(f"{V}/77/threads_publish").mock(
        side_effect=[
            httpx.ReadTimeout("slow"),
            httpx.Response(500, json={"error": {"message": "x", "code": 1}}),
        ]
    )
    request = PublishRequest(6, "Once")
    for _ in range(2):
        with pytest.raises(OutcomeUnknown):
            conn(http).publish(request)
    respx_mock.get(f"{V}/77/threads").respond(
        json={"data": [{"id": "t9", "text": "Once", "timestamp": "2026-11-21T10:00:00+0000"}]}
    )
    found = conn(http).reconcile(request)
    assert found is not None and found.remote_id == "t9"


def test_check_learns_the_user_id(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{V}/me").respond(json={"id": "88", "username": "acme"})
    c = ThreadsConnector({"token": "tok"}, {}, http)
    assert c.check() == "@acme" and c.settings["user_id"] == "88"
