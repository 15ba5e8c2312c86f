"""Bluesky's read side at the HTTP level, against a loopback server speaking the documented
XRPC shapes (lexicons app.bsky.actor.getProfile, app.bsky.feed.getPosts, getAuthorFeed).

The real PDS fixture (test_bluesky_pds.py) cannot serve these: ``@atproto/dev-env``'s TestPds
proxies every app.bsky.* view to ``https://appview.invalid``, and no AppView runs here.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from sociable.publish.connectors.base import RateLimited
from sociable.publish.connectors.bluesky import BlueskyConnector

DID = "did:plc:reader"


def post_view(n: int, likes: int) -> dict[str, Any]:
    """A postView as app/bsky/feed/defs.json describes it."""
    uri = f"at://{DID}/app.bsky.feed.post/3k{n:011d}"
    return {
        "uri": uri,
        "cid": f"bafy{n}",
        "author": {"did": DID, "handle": "reader.test"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": f"post {n}",
            "createdAt": "2026-12-01T10:00:00.000Z",
        },
        "replyCount": n % 3,
        "repostCount": n % 2,
        "likeCount": likes,
        "quoteCount": 0,
        "bookmarkCount": 1,
        "indexedAt": "2026-12-01T10:00:01.000Z",
    }


class AppView:
    def __init__(self) -> None:
        self.posts = {v["uri"]: v for v in (post_view(n, likes=10 * n) for n in range(30))}
        self.calls: list[tuple[str, dict[str, list[str]]]] = []
        self.throttle = False

    def answer(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        nsid = path.removeprefix("/xrpc/")
        self.calls.append((nsid, query))
        if self.throttle:
            return 429, {"error": "RateLimitExceeded", "message": "slow down"}
        if nsid == "com.atproto.server.createSession":
            return 200, {"accessJwt": "a", "refreshJwt": "r", "did": DID, "handle": "reader.test"}
        if nsid == "app.bsky.actor.getProfile":
            if query.get("actor") != [DID]:
                return 400, {"error": "InvalidRequest", "message": "actor"}
            return 200, {
                "did": DID,
                "handle": "reader.test",
                "followersCount": 120,
                "followsCount": 33,
                "postsCount": len(self.posts),
            }
        if nsid == "app.bsky.feed.getPosts":
            uris = query.get("uris", [])
            if len(uris) > 25:
                return 400, {
                    "error": "InvalidRequest",
                    "message": "uris must not have more than 25 elements",
                }
            return 200, {"posts": [self.posts[u] for u in uris if u in self.posts]}
        if nsid == "app.bsky.feed.getAuthorFeed":
            limit = int(query.get("limit", ["50"])[0])
            start = int(query.get("cursor", ["0"])[0])
            views = list(self.posts.values())[start : start + limit]
            feed: list[dict[str, Any]] = [{"post": v} for v in views]
            if start == 0:  # someone else's post the account reposted
                other = dict(post_view(99, likes=5), author={"did": "did:plc:other"})
                feed.insert(
                    1, {"post": other, "reason": {"$type": "app.bsky.feed.defs#reasonRepost"}}
                )
            body: dict[str, Any] = {"feed": feed}
            if start + limit < len(self.posts):
                body["cursor"] = str(start + limit)
            return 200, body
        return 501, {"error": "MethodNotImplemented", "message": nsid}


@pytest.fixture
def appview() -> Iterator[tuple[str, AppView]]:
    state = AppView()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            status, body = state.answer(self.command, url.path, parse_qs(url.query))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            if status == 429:
                self.send_header("ratelimit-reset", str(int(time.time()) + 120))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _reply

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def reader(url: str, http: httpx.Client) -> BlueskyConnector:
    return BlueskyConnector({"handle": "reader.test", "app_password": "pw"}, {"service": url}, http)


def test_account_metrics_from_get_profile(appview: tuple[str, AppView], http: httpx.Client) -> None:
    url, _ = appview
    reading = reader(url, http).account_metrics()
    assert reading.values == {"followersCount": 120, "followsCount": 33, "postsCount": 30}
    assert reading.remote_id is None


def test_post_metrics_batch_by_25_and_skip_missing(
    appview: tuple[str, AppView], http: httpx.Client
) -> None:
    url, state = appview
    uris = list(state.posts)
    gone = f"at://{DID}/app.bsky.feed.post/3kdeleted0000"
    readings = reader(url, http).post_metrics([*uris, gone])
    assert [r.remote_id for r in readings] == uris
    batches = [q["uris"] for nsid, q in state.calls if nsid == "app.bsky.feed.getPosts"]
    assert [len(b) for b in batches] == [25, 6]
    first = readings[7]
    assert first.values == {
        "likeCount": 70,
        "replyCount": 1,
        "repostCount": 1,
        "quoteCount": 0,
        "bookmarkCount": 1,
    }


def test_author_feed_pages_and_drops_reposts(
    appview: tuple[str, AppView], http: httpx.Client
) -> None:
    url, state = appview
    conn = reader(url, http)
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = conn.account_posts(cursor, limit=12)
        seen += [p.remote_id for p in page.posts]
        assert [r.remote_id for r in page.readings] == [p.remote_id for p in page.posts]
        if page.cursor is None:
            break
        cursor = page.cursor
    assert seen == list(state.posts)  # every own post once, the reposted one left out
    feeds = [q for nsid, q in state.calls if nsid == "app.bsky.feed.getAuthorFeed"]
    assert [q.get("cursor") for q in feeds] == [None, ["12"], ["24"]]


def test_rate_limit_carries_the_reset(appview: tuple[str, AppView], http: httpx.Client) -> None:
    url, state = appview
    conn = reader(url, http)
    conn.account_metrics()  # logged in; now the AppView throttles
    state.throttle = True
    with pytest.raises(RateLimited) as info:
        conn.account_metrics()
    assert info.value.retry_after is not None and 60 < info.value.retry_after <= 120
