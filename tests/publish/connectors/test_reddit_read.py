"""Reddit read side at the HTTP level (respx) against the documented shapes
(www.reddit.com/dev/api): ``/api/v1/me`` for karma and profile followers, ``/api/info`` for
Links by fullname, ``/user/{name}/submitted`` Listings paged by ``after``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from sociable.collect.metrics import measure_of
from sociable.publish.connectors.base import AuthExpired, RateLimited
from sociable.publish.connectors.reddit import API, RedditConnector


def conn(http: httpx.Client) -> RedditConnector:
    return RedditConnector({"token": "tok"}, {"username": "acme", "subreddit": "acme"}, http)


def link(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"t3_p{n}",
        "id": f"p{n}",
        "title": f"title {n}",
        "selftext": "",
        "author": "acme",
        "score": 10 + n,
        "num_comments": n,
        "num_crossposts": 0,
        "upvote_ratio": 0.87,
        "created_utc": 1764800000.0 - 3600 * n,
        "permalink": f"/r/acme/comments/p{n}/title_{n}/",
        "is_self": True,
        **extra,
    }


def listing(rows: list[dict[str, Any]], after: str | None = None) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {
            "after": after,
            "before": None,
            "dist": len(rows),
            "children": [{"kind": "t3", "data": row} for row in rows],
        },
    }


class FakeReddit:
    def __init__(self, posts: list[dict[str, Any]]) -> None:
        self.posts = posts  # newest first

    def info(self, request: httpx.Request) -> httpx.Response:
        wanted = request.url.params["id"].split(",")
        return httpx.Response(200, json=listing([p for p in self.posts if p["name"] in wanted]))

    def submitted(self, request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params["limit"])
        after = request.url.params.get("after")
        names = [p["name"] for p in self.posts]
        start = names.index(after) + 1 if after else 0
        rows = self.posts[start : start + limit]
        more = start + limit < len(self.posts)
        return httpx.Response(200, json=listing(rows, rows[-1]["name"] if more and rows else None))

    def install(self, router: respx.MockRouter) -> None:
        router.get(f"{API}/api/v1/me").respond(
            json={
                "name": "acme",
                "link_karma": 1500,
                "comment_karma": 320,
                "total_karma": 1820,
                "subreddit": {"display_name": "u_acme", "subscribers": 77},
            }
        )
        router.get(f"{API}/api/info").mock(side_effect=self.info)
        router.get(f"{API}/user/acme/submitted").mock(side_effect=self.submitted)


def fake_posts() -> list[dict[str, Any]]:
    return [
        link(1),
        link(2, is_self=False, post_hint="image", url="https://i.redd.it/x.png"),
        link(3, is_self=False, url="https://acme.example/post"),
        link(4, is_gallery=True, is_self=False),
        link(5, is_video=True, is_self=False),
    ]


@pytest.fixture
def reddit(respx_mock: respx.MockRouter) -> FakeReddit:
    fake = FakeReddit(fake_posts())
    fake.install(respx_mock)
    return fake


def test_account_karma_and_profile_followers(reddit: FakeReddit, http: httpx.Client) -> None:
    reading = conn(http).account_metrics()
    assert reading.values == {
        "link_karma": 1500,
        "comment_karma": 320,
        "total_karma": 1820,
        "subscribers": 77,
    }
    assert measure_of("reddit", "subscribers") == "followers"
    assert measure_of("reddit", "link_karma") is None  # karma is no follower count


def test_post_metrics_with_the_ratio_per_mille(reddit: FakeReddit, http: httpx.Client) -> None:
    (reading,) = conn(http).post_metrics(["t3_p2"])
    assert reading.remote_id == "t3_p2"
    assert reading.values == {
        "score": 12,
        "num_comments": 2,
        "num_crossposts": 0,
        "upvote_ratio": 870,
    }


def test_a_deleted_post_is_left_out(reddit: FakeReddit, http: httpx.Client) -> None:
    reddit.posts[0]["author"] = "[deleted]"
    readings = conn(http).post_metrics(["t3_p1", "t3_gone", "t3_p3"])
    assert [r.remote_id for r in readings] == ["t3_p3"]


def test_submitted_pages_by_after(reddit: FakeReddit, http: httpx.Client) -> None:
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
        ("t3_p1", "text"),
        ("t3_p2", "image"),
        ("t3_p3", "link"),
        ("t3_p4", "carousel"),
        ("t3_p5", "video"),
    ]


def test_429_waits_as_reddit_says(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{API}/api/info").respond(
        429,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "42"},
        json={"message": "Too Many Requests", "error": 429},
    )
    with pytest.raises(RateLimited) as info:
        conn(http).post_metrics(["t3_p1"])
    assert info.value.retry_after == 42


def test_429_with_retry_after(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{API}/api/v1/me").respond(
        429, headers={"Retry-After": "30"}, json={"message": "Too Many Requests", "error": 429}
    )
    with pytest.raises(RateLimited) as info:
        conn(http).account_metrics()
    assert info.value.retry_after == 30


def test_401_is_auth_expired(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{API}/user/acme/submitted").respond(
        401, json={"message": "Unauthorized", "error": 401}
    )
    with pytest.raises(AuthExpired):
        conn(http).account_posts()


@given(ratio=st.floats(0.0, 1.0), score=st.integers(-10_000, 10**7))
def test_the_ratio_is_kept_per_mille_and_counts_as_they_are(ratio: float, score: int) -> None:
    from sociable.publish.connectors.reddit import _reading

    values = _reading(link(1, upvote_ratio=ratio, score=score)).values
    assert 0 <= values["upvote_ratio"] <= 1000
    assert abs(values["upvote_ratio"] / 1000 - ratio) <= 0.0005
    assert values["score"] == score  # net votes may be negative; kept as they are
