"""The webhook connector against a real HTTP receiver on loopback."""

from __future__ import annotations

import socket
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sociable import net
from sociable.publish.connectors.base import (
    AuthExpired,
    OutcomeUnknown,
    PublishRequest,
    RateLimited,
    Rejected,
    Transient,
)
from sociable.publish.connectors.webhook import WebhookConnector, sign, verify
from tests.publish.receiver import Receiver

LOOPBACK = net.NetPolicy(allow_private=True, timeout=0.5, connect_timeout=0.5)


def connector(url: str, secret: str = "s3cret", **settings: object) -> WebhookConnector:
    return WebhookConnector({"secret": secret}, {"url": url, **settings}, net.client(LOOPBACK))


def request(key: str = "key-1", text: str = "Hello, world") -> PublishRequest:
    return PublishRequest(publication_id=7, text=text, idempotency_key=key, link="https://a.b/")


def test_publish_posts_signed_json_with_the_idempotency_key(receiver: Receiver) -> None:
    result = connector(receiver.url).publish(request())
    assert result.remote_id == "r-key-1"
    assert result.url == "https://example.test/key-1"
    [hit] = receiver.hits
    assert hit.signed and hit.key == "key-1"
    assert hit.body["text"] == "Hello, world"
    assert hit.body["link"] == "https://a.b/"
    assert hit.body["publication_id"] == 7


def test_wrong_secret_is_refused_by_the_receiver(receiver: Receiver) -> None:
    with pytest.raises(AuthExpired, match="401"):
        connector(receiver.url, secret="not-it").publish(request())
    assert [h.signed for h in receiver.hits] == [False]


@given(body=st.binary(max_size=200), secret=st.text(min_size=1, max_size=20))
def test_signature_verifies_only_the_same_body(body: bytes, secret: str) -> None:
    ts = str(int(time.time()))
    signature = sign(secret, ts, body)
    assert verify(secret, body, ts, signature)
    assert not verify(secret, body + b"x", ts, signature)
    assert not verify(secret + "x", body, ts, signature)


def test_old_timestamp_is_refused() -> None:
    ts = str(int(time.time()) - 3600)
    assert not verify("k", b"{}", ts, sign("k", ts, b"{}"))
    assert not verify("k", b"{}", "not-a-number", sign("k", "x", b"{}"))


def test_server_error_after_sending_is_an_unknown_outcome(receiver: Receiver) -> None:
    receiver.fault = lambda key, seen: "fail"
    with pytest.raises(OutcomeUnknown, match="500"):
        connector(receiver.url).publish(request())


def test_a_hang_past_the_timeout_is_an_unknown_outcome(receiver: Receiver) -> None:
    receiver.fault = lambda key, seen: "hang"
    with pytest.raises(OutcomeUnknown, match="after sending"):
        connector(receiver.url).publish(request())
    assert receiver.applied()["key-1"] == 1


def test_429_is_rate_limited_with_retry_after(receiver: Receiver) -> None:
    receiver.fault = lambda key, seen: "limit"
    with pytest.raises(RateLimited) as info:
        connector(receiver.url).publish(request())
    assert info.value.retry_after == 1.0


def test_nobody_listening_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Transient, match="could not connect"):
        connector(f"http://127.0.0.1:{port}/hook").publish(request())


def test_private_address_is_refused_without_allow_private(receiver: Receiver) -> None:
    guarded = WebhookConnector({"secret": "s"}, {"url": receiver.url}, net.client())
    with pytest.raises(Rejected, match="private"):
        guarded.publish(request())
    assert receiver.hits == []


def test_missing_url_or_secret_is_rejected_before_any_request(receiver: Receiver) -> None:
    with pytest.raises(Rejected, match="no secret"):
        WebhookConnector({}, {"url": receiver.url}, net.client(LOOPBACK)).publish(request())
    with pytest.raises(Rejected, match="no url"):
        WebhookConnector({"secret": "s"}, {}, net.client(LOOPBACK)).publish(request())
    assert receiver.hits == []


def test_plain_receiver_cannot_be_reconciled(receiver: Receiver) -> None:
    with pytest.raises(NotImplementedError, match="cannot be asked"):
        connector(receiver.url).reconcile(request())
    assert receiver.hits == []


def test_idempotent_receiver_is_reconciled_by_sending_again(receiver: Receiver) -> None:
    found = connector(receiver.url, idempotent=True).reconcile(request("k-9"))
    assert found is not None and found.remote_id == "r-k-9"
    assert receiver.raw()["k-9"] == 1


def test_check_pings_the_receiver(receiver: Receiver) -> None:
    assert connector(receiver.url).check() == receiver.url
    assert receiver.hits[0].body == {"ping": True}
