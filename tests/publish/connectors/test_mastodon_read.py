"""Mastodon's read side against the real ``mastodon-mock``: other users favourite, boost,
reply and follow, and the connector reads the counts back."""

from __future__ import annotations

import httpx
import pytest
from mastodon_mock.testing.server import MockServer

from sociable.publish.connectors.base import PublishRequest, RateLimited
from tests.publish.connectors.test_mastodon import connector, fault, mock, server

__all__ = ["mock", "server"]  # the fixtures, shared with the write-side tests


def act(srv: MockServer, token: str, path: str, **body: object) -> dict[str, object]:
    response = httpx.post(
        f"{srv.base_url}{path}", headers={"Authorization": f"Bearer {token}"}, json=body or None
    )
    response.raise_for_status()
    return dict(response.json())


def test_post_metrics_count_what_others_did(mock: MockServer, http: httpx.Client) -> None:
    alice = connector(mock, http)
    post = alice.publish(PublishRequest(1, "measure me", idempotency_key="m1")).remote_id
    quiet = alice.publish(PublishRequest(2, "nobody saw this", idempotency_key="m2")).remote_id
    for token in ("bob_token", "carol_token"):
        act(mock, token, f"/api/v1/statuses/{post}/favourite")
    act(mock, "bob_token", f"/api/v1/statuses/{post}/reblog")
    act(mock, "carol_token", "/api/v1/statuses", status="nice", in_reply_to_id=post)

    readings = {r.remote_id: r for r in alice.post_metrics([post, quiet])}
    assert readings[post].values == {"favourites_count": 2, "reblogs_count": 1, "replies_count": 1}
    assert readings[quiet].values == {"favourites_count": 0, "reblogs_count": 0, "replies_count": 0}
    assert readings[post].api_version == "v1"


def test_a_deleted_post_is_left_out_not_fatal(mock: MockServer, http: httpx.Client) -> None:
    alice = connector(mock, http)
    kept = alice.publish(PublishRequest(3, "kept", idempotency_key="m3")).remote_id
    gone = alice.publish(PublishRequest(4, "gone", idempotency_key="m4")).remote_id
    httpx.delete(
        f"{mock.base_url}/api/v1/statuses/{gone}", headers={"Authorization": "Bearer alice_token"}
    ).raise_for_status()
    assert [r.remote_id for r in alice.post_metrics([gone, kept])] == [kept]


def test_account_metrics_follow_the_network(mock: MockServer, http: httpx.Client) -> None:
    alice = connector(mock, http)
    before = alice.account_metrics().values
    act(mock, "carol_token", f"/api/v1/accounts/{alice.settings['account_id']}/follow")
    alice.publish(PublishRequest(5, "one more", idempotency_key="m5"))
    after = alice.account_metrics().values
    assert set(after) == {"followers_count", "following_count", "statuses_count"}
    assert after["followers_count"] == before["followers_count"] + 1
    assert after["statuses_count"] == before["statuses_count"] + 1
    assert after["following_count"] == before["following_count"]


def test_account_posts_page_with_a_cursor(mock: MockServer, http: httpx.Client) -> None:
    alice = connector(mock, http)
    made = [
        alice.publish(PublishRequest(10 + i, f"post {i}", idempotency_key=f"p{i}")).remote_id
        for i in range(3)
    ]
    act(mock, "bob_token", f"/api/v1/statuses/{made[0]}/favourite")
    seen: list[str] = []
    likes: dict[str, int] = {}
    cursor: str | None = None
    pages = 0
    while True:
        page = alice.account_posts(cursor, limit=2)
        pages += 1
        seen += [p.remote_id for p in page.posts]
        likes.update({str(r.remote_id): r.values["favourites_count"] for r in page.readings})
        cursor = page.cursor
        if cursor is None:
            break
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    assert pages >= 2
    assert likes[made[0]] == 1 and likes[made[1]] == 0


def test_a_rate_limited_read_says_when(mock: MockServer, http: httpx.Client) -> None:
    fault(mock, match={"path": "/api/v1/accounts/verify_credentials"}, effect={"type": "ratelimit"})
    with pytest.raises(RateLimited) as info:
        connector(mock, http).account_metrics()
    assert info.value.retry_after == 300
