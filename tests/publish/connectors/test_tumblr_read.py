"""Tumblr read side at the HTTP level (respx) against the documented API v2 shapes
(www.tumblr.com/docs/en/api/v2): blog ``/info`` and ``/followers`` for the account, NPF
``/posts`` with ``note_count``, paged by offset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from sociable.collect.metrics import measure_of
from sociable.publish.connectors.base import AuthExpired, RateLimited
from sociable.publish.connectors.tumblr import API, TumblrConnector

BLOG = "acme.tumblr.com"
B = f"{API}/v2/blog/{BLOG}"


def conn(http: httpx.Client) -> TumblrConnector:
    return TumblrConnector({"token": "tok"}, {"blog": BLOG}, http)


def ok(response: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"meta": {"status": 200, "msg": "OK"}, "response": response})


def post(n: int, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "object_type": "post",
        "type": "blocks",
        "id": 7000 + n,
        "id_string": str(7000 + n),
        "blog_name": "acme",
        "post_url": f"https://{BLOG}/post/{7000 + n}",
        "timestamp": 1764800000 - 3600 * n,
        "note_count": 10 * n,
        "content": blocks,
        "tags": [],
    }


TEXT = {"type": "text", "text": "hello"}
IMAGE = {"type": "image", "media": [{"url": "https://64.media.tumblr.com/a.png"}]}


class FakeTumblr:
    def __init__(self) -> None:
        self.posts = [
            post(1, [TEXT]),
            post(2, [TEXT, IMAGE]),
            post(3, [IMAGE, IMAGE]),
            post(4, [{"type": "link", "url": "https://acme.example"}]),
            post(5, [{"type": "video", "url": "https://va.media.tumblr.com/v.mp4"}]),
        ]

    def posts_route(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["npf"] == "true"
        if "id" in params:
            rows = [p for p in self.posts if p["id_string"] == params["id"]]
            if not rows:
                return httpx.Response(
                    404,
                    json={
                        "meta": {"status": 404, "msg": "Not Found"},
                        "response": [],
                        "errors": [{"title": "Not Found", "code": 0, "detail": "Post not found."}],
                    },
                )
            return ok({"posts": rows, "total_posts": len(self.posts)})
        offset, limit = int(params.get("offset", 0)), int(params["limit"])
        return ok({"posts": self.posts[offset : offset + limit], "total_posts": len(self.posts)})

    def install(self, router: respx.MockRouter) -> None:
        router.get(f"{B}/info").mock(
            return_value=ok({"blog": {"name": "acme", "title": "Acme", "posts": 5, "updated": 1}})
        )
        router.get(f"{B}/followers").mock(
            return_value=ok({"total_users": 321, "users": [{"name": "fan", "following": True}]})
        )
        router.get(f"{B}/posts").mock(side_effect=self.posts_route)


@pytest.fixture
def tumblr(respx_mock: respx.MockRouter) -> FakeTumblr:
    fake = FakeTumblr()
    fake.install(respx_mock)
    return fake


def test_account_posts_and_followers(tumblr: FakeTumblr, http: httpx.Client) -> None:
    reading = conn(http).account_metrics()
    assert reading.values == {"posts": 5, "total_users": 321}
    assert {measure_of("tumblr", n) for n in reading.values} == {"posts", "followers"}


def test_post_notes_and_a_deleted_post_left_out(tumblr: FakeTumblr, http: httpx.Client) -> None:
    readings = conn(http).post_metrics(["7002", "6999", "7004"])
    assert [(r.remote_id, r.values) for r in readings] == [
        ("7002", {"note_count": 20}),
        ("7004", {"note_count": 40}),
    ]
    assert measure_of("tumblr", "note_count") == "engagements"


def test_posts_page_by_offset(tumblr: FakeTumblr, http: httpx.Client) -> None:
    c, seen, cursor, pages = conn(http), [], None, 0
    while True:
        page = c.account_posts(cursor, limit=2)
        pages += 1
        seen += [(p.remote_id, p.content_type) for p in page.posts]
        assert [r.remote_id for r in page.readings] == [p.remote_id for p in page.posts]
        assert all(p.created_at is not None for p in page.posts)
        cursor = page.cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == [
        ("7001", "text"),
        ("7002", "image"),
        ("7003", "carousel"),
        ("7004", "link"),
        ("7005", "video"),
    ]


def test_429_with_retry_after(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{B}/info").respond(
        429, headers={"Retry-After": "90"}, json={"meta": {"status": 429, "msg": "Limit Exceeded"}}
    )
    with pytest.raises(RateLimited) as info:
        conn(http).account_metrics()
    assert info.value.retry_after == 90


def test_401_is_auth_expired(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{B}/posts").respond(
        401, json={"meta": {"status": 401, "msg": "Unauthorized"}, "response": []}
    )
    with pytest.raises(AuthExpired):
        conn(http).post_metrics(["7001"])


@settings(max_examples=40, deadline=None)
@given(count=st.integers(0, 45), limit=st.integers(1, 25))
def test_offset_paging_visits_every_post_once(count: int, limit: int) -> None:
    fake = FakeTumblr()
    fake.posts = [post(n, [TEXT]) for n in range(1, count + 1)]
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        fake.install(router)
        c, seen, cursor = conn(client), [], None
        for _ in range(count + 2):
            page = c.account_posts(cursor, limit=limit)
            assert len(page.posts) <= min(limit, 20)
            seen += [p.remote_id for p in page.posts]
            cursor = page.cursor
            if cursor is None:
                break
    assert cursor is None and seen == [p["id_string"] for p in fake.posts]
