"""LinkedIn Posts API connector at the HTTP level (respx): person and organization authors."""

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
from sociable.publish.connectors.linkedin import (
    API,
    TOKEN_URL,
    LinkedInConnector,
    escape_little,
    unescape_little,
)

PERSON = "urn:li:person:abc"
ORG = "urn:li:organization:123"


def conn(http: httpx.Client, author: str = PERSON, **creds: str) -> LinkedInConnector:
    return LinkedInConnector({"token": "tok", **creds}, {"author": author}, http)


def test_org_post_with_images_and_first_comment(
    respx_mock: respx.MockRouter, http: httpx.Client, png: Path
) -> None:
    inits = iter(["urn:li:image:1", "urn:li:image:2"])
    respx_mock.post(f"{API}/rest/images", params={"action": "initializeUpload"}).mock(
        side_effect=lambda req: httpx.Response(
            200,
            json={"value": {"uploadUrl": "https://upload.example/u", "image": next(inits)}},
        )
    )
    put = respx_mock.put("https://upload.example/u").respond(201)
    posts = respx_mock.post(f"{API}/rest/posts").respond(
        201, headers={"x-restli-id": "urn:li:share:777"}
    )
    comment = respx_mock.post(f"{API}/rest/socialActions/urn%3Ali%3Ashare%3A777/comments").respond(
        201, json={"id": "c1"}
    )
    media = (MediaItem(png, "image/png", "one"), MediaItem(png, "image/png", "two"))
    result = conn(http, ORG).publish(
        PublishRequest(1, "Hello #launch (beta)", media=media, first_comment="see @us")
    )
    assert result.remote_id == "urn:li:share:777"
    assert result.extra == {"first_comment": True}
    body = json.loads(posts.calls.last.request.content)
    assert body["author"] == ORG
    assert body["commentary"] == r"Hello \#launch \(beta\)"
    assert body["content"] == {
        "multiImage": {
            "images": [
                {"id": "urn:li:image:1", "altText": "one"},
                {"id": "urn:li:image:2", "altText": "two"},
            ]
        }
    }
    assert body["lifecycleState"] == "PUBLISHED" and body["visibility"] == "PUBLIC"
    headers = posts.calls.last.request.headers
    assert headers["x-restli-protocol-version"] == "2.0.0"
    assert headers["linkedin-version"].isdigit()
    assert put.calls.last.request.content == png.read_bytes()
    assert json.loads(comment.calls.last.request.content)["message"]["text"] == r"see \@us"


