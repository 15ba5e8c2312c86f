"""X API v2 connector at the HTTP level (respx) with the documented shapes and failures."""

from __future__ import annotations

import json
import time
from pathlib import Path

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
from sociable.publish.connectors.x import API, XConnector


def conn(http: httpx.Client, **creds: str) -> XConnector:
    return XConnector({"token": "tok", **creds}, {"user_id": "42"}, http)


def problem(status: int, title: str, detail: str) -> httpx.Response:
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status}
    return httpx.Response(status, json=body)


def test_publish_with_media_alt_thread_and_first_comment(
    respx_mock: respx.MockRouter, http: httpx.Client, png: Path
) -> None:
    upload = respx_mock.post(f"{API}/2/media/upload").respond(
        json={"data": {"id": "m1", "media_key": "3_m1"}}
    )
    meta = respx_mock.post(f"{API}/2/media/metadata").respond(
        json={"data": {"associated_metadata": True}}
    )
    ids = iter(["100", "101", "102"])
    tweets = respx_mock.post(f"{API}/2/tweets").mock(
        side_effect=lambda req: httpx.Response(
            201, json={"data": {"id": next(ids), "text": json.loads(req.content)["text"]}}
        )
    )
    result = conn(http).publish(
        PublishRequest(
            1,
            "hello",
            media=(MediaItem(png, "image/png", "red"),),
            thread=("part 2",),
            first_comment="more",
            link="https://acme.example",
        )
    )
    assert result.remote_id == "100" and result.url == "https://x.com/i/web/status/100"
    assert result.extra == {"thread_ids": ["101"], "first_comment_id": "102"}
    bodies = [json.loads(c.request.content) for c in tweets.calls]
    assert bodies[0] == {"text": "hello https://acme.example", "media": {"media_ids": ["m1"]}}
    assert bodies[1] == {"text": "part 2", "reply": {"in_reply_to_tweet_id": "100"}}
    assert bodies[2] == {"text": "more", "reply": {"in_reply_to_tweet_id": "100"}}
    assert b'name="media"' in upload.calls.last.request.content
    assert json.loads(meta.calls.last.request.content)["metadata"] == {"alt_text": {"text": "red"}}
    assert tweets.calls.last.request.headers["authorization"] == "Bearer tok"


