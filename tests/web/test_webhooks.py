"""Signed webhooks for publication state changes: in order, at least once, verifiable."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sociable.publish import notify, states
from sociable.publish.connectors.webhook import verify
from sociable.store.models.notify import WebhookEndpoint
from sociable.store.models.publish import Publication
from tests.web.conftest import WebApp


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                code = 500 if receiver.fail_next > 0 else 200
                receiver.fail_next = max(0, receiver.fail_next - 1)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ids(self) -> list[int]:
        return [json.loads(body)["id"] for _, body in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    threading.Thread(target=r.server.serve_forever, daemon=True).start()
    yield r
    r.server.shutdown()


def _post(web: WebApp) -> list[int]:
    with web.as_token("owner") as c:
        c.post("/api/v1/accounts", json={"network": "x", "handle": "@acme"})
        c.post("/api/v1/accounts", json={"network": "mastodon", "handle": "@a@m.example"})
        when = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        post = c.post(
            "/api/v1/posts", json={"text": "hi", "accounts": ["x", "mastodon"], "when": when}
        )
        return [p["id"] for p in post.json()["publications"]]


def _endpoint(web: WebApp, url: str) -> tuple[int, str]:
    with web.db.session() as s:
        row = WebhookEndpoint(
            workspace_id=web.workspace_id,
            url=url,
            secret={"secret": "whsec_t"},
            allow_private=True,
            cursor=notify.start_cursor(s),
            failures=0,
        )
        s.add(row)
        s.flush()
        return row.id, "whsec_t"


def test_events_are_signed_ordered_and_retried(web: WebApp, receiver: Receiver) -> None:
    endpoint_id, secret = _endpoint(web, receiver.url)
    ids = _post(web)
    later = datetime.now(UTC) + timedelta(seconds=10)
    assert notify.deliver_pending(web.db, now=later) == 2
    bodies = [json.loads(b) for _, b in receiver.requests]
    assert [b["data"]["publication_id"] for b in bodies] == ids
    assert {b["type"] for b in bodies} == {"publication.scheduled"}
    for headers, body in receiver.requests:
        ts, sig = headers["x-sociable-timestamp"], headers["x-sociable-signature"]
        assert verify(secret, body, ts, sig, now=later.timestamp())
        assert not verify("wrong", body, ts, sig, now=later.timestamp())
        assert not verify(secret, body + b" ", ts, sig, now=later.timestamp())
        assert headers["x-sociable-event-id"] == str(json.loads(body)["id"])

    with web.db.session() as s:
        pub = s.get(Publication, ids[0])
        states.transition(s, pub, "claimed", worker="w1")
        states.transition(s, pub, "sending", worker="w1")
    receiver.fail_next = 1
    later2 = later + timedelta(seconds=10)
    assert notify.deliver_pending(web.db, now=later2) == 0
    with web.db.session() as s:
        ep = s.get(WebhookEndpoint, endpoint_id)
        assert ep.failures == 1 and "HTTP 500" in (ep.last_error or "")
        assert ep.next_attempt_at is not None and ep.next_attempt_at > later2
    assert notify.deliver_pending(web.db, now=later2 + timedelta(seconds=1)) == 0  # backing off
    assert notify.deliver_pending(web.db, now=later2 + timedelta(minutes=5)) == 2
    sent = receiver.ids()
    assert sent[2] == sent[3]  # the failed event was sent again, first
    assert sent == sorted(sent)
    types = [json.loads(b)["type"] for _, b in receiver.requests[3:]]
    assert types == ["publication.claimed", "publication.sending"]


def test_new_events_wait_to_settle(web: WebApp, receiver: Receiver) -> None:
    _endpoint(web, receiver.url)
    _post(web)
    assert notify.deliver_pending(web.db, now=datetime.now(UTC)) == 0
    assert notify.deliver_pending(web.db, now=datetime.now(UTC) + notify.SETTLE * 2) == 2


def test_private_receiver_refused_without_opt_in(web: WebApp, receiver: Receiver) -> None:
    endpoint_id, _ = _endpoint(web, receiver.url)
    with web.db.session() as s:
        s.get(WebhookEndpoint, endpoint_id).allow_private = False
    _post(web)
    assert notify.deliver_pending(web.db, now=datetime.now(UTC) + timedelta(seconds=10)) == 0
    assert receiver.requests == []
    with web.db.session() as s:
        assert "BlockedAddress" in (s.get(WebhookEndpoint, endpoint_id).last_error or "")


def test_webhook_api(web: WebApp, receiver: Receiver) -> None:
    with web.as_token("owner") as c:
        refused = c.post("/api/v1/webhooks", json={"url": receiver.url, "allow_private": True})
        assert refused.status_code == 400 and "allow_private" in refused.json()["detail"]
        made = c.post("/api/v1/webhooks", json={"url": "https://hooks.example/x"})
        assert made.status_code == 201 and made.json()["secret"].startswith("whsec_")
        listed = c.get("/api/v1/webhooks").json()
        assert [w["url"] for w in listed] == ["https://hooks.example/x"]
        assert "secret" not in listed[0]
        assert c.delete(f"/api/v1/webhooks/{made.json()['id']}").status_code == 204
    with web.as_token("editor") as c:
        assert c.get("/api/v1/webhooks").status_code == 403
