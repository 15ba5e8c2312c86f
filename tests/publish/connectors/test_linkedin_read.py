"""LinkedIn read side at the HTTP level (respx) against the documented versioned REST
shapes (learn.microsoft.com/linkedin/marketing/community-management/): networkSizes for an
organization's followers, organizationalEntityShareStatistics for its posts (Rest.li 2.0
``List(...)`` parameters), the Posts API finder paged by start/count."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import respx

from sociable.collect.metrics import measure_of
from sociable.publish.connectors.base import AuthExpired, NotSupported, RateLimited
from sociable.publish.connectors.linkedin import API, LinkedInConnector

ORG = "urn:li:organization:2414183"


def conn(http: httpx.Client, author: str = ORG) -> LinkedInConnector:
    return LinkedInConnector({"token": "tok"}, {"author": author, "version": "202511"}, http)


def stats(impressions: int) -> dict[str, Any]:
    return {
        "uniqueImpressionsCount": impressions // 2,
        "shareCount": 2,
        "engagement": 0.0731,  # a fraction: not stored
        "clickCount": 9,
        "likeCount": 14,
        "impressionCount": impressions,
        "commentCount": 3,
    }


def list_param(raw_query: str, key: str) -> list[str]:
    """The URNs of a Rest.li 2.0 ``key=List(a,b)`` query parameter."""
    for part in raw_query.split("&"):
        name, _, value = part.partition("=")
        if name == key:
            assert value.startswith("List(") and value.endswith(")"), value
            return [unquote(u) for u in value[5:-1].split(",")]
    return []


class FakeLinkedIn:
    def __init__(self) -> None:
        kinds: list[dict[str, Any] | None] = [
            None,
            {"media": {"id": "urn:li:image:C4D1"}},
            {"multiImage": {"images": [{"id": "urn:li:image:a"}, {"id": "urn:li:image:b"}]}},
            {"article": {"source": "https://acme.example", "title": "Acme"}},
            {"media": {"id": "urn:li:video:C5E2"}},
        ]
        self.posts = []
        for i, content in enumerate(kinds):
            kind = "share" if i % 2 == 0 else "ugcPost"
            row: dict[str, Any] = {
                "id": f"urn:li:{kind}:70{i}",
                "author": ORG,
                "commentary": f"post {i} \\(with a reserved char\\)",
                "createdAt": 1764800000000 - 3_600_000 * i,
                "publishedAt": 1764800000000 - 3_600_000 * i,
                "lifecycleState": "PUBLISHED",
                "visibility": "PUBLIC",
            }
            if content:
                row["content"] = content
            self.posts.append(row)
        self.headers: list[httpx.Headers] = []

    def statistics(self, request: httpx.Request) -> httpx.Response:
        self.headers.append(request.headers)
        raw = request.url.query.decode()
        assert "q=organizationalEntity" in raw
        asked = list_param(raw, "shares") + list_param(raw, "ugcPosts")
        known = {p["id"]: i for i, p in enumerate(self.posts)}
        elements = []
        for urn in asked:
            if urn in known:
                key = "share" if ":share:" in urn else "ugcPost"
                elements.append(
                    {
                        key: urn,
                        "organizationalEntity": ORG,
                        "totalShareStatistics": stats(100 * (known[urn] + 1)),
                    }
                )
        return httpx.Response(200, json={"paging": {"count": 10, "start": 0}, "elements": elements})

    def posts_route(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["q"] == "author" and params["author"] == ORG
        assert request.headers["X-RestLi-Method"] == "FINDER"
        start, count = int(params["start"]), int(params["count"])
        rows = self.posts[start : start + count]
        return httpx.Response(
            200,
            json={
                "elements": rows,
                "paging": {"start": start, "count": count, "total": len(self.posts)},
            },
        )

    def install(self, router: respx.MockRouter, followers: int = 5120) -> None:
        router.get(f"{API}/rest/networkSizes/urn%3Ali%3Aorganization%3A2414183").respond(
            json={"firstDegreeSize": followers}
        )
        router.get(f"{API}/rest/organizationalEntityShareStatistics").mock(
            side_effect=self.statistics
        )
        router.get(f"{API}/rest/posts").mock(side_effect=self.posts_route)


@pytest.fixture
def linkedin(respx_mock: respx.MockRouter) -> FakeLinkedIn:
    fake = FakeLinkedIn()
    fake.install(respx_mock)
    return fake


def test_organization_followers(
    linkedin: FakeLinkedIn, respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    reading = conn(http).account_metrics()
    assert reading.values == {"firstDegreeSize": 5120} and reading.api_version == "202511"
    request = respx_mock.calls.last.request
    assert request.url.params["edgeType"] == "COMPANY_FOLLOWED_BY_MEMBER"
    assert request.headers["LinkedIn-Version"] == "202511"
    assert measure_of("linkedin", "firstDegreeSize") == "followers"


def test_share_and_ugc_statistics_in_one_call(linkedin: FakeLinkedIn, http: httpx.Client) -> None:
    wanted = ["urn:li:share:700", "urn:li:ugcPost:701"]
    readings = {r.remote_id: r.values for r in conn(http).post_metrics(wanted)}
    assert set(readings) == set(wanted) and len(linkedin.headers) == 1
    assert readings["urn:li:ugcPost:701"]["impressionCount"] == 200
    assert "engagement" not in readings["urn:li:share:700"]  # a ratio, not a count
    assert linkedin.headers[0]["X-Restli-Protocol-Version"] == "2.0.0"
    assert {measure_of("linkedin", n) for n in readings["urn:li:share:700"]} == {
        "impressions",
        "reach",
        "clicks",
        "likes",
        "comments",
        "shares",
    }


def test_a_gone_post_is_left_out(linkedin: FakeLinkedIn, http: httpx.Client) -> None:
    readings = conn(http).post_metrics(["urn:li:share:999", "urn:li:share:702"])
    assert [r.remote_id for r in readings] == ["urn:li:share:702"]


def test_posts_page_by_start_and_count(linkedin: FakeLinkedIn, http: httpx.Client) -> None:
    c, seen, cursor, pages = conn(http), [], None, 0
    while True:
        page = c.account_posts(cursor, limit=2)
        pages += 1
        seen += [(p.remote_id, p.content_type) for p in page.posts]
        assert {r.remote_id for r in page.readings} == {p.remote_id for p in page.posts}
        assert all(p.created_at is not None for p in page.posts)
        cursor = page.cursor
        if cursor is None:
            break
    assert pages == 3
    assert [t for _, t in seen] == ["text", "image", "carousel", "link", "video"]
    assert seen[0][0] == "urn:li:share:700"
    assert c.recent_posts()[0].text == "post 0 (with a reserved char)"


def test_a_member_has_no_statistics_to_read(linkedin: FakeLinkedIn, http: httpx.Client) -> None:
    member = conn(http, author="urn:li:person:abc")
    with pytest.raises(NotSupported, match="organizations only"):
        member.account_metrics()
    with pytest.raises(NotSupported):
        member.post_metrics(["urn:li:share:700"])


def test_429_with_retry_after(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(url__startswith=f"{API}/rest/networkSizes/").respond(
        429,
        headers={"Retry-After": "3600"},
        json={"status": 429, "code": "TOO_MANY_REQUESTS", "message": "Resource level throttle"},
    )
    with pytest.raises(RateLimited) as info:
        conn(http).account_metrics()
    assert info.value.retry_after == 3600


def test_401_is_auth_expired(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{API}/rest/organizationalEntityShareStatistics").respond(
        401,
        json={
            "status": 401,
            "serviceErrorCode": 65601,
            "code": "REVOKED_ACCESS_TOKEN",
            "message": "The token used in the request has been revoked by the user",
        },
    )
    with pytest.raises(AuthExpired):
        conn(http).post_metrics(["urn:li:share:700"])
