"""Instagram's read side at the HTTP level (respx) against the documented Graph shapes:
IG User fields for the account, the media insights edge for posts, and Meta's rule that one
unknown or deprecated metric name fails the whole insights call (error #100)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import respx

from sociable.collect.metrics import requestable
from sociable.publish.connectors.base import RateLimited
from sociable.publish.connectors.instagram import InstagramConnector

V = "https://graph.facebook.com/v23.0"


def conn(http: httpx.Client) -> InstagramConnector:
    return InstagramConnector({"token": "tok"}, {"ig_user_id": "1784"}, http)


def asked(request: httpx.Request) -> list[str]:
    return parse_qs(urlparse(str(request.url)).query)["metric"][0].split(",")


class Graph:
    """Media insights as Meta answers them; names in ``refuse`` fail any call naming them."""

    def __init__(self, refuse: frozenset[str] = frozenset(), gone: bool = False) -> None:
        self.refuse = refuse
        self.gone = gone
        self.calls: list[list[str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        names = asked(request)
        self.calls.append(names)
        if self.gone:
            message = "Unsupported get request. Object with ID '17' does not exist"
            return httpx.Response(400, json={"error": {"message": message, "code": 100}})
        bad = [n for n in names if n in self.refuse]
        if bad:
            message = f"(#100) metric[{names.index(bad[0])}] must be one of the following values"
            return httpx.Response(
                400, json={"error": {"message": message, "type": "OAuthException", "code": 100}}
            )
        data = [
            {
                "name": n,
                "period": "lifetime",
                "values": [{"value": 10 + i}],
                "id": f"17/insights/{n}/lifetime",
            }
            for i, n in enumerate(names)
        ]
        return httpx.Response(200, json={"data": data})


def test_post_insights_in_one_call(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    graph = Graph()
    respx_mock.get(f"{V}/17/insights").mock(side_effect=graph)
    (reading,) = conn(http).post_metrics(["17"])
    assert len(graph.calls) == 1
    assert graph.calls[0] == requestable("instagram", "post", _today(), "insights")
    assert "impressions" not in graph.calls[0]  # stopped on 2025-04-21: never asked
    assert set(reading.values) == set(graph.calls[0]) and reading.refused == ()
    assert reading.api_version == "v23.0"


def test_one_bad_name_costs_only_itself(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    graph = Graph(refuse=frozenset({"saved"}))
    respx_mock.get(f"{V}/17/insights").mock(side_effect=graph)
    (reading,) = conn(http).post_metrics(["17"])
    names = requestable("instagram", "post", _today(), "insights")
    assert reading.refused == ("saved",)
    assert set(reading.values) == set(names) - {"saved"}
    assert len(graph.calls) == 1 + len(names)  # the refused call, then one name at a time


def test_gone_media_is_left_out(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    respx_mock.get(f"{V}/17/insights").mock(side_effect=Graph(gone=True))
    respx_mock.get(f"{V}/18/insights").mock(side_effect=Graph())
    assert [r.remote_id for r in conn(http).post_metrics(["17", "18"])] == ["18"]


def test_throttling_is_not_mistaken_for_a_bad_name(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    route = respx_mock.get(f"{V}/17/insights").respond(
        400, json={"error": {"message": "(#4) Application request limit reached", "code": 4}}
    )
    with pytest.raises(RateLimited):
        conn(http).post_metrics(["17"])
    assert route.call_count == 1


def test_account_fields(respx_mock: respx.MockRouter, http: httpx.Client) -> None:
    route = respx_mock.get(f"{V}/1784").respond(
        json={"id": "1784", "followers_count": 5120, "follows_count": 77, "media_count": 310}
    )
    reading = conn(http).account_metrics()
    fields = parse_qs(urlparse(str(route.calls.last.request.url)).query)["fields"][0]
    assert set(fields.split(",")) == {"followers_count", "follows_count", "media_count"}
    assert reading.values == {"followers_count": 5120, "follows_count": 77, "media_count": 310}


def _today() -> date:
    return datetime.now(UTC).date()


def test_the_accounts_media_pages_by_cursor_with_kinds(
    respx_mock: respx.MockRouter, http: httpx.Client
) -> None:
    pages = {
        None: (
            [
                {
                    "id": "17",
                    "caption": "reel",
                    "timestamp": "2026-11-21T09:00:00+0000",
                    "media_type": "VIDEO",
                    "media_product_type": "REELS",
                },
                {
                    "id": "18",
                    "caption": "set",
                    "timestamp": "2026-11-20T09:00:00+0000",
                    "media_type": "CAROUSEL_ALBUM",
                    "media_product_type": "FEED",
                },
            ],
            "QVFI",
        ),
        "QVFI": (
            [
                {
                    "id": "19",
                    "caption": "one",
                    "timestamp": "2026-11-19T09:00:00+0000",
                    "media_type": "IMAGE",
                    "media_product_type": "FEED",
                }
            ],
            None,
        ),
    }

    def media(request: httpx.Request) -> httpx.Response:
        after = parse_qs(urlparse(str(request.url)).query).get("after", [None])[0]
        rows, cursor = pages[after]
        paging: dict[str, object] = {"cursors": {"after": "END"}}
        if cursor:
            paging = {"cursors": {"after": cursor}, "next": f"{V}/1784/media?after={cursor}"}
        return httpx.Response(200, json={"data": rows, "paging": paging})

    respx_mock.get(f"{V}/1784/media").mock(side_effect=media)
    for media_id in ("17", "18", "19"):
        respx_mock.get(f"{V}/{media_id}/insights").mock(side_effect=Graph())
    first = conn(http).account_posts()
    assert [(p.remote_id, p.content_type) for p in first.posts] == [
        ("17", "reel"),
        ("18", "carousel"),
    ]
    assert first.posts[0].created_at == datetime(2026, 11, 21, 9, tzinfo=UTC)
    assert {r.remote_id for r in first.readings} == {"17", "18"} and first.cursor == "QVFI"
    last = conn(http).account_posts(first.cursor)
    assert [(p.remote_id, p.content_type) for p in last.posts] == [("19", "image")]
    assert last.cursor is None
