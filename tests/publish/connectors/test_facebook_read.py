"""Facebook Page read side at the HTTP level (respx) against the documented Graph shapes:
Page fields for the account, the post insights edge with the views metrics that replaced
impressions on 2025-11-15, and ``/{page-id}/published_posts`` paged by cursor."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from sociable.collect.metrics import measure_of, requestable
from sociable.publish.connectors.base import AuthExpired, RateLimited
from sociable.publish.connectors.facebook import FacebookConnector
from tests.publish.connectors.graph_fake import GraphFake, graph_error

V = "https://graph.facebook.com/v23.0"
PAGE = "1001"
# What Meta serves today: the new names, not the ones the catalog marks deprecated.
SERVED = {
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_reactions_like_total",
}


def conn(http: httpx.Client) -> FacebookConnector:
    return FacebookConnector({"token": "page-tok"}, {"page_id": PAGE}, http)


def install(router: respx.MockRouter, fake: GraphFake) -> None:
    router.get(f"{V}/{PAGE}").respond(json={"id": PAGE, "followers_count": 2500, "fan_count": 2300})
    router.get(url__regex=rf"{V}/(?P<object_id>[^/]+)/insights").mock(side_effect=fake.insights)
    router.get(f"{V}/{PAGE}/published_posts").mock(
        side_effect=lambda request: fake.listing(request, f"{V}/{PAGE}/published_posts")
    )


def page_fake(posts: int = 3) -> GraphFake:
    fake = GraphFake(SERVED)
    kinds = ["added_photos", "mobile_status_update", "added_video", "shared_story"]
    for i in range(posts):
        fake.add(
            f"{PAGE}_{500 - i}",
            {
                "message": f"post {i}",
                "created_time": f"2026-12-0{1 + i % 3}T09:00:00+0000",
                "permalink_url": f"https://www.facebook.com/{PAGE}/posts/{500 - i}",
                "status_type": kinds[i % len(kinds)],
            },
            {
                "post_media_view": 100 * (i + 1),
                "post_total_media_view_unique": 80,
                "post_clicks": i,
            },
        )
    return fake


@pytest.fixture
def fake(respx_mock: respx.MockRouter) -> GraphFake:
    fake = page_fake()
    install(respx_mock, fake)
    return fake


def test_account_fields(fake: GraphFake, respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    reading = conn(http).account_metrics()
    assert reading.values == {"followers_count": 2500, "fan_count": 2300}
    asked = respx_mock.calls.last.request.url.params["fields"].split(",")
    assert "page_fans" not in asked  # removed 2025-11-15, and an insights metric anyway
    assert measure_of("facebook", "followers_count") == "followers"


def test_post_insights_use_the_views_names(fake: GraphFake, http: httpx.Client) -> None:
    (reading,) = conn(http).post_metrics([f"{PAGE}_500"])
    assert fake.insight_calls == [
        requestable("facebook", "post", datetime.now(UTC).date(), "insights")
    ]
    assert "post_impressions" not in fake.insight_calls[0]
    assert reading.values["post_media_view"] == 100 and reading.refused == ()
    assert {measure_of("facebook", n) for n in reading.values} >= {"views", "reach", "clicks"}


def test_one_refused_name_costs_only_itself(fake: GraphFake, http: httpx.Client) -> None:
    fake.served.discard("post_clicks")  # as if Meta had just dropped it
    (reading,) = conn(http).post_metrics([f"{PAGE}_500"])
    assert reading.refused == ("post_clicks",)
    assert reading.values["post_media_view"] == 100 and "post_clicks" not in reading.values
    assert reading.values["post_total_media_view_unique"] == 80


def test_a_gone_post_is_left_out(fake: GraphFake, http: httpx.Client) -> None:
    readings = conn(http).post_metrics(["deleted_1", f"{PAGE}_499"])
    assert [r.remote_id for r in readings] == [f"{PAGE}_499"]


def test_published_posts_page_with_cursor(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    fake = page_fake(posts=5)
    install(respx_mock, fake)
    c, seen, types, cursor, pages = conn(http), [], [], None, 0
    while True:
        page = c.account_posts(cursor, limit=2)
        pages += 1
        seen += [p.remote_id for p in page.posts]
        types += [p.content_type for p in page.posts]
        assert [r.remote_id for r in page.readings] == [p.remote_id for p in page.posts]
        assert all(p.created_at is not None for p in page.posts)
        cursor = page.cursor
        if cursor is None:
            break
    assert pages == 3 and seen == fake.order
    assert types == ["image", "text", "video", "link", "image"]


def test_throttled_with_retry_after(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    response = graph_error(32, "(#32) Page request limit reached", status=429)
    response.headers["Retry-After"] = "120"
    respx_mock.get(f"{V}/{PAGE}").mock(return_value=response)
    with pytest.raises(RateLimited) as info:
        conn(http).account_metrics()
    assert info.value.retry_after == 120


def test_an_expired_token_is_auth_expired(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{V}/{PAGE}_500/insights").mock(
        return_value=graph_error(190, "Error validating access token", status=401)
    )
    with pytest.raises(AuthExpired):
        conn(http).post_metrics([f"{PAGE}_500"])
