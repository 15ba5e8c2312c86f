"""Reddit connector at the HTTP level (respx): submit, comment, json.errors, OAuth2 refresh."""

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
from sociable.publish.connectors.reddit import API, TOKEN_URL, RedditConnector, split_title


def conn(http: httpx.Client, **creds: str) -> RedditConnector:
    return RedditConnector(
        {"token": "tok", **creds}, {"subreddit": "r/acme", "username": "acmebot"}, http
    )


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def submitted(name: str = "t3_abc") -> dict[str, object]:
    return {
        "json": {
            "errors": [],
            "data": {
                "url": f"https://www.reddit.com/r/acme/comments/{name[3:]}/x/",
                "id": name[3:],
                "name": name,
            },
        }
    }


def test_self_post_title_from_first_line_and_comment(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    submit = respx_mock.post(f"{API}/api/submit").respond(json=submitted())
    comment = respx_mock.post(f"{API}/api/comment").respond(
        json={
            "json": {"errors": [], "data": {"things": [{"kind": "t1", "data": {"name": "t1_c"}}]}}
        }
    )
    result = conn(http).publish(
        PublishRequest(1, "Big news\n\nWe shipped it.", first_comment="AMA")
    )
    assert result.remote_id == "t3_abc" and result.extra == {"first_comment_id": "t1_c"}
    assert form(submit.calls.last.request) == {
        "api_type": "json",
        "sr": "acme",
        "title": "Big news",
        "kind": "self",
        "text": "We shipped it.",
    }
    assert form(comment.calls.last.request)["thing_id"] == "t3_abc"
    ua = submit.calls.last.request.headers["user-agent"]
    assert ua.startswith("server:sociable:") and ua.endswith("(by /u/acmebot)")


def test_link_post(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    submit = respx_mock.post(f"{API}/api/submit").respond(json=submitted("t3_l"))
    conn(http).publish(PublishRequest(2, "Read this", link="https://acme.example/a"))
    body = form(submit.calls.last.request)
    assert body["kind"] == "link" and body["url"] == "https://acme.example/a"


def test_ratelimit_in_json_errors(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{API}/api/submit").respond(
        json={
            "json": {
                "errors": [
                    [
                        "RATELIMIT",
                        "Looks like you've been doing that a lot. "
                        "Take a break for 9 minutes before trying again.",
                        "ratelimit",
                    ]
                ]
            }
        }
    )
    with pytest.raises(RateLimited) as info:
        conn(http).publish(PublishRequest(3, "x"))
    assert info.value.retry_after == 540


def test_http_429_uses_reset_seconds(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{API}/api/submit").respond(
        429,
        text="Too Many Requests",
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "42"},
    )
    with pytest.raises(RateLimited) as info:
        conn(http).publish(PublishRequest(4, "x"))
    assert info.value.retry_after == 42


def test_duplicate_link(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{API}/api/submit").respond(
        json={"json": {"errors": [["ALREADY_SUB", "that link has already been submitted", "url"]]}}
    )
    with pytest.raises(Rejected, match="duplicate"):
        conn(http).publish(PublishRequest(5, "x", link="https://acme.example"))


def test_expired_token_and_refresh(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{API}/api/v1/me").mock(
        side_effect=[
            httpx.Response(401, json={"message": "Unauthorized", "error": 401}),
            httpx.Response(200, json={"name": "acmebot"}),
        ]
    )
    token = respx_mock.post(TOKEN_URL).respond(
        json={"access_token": "new", "token_type": "bearer", "expires_in": 86400, "scope": "submit"}
    )
    c = conn(http, refresh_token="r1", client_id="cid", client_secret="sec")
    with pytest.raises(AuthExpired):
        c.check()
    creds = c.refresh()
    assert creds is not None and creds["token"] == "new" and creds["refresh_token"] == "r1"
    assert token.calls.last.request.headers["authorization"].startswith("Basic ")
    assert form(token.calls.last.request) == {"grant_type": "refresh_token", "refresh_token": "r1"}
    assert c.check() == "u/acmebot"
    respx_mock.post(TOKEN_URL).respond(json={"error": "invalid_grant"})
    with pytest.raises(AuthExpired):
        conn(http, refresh_token="bad", client_id="cid").refresh()


def test_5xx_timeout_unknown_then_reconcile(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    respx_mock.post(f"{API}/api/submit").mock(
        side_effect=[httpx.Response(502, text="bad gateway"), httpx.ReadTimeout("slow")]
    )
    request = PublishRequest(6, "Big news\nbody text")
    for _ in range(2):
        with pytest.raises(OutcomeUnknown):
            conn(http).publish(request)
    respx_mock.get(f"{API}/user/acmebot/submitted").respond(
        json={
            "kind": "Listing",
            "data": {
                "children": [
                    {
                        "kind": "t3",
                        "data": {
                            "name": "t3_z",
                            "title": "Big news",
                            "selftext": "body text",
                            "created_utc": 1763700000.0,
                            "permalink": "/r/acme/comments/z/big_news/",
                        },
                    }
                ]
            },
        }
    )
    found = conn(http).reconcile(request)
    assert found is not None and found.remote_id == "t3_z"
    assert conn(http).reconcile(PublishRequest(7, "Other\nthing")) is None


def test_refusals_before_any_request(
    http: httpx.Client, png: Path, respx_mock: respx.MockRouter
) -> None:
    with pytest.raises(Rejected, match="image"):
        conn(http).publish(PublishRequest(8, "x", media=(MediaItem(png, "image/png"),)))
    with pytest.raises(Rejected, match="subreddit"):
        RedditConnector({"token": "t"}, {}, http).publish(PublishRequest(9, "x"))
    assert not respx_mock.calls
    respx_mock.post(f"{API}/api/submit").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(Transient):
        conn(http).publish(PublishRequest(10, "x"))


def test_split_title() -> None:
    assert split_title("T\n\nbody\nmore") == ("T", "body\nmore")
    title, body = split_title("x" * 400)
    assert len(title) == 300 and body == "x" * 400
