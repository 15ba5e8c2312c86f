"""Tumblr connector at the HTTP level (respx): NPF JSON and multipart media, errors, refresh."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from sociable.publish.connectors.base import (
    AuthExpired,
    MediaItem,
    OutcomeUnknown,
    PublishRequest,
    RateLimited,
    Rejected,
    Transient,
)
from sociable.publish.connectors.tumblr import API, TumblrConnector, npf_text, text_blocks

POSTS = f"{API}/v2/blog/acme.tumblr.com/posts"


def conn(http: httpx.Client, **creds: str) -> TumblrConnector:
    return TumblrConnector(
        {"token": "tok", **creds}, {"blog": "acme.tumblr.com", "tags": ["news", "launch"]}, http
    )


def created(post_id: str = "7311") -> httpx.Response:
    return httpx.Response(
        201,
        json={
            "meta": {"status": 201, "msg": "Created"},
            "response": {"id": int(post_id), "id_string": post_id, "state": "published"},
        },
    )


def test_text_and_link_post(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    route = respx_mock.post(POSTS).mock(return_value=created())
    result = conn(http).publish(
        PublishRequest(1, "Hello\n\nSecond para", link="https://acme.example")
    )
    assert result.remote_id == "7311" and result.url == "https://acme.tumblr.com/post/7311"
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "content": [
            {"type": "text", "text": "Hello"},
            {"type": "text", "text": "Second para"},
            {"type": "link", "url": "https://acme.example"},
        ],
        "state": "published",
        "tags": "news,launch",
    }


def test_image_goes_as_multipart_with_identifier(
    respx_mock: respx.MockRouter, http: httpx.Client, png: Path
) -> None:
    route = respx_mock.post(POSTS).mock(return_value=created("9"))
    conn(http).publish(PublishRequest(2, "pic", media=(MediaItem(png, "image/png", "red square"),)))
    raw = route.calls.last.request.content
    assert b'name="media0"' in raw and png.read_bytes() in raw
    start = raw.index(b'name="json"')
    part = raw[start:].split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]
    body = json.loads(part)
    assert body["content"][1] == {
        "type": "image",
        "media": [{"type": "image/png", "identifier": "media0"}],
        "alt_text": "red square",
    }


def test_errors(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(POSTS).mock(
        side_effect=[
            httpx.Response(
                429,
                json={"meta": {"status": 429, "msg": "Limit Exceeded"}, "response": []},
                headers={"Retry-After": "3600"},
            ),
            httpx.Response(
                401,
                json={
                    "meta": {"status": 401, "msg": "Unauthorized"},
                    "errors": [
                        {"title": "Unauthorized", "code": 1016, "detail": "Unable to authorize"}
                    ],
                },
            ),
            httpx.Response(
                400,
                json={
                    "meta": {"status": 400, "msg": "Bad Request"},
                    "errors": [
                        {"title": "Bad Request", "code": 8001, "detail": "Posting is disabled"}
                    ],
                },
            ),
            httpx.Response(503, text="down"),
            httpx.ReadTimeout("slow"),
            httpx.ConnectError("nope"),
        ]
    )
    with pytest.raises(RateLimited) as info:
        conn(http).publish(PublishRequest(3, "x"))
    assert info.value.retry_after == 3600
    with pytest.raises(AuthExpired):
        conn(http).publish(PublishRequest(3, "x"))
    with pytest.raises(Rejected, match="8001"):
        conn(http).publish(PublishRequest(3, "x"))
    for _ in range(2):
        with pytest.raises(OutcomeUnknown):
            conn(http).publish(PublishRequest(3, "x"))
    with pytest.raises(Transient):
        conn(http).publish(PublishRequest(3, "x"))


def test_refresh_and_check(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    token = respx_mock.post(f"{API}/v2/oauth2/token").respond(
        json={
            "access_token": "new",
            "expires_in": 2520,
            "token_type": "bearer",
            "refresh_token": "r2",
        }
    )
    creds = conn(http, refresh_token="r1", client_id="cid", client_secret="s").refresh()
    assert creds is not None and creds["token"] == "new" and creds["refresh_token"] == "r2"
    assert b"grant_type=refresh_token" in token.calls.last.request.content
    assert conn(http).refresh() is None
    respx_mock.get(f"{API}/v2/user/info").respond(
        json={
            "meta": {"status": 200, "msg": "OK"},
            "response": {"user": {"name": "acme", "blogs": []}},
        }
    )
    assert conn(http).check() == "acme"


def test_reconcile_reads_npf(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(POSTS).respond(
        json={
            "meta": {"status": 200},
            "response": {
                "posts": [
                    {
                        "id_string": "55",
                        "timestamp": 1763700000,
                        "post_url": "https://acme.tumblr.com/post/55",
                        "content": [
                            {"type": "text", "text": "Hello"},
                            {"type": "text", "text": "Second para"},
                        ],
                    }
                ]
            },
        }
    )
    found = conn(http).reconcile(PublishRequest(4, "Hello\n\nSecond para"))
    assert found is not None and found.remote_id == "55"
    assert conn(http).reconcile(PublishRequest(5, "Nope")) is None


@given(st.text(max_size=9000))
def test_text_blocks_keep_every_paragraph_within_limits(text: str) -> None:
    blocks = text_blocks(text)
    assert all(len(b["text"]) <= 4096 for b in blocks)
    kept = [p for p in text.split("\n") if p.strip()]
    assert "".join(b["text"] for b in blocks) == "".join(kept)
    assert npf_text(blocks).replace("\n", "") == "".join(kept).replace("\n", "")
