"""Threads read side at the HTTP level (respx) against the documented Threads API shapes:
``/me/threads_insights`` (followers_count as total_value), ``/{media-id}/insights`` and
``/me/threads`` paged by cursor (docs: developers.facebook.com/documentation/threads/insights)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from sociable.collect.metrics import measure_of, requestable
from sociable.publish.connectors.base import AuthExpired, RateLimited
from sociable.publish.connectors.threads import API, VERSION, ThreadsConnector
from tests.publish.connectors.graph_fake import GraphFake, graph_error

V = f"{API}/{VERSION}"
SERVED = {"views", "likes", "replies", "reposts", "quotes", "shares"}


def conn(http: httpx.Client) -> ThreadsConnector:
    return ThreadsConnector({"token": "th-tok"}, {}, http)


def install(router: respx.MockRouter, fake: GraphFake, followers: int = 640) -> GraphFake:
    account = GraphFake({"followers_count"}, total_value=True)
    account.add("me", {}, {"followers_count": followers})
    router.get(f"{V}/me/threads_insights").mock(
        side_effect=lambda request: account.insights(request, "me")
    )
    router.get(url__regex=rf"{V}/(?P<object_id>\d+)/insights").mock(side_effect=fake.insights)
    router.get(f"{V}/me/threads").mock(
        side_effect=lambda request: fake.listing(request, f"{V}/me/threads")
    )
    return account


def threads_fake(posts: int = 3) -> GraphFake:
    fake = GraphFake(set(SERVED))
    kinds = ["TEXT_POST", "IMAGE", "CAROUSEL_ALBUM", "VIDEO"]
    for i in range(posts):
        fake.add(
            str(9000 - i),
            {
                "text": f"thread {i}",
                "timestamp": f"2026-12-0{1 + i % 3}T10:00:00+0000",
                "permalink": f"https://www.threads.net/@acme/post/{9000 - i}",
                "media_type": kinds[i % len(kinds)],
            },
            {"views": 50 + i, "likes": 5, "replies": 2, "reposts": 1, "quotes": 0, "shares": 3},
        )
    return fake


@pytest.fixture
def fake(respx_mock: respx.MockRouter) -> GraphFake:
    fake = threads_fake()
    install(respx_mock, fake)
    return fake


def test_followers_from_user_insights(fake: GraphFake, http: httpx.Client) -> None:
    reading = conn(http).account_metrics()
    assert reading.values == {"followers_count": 640} and reading.refused == ()
    assert measure_of("threads", "followers_count") == "followers"


def test_media_insights_in_one_call(fake: GraphFake, http: httpx.Client) -> None:
    (reading,) = conn(http).post_metrics(["9000"])
    names = requestable("threads", "post", datetime.now(UTC).date(), "insights")
    assert fake.insight_calls == [names]
    assert reading.values["views"] == 50 and reading.values["reposts"] == 1
    assert measure_of("threads", "replies") == "comments"


def test_a_dropped_metric_costs_only_itself(fake: GraphFake, http: httpx.Client) -> None:
    fake.served.discard("views")  # Meta calls views "in development": it may go
    (reading,) = conn(http).post_metrics(["9000"])
    assert reading.refused == ("views",)
    assert set(reading.values) == SERVED - {"views"}


def test_a_gone_post_is_left_out(fake: GraphFake, http: httpx.Client) -> None:
    assert [r.remote_id for r in conn(http).post_metrics(["1234", "8999"])] == ["8999"]


def test_threads_page_with_cursor_and_skip_reposts(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    fake = threads_fake(posts=5)
    fake.objects["8998"]["row"]["media_type"] = "REPOST_FACADE"  # someone else's post
    install(respx_mock, fake)
    c, seen, cursor, pages = conn(http), [], None, 0
    while True:
        page = c.account_posts(cursor, limit=2)
        pages += 1
        seen += [(p.remote_id, p.content_type) for p in page.posts]
        assert [r.remote_id for r in page.readings] == [p.remote_id for p in page.posts]
        cursor = page.cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == [("9000", "text"), ("8999", "image"), ("8997", "video"), ("8996", "text")]


def test_throttled_with_retry_after(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    response = graph_error(4, "(#4) Application request limit reached", status=429)
    response.headers["Retry-After"] = "60"
    respx_mock.get(f"{V}/me/threads_insights").mock(return_value=response)
    with pytest.raises(RateLimited) as info:
        conn(http).account_metrics()
    assert info.value.retry_after == 60


def test_an_expired_token_is_auth_expired(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{V}/me/threads").mock(
        return_value=graph_error(190, "Error validating access token", status=401)
    )
    with pytest.raises(AuthExpired):
        conn(http).account_posts()
