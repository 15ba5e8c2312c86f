"""Mastodon connector against the real ``mastodon-mock`` server on loopback, with its faults."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mastodon_mock.testing.server import MockServer

from sociable import net
from sociable.publish.connectors.base import (
    AuthExpired,
    MediaItem,
    OutcomeUnknown,
    PublishRequest,
    RateLimited,
    Rejected,
    Transient,
)
from sociable.publish.connectors.mastodon import MastodonConnector, html_to_text


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer() as srv:
        yield srv


@pytest.fixture
def mock(server: MockServer) -> Iterator[MockServer]:
    httpx.post(f"{server.base_url}/api/v1/_mock/reset").raise_for_status()
    yield server
    httpx.delete(f"{server.base_url}/api/v1/_mock/faults")


def fault(server: MockServer, **rule: object) -> None:
    httpx.post(f"{server.base_url}/api/v1/_mock/faults", json=rule).raise_for_status()


def connector(
    server: MockServer, http: httpx.Client, token: str = "alice_token"
) -> MastodonConnector:
    return MastodonConnector({"token": token}, {"instance": server.base_url}, http)


def statuses(server: MockServer, http: httpx.Client) -> list[str]:
    return [p.text for p in connector(server, http).recent_posts()]


def test_check_returns_the_handle(mock: MockServer, http: httpx.Client) -> None:
    assert connector(mock, http).check() == "@alice"


def test_bad_token_is_auth_expired(mock: MockServer, http: httpx.Client) -> None:
    with pytest.raises(AuthExpired):
        connector(mock, http, token="nope").check()


def test_publish_with_media_thread_and_first_comment(
    mock: MockServer, http: httpx.Client, png: Path
) -> None:
    conn = connector(mock, http)
    result = conn.publish(
        PublishRequest(
            publication_id=1,
            text="Spring launch",
            media=(MediaItem(png, "image/png", "a red square"),),
            thread=("part two",),
            first_comment="links below",
            idempotency_key="pub-1",
        )
    )
    assert result.remote_id
    assert len(result.extra["thread_ids"]) == 1
    status = httpx.get(f"{mock.base_url}/api/v1/statuses/{result.remote_id}").json()
    assert status["media_attachments"][0]["description"] == "a red square"
    reply = httpx.get(f"{mock.base_url}/api/v1/statuses/{result.extra['thread_ids'][0]}").json()
    assert reply["in_reply_to_id"] == result.remote_id
    texts = statuses(mock, http)
    assert sorted(texts) == sorted(["Spring launch", "part two", "links below"])


def test_idempotency_key_makes_a_retry_safe(mock: MockServer, http: httpx.Client) -> None:
    conn = connector(mock, http)
    request = PublishRequest(publication_id=2, text="only once", idempotency_key="pub-2")
    first = conn.publish(request)
    again = conn.publish(request)
    assert again.remote_id == first.remote_id
    assert statuses(mock, http).count("only once") == 1


def test_timeout_after_sending_is_unknown_then_retry_with_key_is_safe(
    mock: MockServer, http: httpx.Client
) -> None:
    # The mock holds the request past our read timeout: sent, but no answer.
    fault(
        mock,
        match={"methods": ["POST"], "path": "/api/v1/statuses"},
        effect={"type": "latency", "delay_ms": 800},
        count=1,
    )
    policy = net.NetPolicy(allow_private=True, timeout=0.3, connect_timeout=0.3)
    request = PublishRequest(publication_id=3, text="hung once", idempotency_key="pub-3")
    with net.client(policy) as short, pytest.raises(OutcomeUnknown):
        connector(mock, short).publish(request)
    time.sleep(1.0)  # let the server finish whatever it does with the held request
    conn = connector(mock, http)
    on_server = statuses(mock, http).count("hung once")
    found = conn.reconcile(request)
    assert (found is not None) == (on_server == 1)
    retried = conn.publish(request)  # the same Idempotency-Key: never a second status
    assert statuses(mock, http).count("hung once") == 1
    if found is not None:
        assert retried.remote_id == found.remote_id


def test_reconcile_says_none_when_nothing_was_made(mock: MockServer, http: httpx.Client) -> None:
    request = PublishRequest(publication_id=4, text="never sent", idempotency_key="pub-4")
    assert connector(mock, http).reconcile(request) is None


def test_rate_limit_carries_retry_after(mock: MockServer, http: httpx.Client) -> None:
    fault(mock, match={"path": "/api/v1/statuses"}, effect={"type": "ratelimit"}, count=1)
    with pytest.raises(RateLimited) as info:
        connector(mock, http).publish(PublishRequest(5, "x", idempotency_key="k5"))
    assert info.value.retry_after == 300


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_on_write_is_unknown_and_on_read_transient(
    mock: MockServer, http: httpx.Client, status: int
) -> None:
    fault(mock, match={"path": "/api/v1/statuses"}, effect={"type": "status", "status": status})
    with pytest.raises(OutcomeUnknown):
        connector(mock, http).publish(PublishRequest(6, "x", idempotency_key="k6"))
    fault(
        mock,
        match={"path": "/api/v1/accounts/verify_credentials"},
        effect={"type": "status", "status": status},
    )
    with pytest.raises(Transient):
        connector(mock, http).check()


def test_malformed_success_body_is_unknown(mock: MockServer, http: httpx.Client) -> None:
    fault(mock, match={"path": "/api/v1/statuses"}, effect={"type": "malformed"}, count=1)
    with pytest.raises(OutcomeUnknown):
        connector(mock, http).publish(PublishRequest(7, "x", idempotency_key="k7"))


def test_validation_error_is_rejected(mock: MockServer, http: httpx.Client) -> None:
    with pytest.raises(Rejected):
        connector(mock, http).publish(PublishRequest(8, "", idempotency_key="k8"))


def test_unreachable_instance_is_transient(http: httpx.Client) -> None:
    conn = MastodonConnector({"token": "t"}, {"instance": "http://127.0.0.1:9"}, http)
    with pytest.raises(Transient):
        conn.publish(PublishRequest(9, "x", idempotency_key="k9"))


def test_missing_media_file_is_rejected_before_any_request(
    mock: MockServer, http: httpx.Client, tmp_path: Path
) -> None:
    request = PublishRequest(10, "x", media=(MediaItem(tmp_path / "gone.png", "image/png"),))
    with pytest.raises(Rejected, match=r"gone\.png"):
        connector(mock, http).publish(request)
    assert "x" not in statuses(mock, http)


def test_html_to_text() -> None:
    assert html_to_text("<p>a &amp; b</p><p>c<br>d</p>") == "a & b\nc\nd"