def test_rate_limit_reset_is_an_epoch(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    reset = int(time.time()) + 600
    respx_mock.post(f"{API}/2/tweets").respond(
        429,
        json={"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
        headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
    )
    with pytest.raises(RateLimited) as info:
        conn(http).publish(PublishRequest(2, "x"))
    assert info.value.retry_after is not None and 590 <= info.value.retry_after <= 600


def test_expired_token_then_refresh(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{API}/2/users/me").mock(
        side_effect=[
            problem(401, "Unauthorized", "Unauthorized"),
            httpx.Response(200, json={"data": {"id": "42", "name": "Acme", "username": "acme"}}),
        ]
    )
    token = respx_mock.post(f"{API}/2/oauth2/token").respond(
        json={
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": "new",
            "refresh_token": "r2",
        }
    )
    c = conn(http, refresh_token="r1", client_id="cid")
    with pytest.raises(AuthExpired):
        c.check()
    creds = c.refresh()
    assert creds is not None and creds["token"] == "new" and creds["refresh_token"] == "r2"
    assert abs(creds["expires_at"] - (time.time() + 7200)) < 60
    form = dict(x.split("=") for x in token.calls.last.request.content.decode().split("&"))
    assert form == {"grant_type": "refresh_token", "refresh_token": "r1", "client_id": "cid"}
    assert c.check() == "@acme"


def test_refused_refresh_says_reconnect(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{API}/2/oauth2/token").respond(
        400,
        json={
            "error": "invalid_request",
            "error_description": "Value passed for the token was invalid.",
        },
    )
    with pytest.raises(AuthExpired, match="reconnect"):
        conn(http, refresh_token="r1", client_id="cid").refresh()


def test_no_refresh_token_means_no_refresh(http: httpx.Client) -> None:
    assert conn(http).refresh() is None


def test_duplicate_is_rejected(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{API}/2/tweets").mock(
        return_value=problem(
            403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
        )
    )
    with pytest.raises(Rejected, match="duplicate"):
        conn(http).publish(PublishRequest(3, "same again"))


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_unknown_on_write(
    respx_mock: respx.MockRouter, http: httpx.Client, status: int
) -> None:
    respx_mock.post(f"{API}/2/tweets").respond(status, text="oops")
    with pytest.raises(OutcomeUnknown):
        conn(http).publish(PublishRequest(4, "x"))


def test_timeout_is_unknown_and_reconcile_finds_it(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    respx_mock.post(f"{API}/2/tweets").mock(side_effect=httpx.ReadTimeout("slow"))
    request = PublishRequest(5, "made it anyway", link="https://acme.example/p")
    with pytest.raises(OutcomeUnknown):
        conn(http).publish(request)
    listing = respx_mock.get(f"{API}/2/users/42/tweets").respond(
        json={
            "data": [
                {"id": "7", "text": "other", "created_at": "2026-11-21T10:00:00.000Z"},
                {
                    "id": "9",
                    "text": "Made it  anyway https://acme.example/p",
                    "created_at": "2026-11-21T10:01:00.000Z",
                },
            ]
        }
    )
    found = conn(http).reconcile(request)
    assert found is not None and found.remote_id == "9"
    assert listing.calls.last.request.url.params["tweet.fields"] == "created_at"
    assert conn(http).reconcile(PublishRequest(6, "never sent")) is None


def test_connect_error_is_transient(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{API}/2/tweets").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(Transient):
        conn(http).publish(PublishRequest(7, "x"))


def test_video_uses_the_chunked_upload_and_waits_for_processing(
    respx_mock: respx.MockRouter, http: httpx.Client, tmp_path: Path
) -> None:
    clip = tmp_path / "a.mp4"
    clip.write_bytes(bytes(range(256)) * 40)  # 10,240 bytes -> 3 chunks of 4,096
    init = respx_mock.post(f"{API}/2/media/upload/initialize").respond(
        json={"data": {"id": "v1", "media_key": "13_v1", "expires_after_secs": 86400}}
    )
    append = respx_mock.post(f"{API}/2/media/upload/v1/append").respond(204)
    respx_mock.post(f"{API}/2/media/upload/v1/finalize").respond(
        json={"data": {"id": "v1", "processing_info": {"state": "pending", "check_after_secs": 2}}}
    )
    status = respx_mock.get(f"{API}/2/media/upload").mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "data": {
                        "id": "v1",
                        "processing_info": {"state": "in_progress", "check_after_secs": 3},
                    }
                },
            ),
            httpx.Response(
                200, json={"data": {"id": "v1", "processing_info": {"state": "succeeded"}}}
            ),
        ]
    )
    tweets = respx_mock.post(f"{API}/2/tweets").respond(
        201, json={"data": {"id": "5", "text": "v"}}
    )
    c = conn(http)
    c.chunk_bytes = 4096
    waits: list[float] = []
    c.sleep = waits.append
    assert c.publish(PublishRequest(8, "v", media=(MediaItem(clip, "video/mp4"),))).remote_id == "5"
    assert json.loads(init.calls.last.request.content) == {
        "media_type": "video/mp4",
        "total_bytes": 10240,
        "media_category": "tweet_video",
    }
    sent = b"".join(
        c.request.content.split(b"\r\n\r\n", 2)[2].rsplit(b"\r\n--", 1)[0] for c in append.calls
    )
    assert append.call_count == 3 and sent == clip.read_bytes()
    assert waits == [2.0, 3.0]
    assert status.calls.last.request.url.params["command"] == "STATUS"
    assert json.loads(tweets.calls.last.request.content)["media"] == {"media_ids": ["v1"]}


def test_failed_video_processing_is_rejected(
    respx_mock: respx.MockRouter, http: httpx.Client, tmp_path: Path
) -> None:
    clip = tmp_path / "a.mp4"
    clip.write_bytes(b"\0" * 10)
    respx_mock.post(f"{API}/2/media/upload/initialize").respond(json={"data": {"id": "v2"}})
    respx_mock.post(f"{API}/2/media/upload/v2/append").respond(204)
    respx_mock.post(f"{API}/2/media/upload/v2/finalize").respond(
        json={
            "data": {
                "id": "v2",
                "processing_info": {"state": "failed", "error": {"message": "InvalidMedia"}},
            }
        }
    )
    tweets = respx_mock.post(f"{API}/2/tweets")
    with pytest.raises(Rejected, match="InvalidMedia"):
        conn(http).publish(PublishRequest(9, "x", media=(MediaItem(clip, "video/mp4"),)))
    assert not tweets.called


def test_failed_thread_part_keeps_the_post(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    respx_mock.post(f"{API}/2/tweets").mock(
        side_effect=[
            httpx.Response(201, json={"data": {"id": "1", "text": "a"}}),
            problem(
                403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
            ),
        ]
    )
    result = conn(http).publish(PublishRequest(10, "a", thread=("b", "c")))
    assert result.remote_id == "1" and result.extra["thread_ids"] == []
    assert "duplicate" in result.extra["follow_up_errors"][0]