def test_check_person_and_org(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{API}/v2/userinfo").respond(json={"sub": "abc", "name": "Ann Acme"})
    respx_mock.get(f"{API}/rest/organizations/123").respond(
        json={"id": 123, "localizedName": "Acme", "vanityName": "acme"}
    )
    assert conn(http).check() == "Ann Acme"
    assert conn(http, ORG).check() == "acme"
    with pytest.raises(Rejected, match="belongs to"):
        conn(http, "urn:li:person:other").check()


def test_bad_author_setting_is_rejected(http: httpx.Client) -> None:
    with pytest.raises(Rejected, match="urn:li:person"):
        conn(http, "acme").publish(PublishRequest(1, "x"))


def test_expired_token_and_refresh(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{API}/rest/posts").respond(
        401,
        json={
            "status": 401,
            "serviceErrorCode": 65601,
            "code": "REVOKED_ACCESS_TOKEN",
            "message": "The token used in the request has been revoked by the user",
        },
    )
    token = respx_mock.post(TOKEN_URL).respond(
        json={
            "access_token": "new",
            "expires_in": 5184000,
            "refresh_token": "r2",
            "refresh_token_expires_in": 31536000,
        }
    )
    c = conn(http, refresh_token="r1", client_id="id", client_secret="sec")
    with pytest.raises(AuthExpired, match="revoked"):
        c.publish(PublishRequest(2, "x"))
    creds = c.refresh()
    assert creds is not None and creds["token"] == "new" and creds["refresh_token"] == "r2"
    assert b"grant_type=refresh_token" in token.calls.last.request.content
    assert conn(http).refresh() is None  # no refresh token: the person must reconnect


def test_rate_limit(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{API}/rest/posts").respond(
        429,
        json={"status": 429, "message": "Resource level throttle limit"},
        headers={"Retry-After": "3600"},
    )
    with pytest.raises(RateLimited) as info:
        conn(http).publish(PublishRequest(3, "x"))
    assert info.value.retry_after == 3600


def test_duplicate_is_rejected(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{API}/rest/posts").respond(
        422, json={"status": 422, "message": "Content is a duplicate of urn:li:share:1"}
    )
    with pytest.raises(Rejected, match="duplicate"):
        conn(http).publish(PublishRequest(4, "x"))


def test_5xx_and_timeout_are_unknown_then_reconciled(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    route = respx_mock.post(f"{API}/rest/posts")
    route.side_effect = [httpx.Response(504, text="gateway"), httpx.ReadTimeout("slow")]
    request = PublishRequest(5, "Hello (world)")
    for _ in range(2):
        with pytest.raises(OutcomeUnknown):
            conn(http).publish(request)
    listing = respx_mock.get(f"{API}/rest/posts").respond(
        json={
            "elements": [
                {
                    "id": "urn:li:share:9",
                    "commentary": r"Hello \(world\)",
                    "createdAt": 1763700000000,
                }
            ]
        }
    )
    found = conn(http).reconcile(request)
    assert found is not None and found.remote_id == "urn:li:share:9"
    assert listing.calls.last.request.url.params["q"] == "author"
    assert conn(http).reconcile(PublishRequest(6, "something else")) is None


def test_connect_error_is_transient(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{API}/rest/posts").mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(Transient):
        conn(http).publish(PublishRequest(7, "x"))


def test_failed_first_comment_keeps_the_post(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    respx_mock.post(f"{API}/rest/posts").respond(201, headers={"x-restli-id": "urn:li:share:8"})
    respx_mock.post(url__regex=r".*/comments$").respond(403, json={"message": "no permission"})
    result = conn(http).publish(PublishRequest(8, "x", first_comment="c"))
    assert result.remote_id == "urn:li:share:8"
    assert "no permission" in result.extra["follow_up_errors"][0]


@given(st.text(max_size=50))
def test_little_escaping_round_trips(text: str) -> None:
    assert unescape_little(escape_little(text)) == text


def test_video_initialize_parts_finalize(
    respx_mock: respx.MockRouter, http: httpx.Client, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(bytes(range(200)) * 10)  # 2,000 bytes in two parts
    init = respx_mock.post(f"{API}/rest/videos", params={"action": "initializeUpload"}).respond(
        json={
            "value": {
                "video": "urn:li:video:V1",
                "uploadToken": "tok-1",
                "uploadInstructions": [
                    {"uploadUrl": "https://up.example/p1", "firstByte": 0, "lastByte": 1199},
                    {"uploadUrl": "https://up.example/p2", "firstByte": 1200, "lastByte": 1999},
                ],
            }
        }
    )
    p1 = respx_mock.put("https://up.example/p1").respond(200, headers={"etag": '"e1"'})
    p2 = respx_mock.put("https://up.example/p2").respond(200, headers={"etag": '"e2"'})
    final = respx_mock.post(f"{API}/rest/videos", params={"action": "finalizeUpload"}).respond(200)
    posts = respx_mock.post(f"{API}/rest/posts").respond(
        201, headers={"x-restli-id": "urn:li:share:v"}
    )
    result = conn(http, ORG).publish(
        PublishRequest(9, "Watch", media=(MediaItem(clip, "video/mp4"),))
    )
    assert result.remote_id == "urn:li:share:v"
    request = json.loads(init.calls.last.request.content)["initializeUploadRequest"]
    assert request["owner"] == ORG and request["fileSizeBytes"] == 2000
    assert p1.calls.last.request.content + p2.calls.last.request.content == clip.read_bytes()
    assert json.loads(final.calls.last.request.content)["finalizeUploadRequest"] == {
        "video": "urn:li:video:V1",
        "uploadToken": "tok-1",
        "uploadedPartIds": ["e1", "e2"],
    }
    assert json.loads(posts.calls.last.request.content)["content"] == {
        "media": {"id": "urn:li:video:V1"}
    }
