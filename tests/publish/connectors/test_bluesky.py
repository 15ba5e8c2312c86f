"""Bluesky connector at the HTTP level (respx) against the documented XRPC shapes.

createSession, refreshSession, uploadBlob, createRecord with our own rkey (so a retry fails
instead of duplicating), getRecord and listRecords, and the ``{error, message}`` failures.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
from sociable.publish.connectors.bluesky import (
    BlueskyConnector,
    encode_tid,
    facets,
    new_tid,
    record_key,
)

PDS = "https://pds.example"
DID = "did:plc:abc123"
X = f"{PDS}/xrpc"


def session(access: str = "acc1", refresh: str = "ref1") -> dict[str, str]:
    return {"accessJwt": access, "refreshJwt": refresh, "did": DID, "handle": "acme.test"}


def conn(http: httpx.Client, **creds: str) -> BlueskyConnector:
    base = {"handle": "acme.test", "app_password": "app-pass-word"}
    return BlueskyConnector({**base, **creds}, {"service": PDS}, http)


class FakeRepo:
    """Just enough of a PDS repo: records by rkey; createRecord refuses a taken rkey."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, object]] = {}

    def create(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer acc1"
        body = json.loads(request.content)
        assert body["repo"] == DID and body["collection"] == "app.bsky.feed.post"
        rkey = body["rkey"]
        if rkey in self.records:
            # what the reference PDS answers for a taken rkey (seen on @atproto/dev-env)
            return httpx.Response(
                500, json={"error": "InternalServerError", "message": "Internal Server Error"}
            )
        self.records[rkey] = body["record"]
        return httpx.Response(
            200, json={"uri": f"at://{DID}/app.bsky.feed.post/{rkey}", "cid": "bafy" + rkey}
        )

    def get(self, request: httpx.Request) -> httpx.Response:
        rkey = request.url.params["rkey"]
        if rkey not in self.records:
            return httpx.Response(400, json={"error": "RecordNotFound", "message": "not found"})
        return httpx.Response(
            200,
            json={
                "uri": f"at://{DID}/app.bsky.feed.post/{rkey}",
                "cid": "bafy" + rkey,
                "value": self.records[rkey],
            },
        )

    def list(self, request: httpx.Request) -> httpx.Response:
        rows = [
            {"uri": f"at://{DID}/app.bsky.feed.post/{k}", "cid": "c", "value": v}
            for k, v in self.records.items()
        ]
        return httpx.Response(200, json={"records": rows})


@pytest.fixture
def repo(respx_mock: respx.MockRouter) -> FakeRepo:
    fake = FakeRepo()
    respx_mock.post(f"{X}/com.atproto.server.createSession").respond(json=session())
    respx_mock.post(f"{X}/com.atproto.repo.createRecord").mock(side_effect=fake.create)
    respx_mock.get(f"{X}/com.atproto.repo.getRecord").mock(side_effect=fake.get)
    respx_mock.get(f"{X}/com.atproto.repo.listRecords").mock(side_effect=fake.list)
    return fake


def test_publish_logs_in_uploads_and_threads(
    repo: FakeRepo, respx_mock: respx.MockRouter, http: httpx.Client, png: Path
) -> None:
    blob = {"$type": "blob", "ref": {"$link": "bafkrei"}, "mimeType": "image/png", "size": 99}
    upload = respx_mock.post(f"{X}/com.atproto.repo.uploadBlob").respond(json={"blob": blob})
    c = conn(http)
    result = c.publish(
        PublishRequest(
            1,
            "Launch day #spring https://acme.example/p",
            media=(MediaItem(png, "image/png", "red square"),),
            thread=("second part",),
            first_comment="thanks!",
            idempotency_key="pub-1",
        )
    )
    assert result.remote_id == f"at://{DID}/app.bsky.feed.post/{record_key('pub-1')}"
    assert upload.calls.last.request.headers["content-type"] == "image/png"
    assert upload.calls.last.request.content == png.read_bytes()
    first = repo.records[record_key("pub-1")]
    assert first["embed"] == {
        "$type": "app.bsky.embed.images",
        "images": [{"alt": "red square", "image": blob}],
    }
    kinds = [f["features"][0]["$type"] for f in first["facets"]]  # type: ignore[index]
    assert sorted(kinds) == ["app.bsky.richtext.facet#link", "app.bsky.richtext.facet#tag"]
    reply = repo.records[record_key("pub-1", 1)]["reply"]
    assert reply["root"]["uri"] == result.remote_id  # type: ignore[index]
    assert len(repo.records) == 3
    assert c.credentials["access_jwt"] == "acc1"  # the session is kept for next time


def test_retry_after_a_lost_answer_does_not_duplicate(repo: FakeRepo, http: httpx.Client) -> None:
    request = PublishRequest(2, "exactly once", idempotency_key="pub-2")
    first = conn(http).publish(request)
    again = conn(http).publish(request)  # the PDS refuses the taken rkey; we find our record
    assert again.remote_id == first.remote_id
    assert [r["text"] for r in repo.records.values()] == ["exactly once"]


def test_reconcile_reads_our_record_key(repo: FakeRepo, http: httpx.Client) -> None:
    request = PublishRequest(3, "maybe", idempotency_key="pub-3")
    c = conn(http)
    assert c.reconcile(request) is None
    c.publish(request)
    found = c.reconcile(request)
    assert found is not None and found.remote_id.endswith(record_key("pub-3"))
    assert [p.text for p in c.recent_posts()] == ["maybe"]


def test_timeout_on_create_is_unknown(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{X}/com.atproto.server.createSession").respond(json=session())
    respx_mock.post(f"{X}/com.atproto.repo.createRecord").mock(
        side_effect=httpx.ReadTimeout("slow")
    )
    respx_mock.get(f"{X}/com.atproto.repo.getRecord").respond(
        400, json={"error": "RecordNotFound", "message": "Could not locate record"}
    )
    with pytest.raises(OutcomeUnknown):
        conn(http).publish(PublishRequest(4, "x", idempotency_key="k"))


def test_connect_error_is_transient(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{X}/com.atproto.server.createSession").mock(
        side_effect=httpx.ConnectError("no")
    )
    with pytest.raises(Transient):
        conn(http).publish(PublishRequest(5, "x", idempotency_key="k"))


def test_5xx_after_sending_is_unknown(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{X}/com.atproto.server.createSession").respond(json=session())
    respx_mock.post(f"{X}/com.atproto.repo.createRecord").respond(502, text="bad gateway")
    respx_mock.get(f"{X}/com.atproto.repo.getRecord").respond(
        400, json={"error": "RecordNotFound", "message": "Could not locate record"}
    )
    with pytest.raises(OutcomeUnknown):
        conn(http).publish(PublishRequest(6, "x", idempotency_key="k"))


def test_rate_limit_uses_ratelimit_reset(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 120
    respx_mock.post(f"{X}/com.atproto.server.createSession").respond(
        429,
        json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        headers={"RateLimit-Reset": str(reset)},
    )
    with pytest.raises(RateLimited) as info:
        conn(http).check()
    assert info.value.retry_after is not None and 100 < info.value.retry_after <= 120


def test_expired_token_then_refresh_session(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    get_session = respx_mock.get(f"{X}/com.atproto.server.getSession")
    get_session.side_effect = [
        httpx.Response(400, json={"error": "ExpiredToken", "message": "Token has expired"}),
        httpx.Response(200, json={"did": DID, "handle": "acme.test"}),
    ]
    refresh = respx_mock.post(f"{X}/com.atproto.server.refreshSession").respond(
        json=session("acc2", "ref2")
    )
    c = conn(http, access_jwt="old", refresh_jwt="ref1", did=DID)
    with pytest.raises(AuthExpired):
        c.check()
    new = c.refresh()
    assert refresh.calls.last.request.headers["authorization"] == "Bearer ref1"
    assert new is not None and new["access_jwt"] == "acc2" and new["refresh_jwt"] == "ref2"
    assert c.check() == "@acme.test"
    assert get_session.calls.last.request.headers["authorization"] == "Bearer acc2"


def test_expired_refresh_logs_in_again(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{X}/com.atproto.server.refreshSession").respond(
        400, json={"error": "ExpiredToken", "message": "expired"}
    )
    login = respx_mock.post(f"{X}/com.atproto.server.createSession").respond(json=session("acc3"))
    new = conn(http, access_jwt="old", refresh_jwt="old").refresh()
    assert new is not None and new["access_jwt"] == "acc3"
    assert json.loads(login.calls.last.request.content) == {
        "identifier": "acme.test",
        "password": "app-pass-word",
    }


def test_wrong_app_password_is_auth_expired(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    respx_mock.post(f"{X}/com.atproto.server.createSession").respond(
        401, json={"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
    )
    with pytest.raises(AuthExpired):
        conn(http).check()


def test_invalid_record_is_rejected(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.post(f"{X}/com.atproto.server.createSession").respond(json=session())
    respx_mock.post(f"{X}/com.atproto.repo.createRecord").respond(
        400, json={"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record"}
    )
    respx_mock.get(f"{X}/com.atproto.repo.getRecord").respond(
        400, json={"error": "RecordNotFound", "message": "nope"}
    )
    with pytest.raises(Rejected, match="Invalid"):
        conn(http).publish(PublishRequest(7, "x" * 400, idempotency_key="k"))


def test_too_many_images_rejected_before_any_request(http: httpx.Client, png: Path) -> None:
    media = tuple(MediaItem(png, "image/png") for _ in range(5))
    with respx.mock(assert_all_called=False) as router:
        with pytest.raises(Rejected, match="at most 4"):
            conn(http).publish(PublishRequest(8, "x", media=media))
        assert not router.calls


def test_facets_use_utf8_byte_offsets() -> None:
    text = "héllo #café https://x.example/a."
    found = {f["features"][0]["$type"].rsplit("#", 1)[1]: f["index"] for f in facets(text)}
    raw = text.encode()
    tag, link = found["tag"], found["link"]
    assert raw[tag["byteStart"] : tag["byteEnd"]].decode() == "#café"
    assert raw[link["byteStart"] : link["byteEnd"]].decode() == "https://x.example/a"


@given(st.text(min_size=1, max_size=40), st.integers(0, 2000))
def test_record_keys_are_valid_stable_tids(key: str, part: int) -> None:
    rkey = record_key(key, part)
    assert rkey == record_key(key, part)
    assert len(rkey) == 13 and rkey[0] in "234567abcdefghij"
    assert set(rkey) <= set("234567abcdefghijklmnopqrstuvwxyz")


@given(st.integers(0, 2**53 - 2), st.integers(0, 1023))
def test_tids_sort_like_their_time(micros: int, clock: int) -> None:
    assert encode_tid(micros, clock) < encode_tid(micros + 1, clock)


def test_session_expiry_comes_from_the_access_jwt(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    import base64

    claims = base64.urlsafe_b64encode(json.dumps({"exp": 1893456000}).encode()).rstrip(b"=")
    jwt = f"eyJhbGciOiJIUzI1NiJ9.{claims.decode()}.sig"
    respx_mock.post(f"{X}/com.atproto.server.createSession").respond(json=session(jwt))
    respx_mock.get(f"{X}/com.atproto.server.getSession").respond(json={"did": DID, "handle": "a"})
    c = conn(http)
    c.check()
    assert c.credentials["expires_at"] == 1893456000


def test_a_tid_key_is_used_as_is() -> None:
    tid = new_tid()
    assert record_key(tid) == tid
    assert record_key(tid, 1) != tid


def test_mentions_resolve_to_dids_and_unknown_handles_stay_text(
    repo: FakeRepo, respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    def resolve(request: httpx.Request) -> httpx.Response:
        handle = request.url.params["handle"]
        if handle == "alice.example.com":
            return httpx.Response(200, json={"did": "did:plc:alice"})
        return httpx.Response(400, json={"error": "InvalidRequest", "message": "not found"})

    route = respx_mock.get(f"{X}/com.atproto.identity.resolveHandle").mock(side_effect=resolve)
    text = "Thanks @alice.example.com and @ghost.example.com for café #tips"
    conn(http).publish(PublishRequest(1, text, idempotency_key="pub-m"))
    record = repo.records[record_key("pub-m")]
    raw = text.encode()
    mentions = [
        f
        for f in record["facets"]  # type: ignore[union-attr]
        if f["features"][0]["$type"] == "app.bsky.richtext.facet#mention"
    ]
    assert [f["features"][0]["did"] for f in mentions] == ["did:plc:alice"]
    span = mentions[0]["index"]
    assert raw[span["byteStart"] : span["byteEnd"]].decode() == "@alice.example.com"
    assert route.call_count == 2  # each handle asked once; the unknown one did not fail the post
