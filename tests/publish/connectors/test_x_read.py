"""X's read side at the HTTP level (respx) against the documented API v2 shapes: user
``public_metrics``, Post lookup (``GET /2/tweets?ids=``) with ``errors`` for posts that are
gone or fields X will not give, and the user Posts timeline paged by ``next_token``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from sociable.collect.metrics import measure_of
from sociable.publish.connectors.base import AuthExpired, RateLimited
from sociable.publish.connectors.x import API, XConnector

ME = "42"


def conn(http: httpx.Client) -> XConnector:
    return XConnector({"token": "tok"}, {"user_id": ME}, http)


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeX:
    """Posts as X serves them; ``non_public_metrics`` only for the owner's posts under 30
    days (docs.x.com/x-api/fundamentals/metrics), anything else a field-authorization error."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.posts: list[dict[str, Any]] = []  # newest first
        self.lookups: list[dict[str, str]] = []
        self.followers = 1200
        self.private_allowed = True

    def add(self, post_id: str, age: timedelta, *, author: str = ME, likes: int = 0) -> None:
        self.posts.append(
            {
                "id": post_id,
                "text": f"post {post_id}",
                "author_id": author,
                "created_at": stamp(self.now - age),
                "public_metrics": {
                    "retweet_count": 1,
                    "reply_count": 2,
                    "like_count": likes,
                    "quote_count": 0,
                    "bookmark_count": 3,
                    "impression_count": 100 + likes,
                },
                "non_public_metrics": {
                    "impression_count": 100 + likes,
                    "url_link_clicks": 7,
                    "user_profile_clicks": 4,
                },
            }
        )
        self.posts.sort(key=lambda p: p["created_at"], reverse=True)

    def _view(self, post: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        keep = {"id", "text", "edit_history_tweet_ids"} | fields
        return {k: v for k, v in post.items() if k in keep}

    def _private_ok(self, post: dict[str, Any]) -> bool:
        born = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        young = self.now - born < timedelta(days=30)
        return self.private_allowed and post["author_id"] == ME and young

    def user(self, request: httpx.Request) -> httpx.Response:
        assert request.url.params["user.fields"] == "public_metrics"
        metrics = {
            "followers_count": self.followers,
            "following_count": 80,
            "tweet_count": len(self.posts),
            "listed_count": 3,
            "like_count": 9,
        }
        return httpx.Response(200, json={"data": {"id": ME, "public_metrics": metrics}})

    def lookup(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.lookups.append(params)
        fields = set(params["tweet.fields"].split(","))
        data, errors = [], []
        by_id = {p["id"]: p for p in self.posts}
        for post_id in params["ids"].split(","):
            post = by_id.get(post_id)
            if post is None:
                errors.append(
                    {
                        "value": post_id,
                        "detail": f"Could not find tweet with ids: [{post_id}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": post_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
            elif "non_public_metrics" in fields and not self._private_ok(post):
                errors.append(
                    {
                        "parameter": "tweet.fields",
                        "resource_id": post_id,
                        "value": "non_public_metrics",
                        "title": "Field Authorization Error",
                        "section": "data",
                        "field": "non_public_metrics",
                        "resource_type": "tweet",
                        "detail": "Sorry, you are not authorized to access 'non_public_metrics'"
                        " on a Tweet.",
                        "type": "https://api.twitter.com/2/problems/not-authorized-for-field",
                    }
                )
            else:
                data.append(self._view(post, fields))
        body: dict[str, Any] = {"errors": errors} if errors else {}
        if data:
            body["data"] = data
        return httpx.Response(200, json=body)

    def timeline(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        size = int(params["max_results"])
        start = int(params.get("pagination_token", "0").removeprefix("page-") or 0)
        fields = set(params["tweet.fields"].split(","))
        rows = [self._view(p, fields) for p in self.posts[start : start + size]]
        meta: dict[str, Any] = {"result_count": len(rows)}
        if start + size < len(self.posts):
            meta["next_token"] = f"page-{start + size}"
        if rows:
            meta["newest_id"], meta["oldest_id"] = rows[0]["id"], rows[-1]["id"]
        return httpx.Response(200, json={"data": rows, "meta": meta})

    def install(self, router: respx.MockRouter) -> None:
        router.get(f"{API}/2/users/{ME}").mock(side_effect=self.user)
        router.get(f"{API}/2/tweets").mock(side_effect=self.lookup)
        router.get(f"{API}/2/users/{ME}/tweets").mock(side_effect=self.timeline)


@pytest.fixture
def x(respx_mock: respx.MockRouter) -> FakeX:
    fake = FakeX(datetime.now(UTC))
    fake.install(respx_mock)
    return fake


def test_account_metrics_map_to_measures(x: FakeX, http: httpx.Client) -> None:
    x.followers = 4321
    reading = conn(http).account_metrics()
    assert reading.values["followers_count"] == 4321
    assert "listed_count" not in reading.values  # not in the catalog
    assert {measure_of("x", n) for n in reading.values} == {"followers", "following", "posts"}


def test_private_metrics_only_for_young_own_posts(x: FakeX, http: httpx.Client) -> None:
    x.add("1", timedelta(days=2), likes=5)
    x.add("2", timedelta(days=45), likes=8)  # too old for non_public_metrics
    readings = {r.remote_id: r.values for r in conn(http).post_metrics(["1", "2"])}
    assert readings["1"]["url_link_clicks"] == 7 and readings["1"]["like_count"] == 5
    assert "url_link_clicks" not in readings["2"] and readings["2"]["like_count"] == 8
    private = [p for p in x.lookups if "non_public_metrics" in p["tweet.fields"]]
    assert [p["ids"] for p in private] == ["1"]  # asked only for the young one


def test_a_refused_private_field_keeps_the_public_values(x: FakeX, http: httpx.Client) -> None:
    x.add("3", timedelta(days=1), likes=2)
    x.private_allowed = False  # e.g. the app's access level does not include them
    (reading,) = conn(http).post_metrics(["3"])
    assert reading.values["like_count"] == 2 and reading.values["impression_count"] == 102
    assert "url_link_clicks" not in reading.values and reading.refused == ()
    assert any("non_public_metrics" in p["tweet.fields"] for p in x.lookups)


def test_someone_elses_post_is_never_asked_for_private_metrics(
    x: FakeX, http: httpx.Client
) -> None:
    x.add("5", timedelta(days=1), author="99", likes=4)
    (reading,) = conn(http).post_metrics(["5"])
    assert reading.values["like_count"] == 4
    assert not [p for p in x.lookups if "non_public_metrics" in p["tweet.fields"]]


def test_a_deleted_post_is_left_out(x: FakeX, http: httpx.Client) -> None:
    x.add("4", timedelta(hours=3))
    assert [r.remote_id for r in conn(http).post_metrics(["gone", "4"])] == ["4"]


def test_timeline_pages_with_next_token(x: FakeX, http: httpx.Client) -> None:
    for i in range(12):
        x.add(str(100 + i), timedelta(hours=i + 1), likes=i)
    c, seen, cursor, pages = conn(http), [], None, 0
    while True:
        page = c.account_posts(cursor, limit=5)
        pages += 1
        seen += [p.remote_id for p in page.posts]
        assert [r.remote_id for r in page.readings] == [p.remote_id for p in page.posts]
        assert all(p.created_at is not None and p.content_type == "text" for p in page.posts)
        cursor = page.cursor
        if cursor is None:
            break
    assert pages == 3 and seen == [p["id"] for p in x.posts]


def test_429_is_rate_limited_with_retry_after(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 600
    respx_mock.get(f"{API}/2/users/{ME}").respond(
        429,
        headers={"x-rate-limit-reset": str(reset)},
        json={"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
    )
    with pytest.raises(RateLimited) as info:
        conn(http).account_metrics()
    assert info.value.retry_after is not None and 590 <= info.value.retry_after <= 600


def test_401_is_auth_expired(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{API}/2/tweets").respond(
        401, json={"title": "Unauthorized", "detail": "Unauthorized", "status": 401}
    )
    with pytest.raises(AuthExpired):
        conn(http).post_metrics(["1"])
