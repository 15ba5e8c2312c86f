"""Approvals over HTTP: send for review, comment, decide; roles; signed client links."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from sociable.store.models.publish import Post, Publication
from sociable.store.models.review import ReviewComment, ReviewRequest
from sociable.web import reviews
from sociable.web.security import derive_key
from tests.web.conftest import WebApp, csrf_from
from tests.web.test_composer import add_accounts


def _soon(hours: int = 2) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0).isoformat()


def _draft(web: WebApp) -> int:
    add_accounts(web)
    with web.as_token("editor") as c:
        r = c.post(
            "/api/v1/posts",
            json={"text": "Launch day!", "accounts": ["x", "mastodon"], "draft": True},
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def test_review_round_over_the_api(web: WebApp) -> None:
    post_id = _draft(web)
    when = _soon(5)
    with web.as_token("editor") as editor:
        r = editor.post(f"/api/v1/posts/{post_id}/review-request", json={"when": when})
        assert r.status_code == 200, r.text
        assert r.json()["approval"] == "in_review" and r.json()["publications"] == []
        r = editor.post(f"/api/v1/posts/{post_id}/comments", json={"body": "Good to go?"})
        assert r.status_code == 201 and r.json()["author"] == "editor@acme.example"
        # An editor cannot decide.
        r = editor.post(f"/api/v1/posts/{post_id}/review", json={"decision": "approve"})
        assert r.status_code == 403
    with web.as_token("owner") as owner:
        r = owner.post(
            f"/api/v1/posts/{post_id}/review",
            json={"decision": "request_changes", "comment": "Add the link"},
        )
        assert r.status_code == 200 and r.json()["approval"] == "changes_requested"
    with web.as_token("editor") as editor:
        r = editor.post(f"/api/v1/posts/{post_id}/review-request", json={"when": when})
        assert r.status_code == 200
    with web.as_token("owner") as owner:
        r = owner.post(f"/api/v1/posts/{post_id}/review", json={"decision": "approve"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["approval"] == "approved"
        due = {datetime.fromisoformat(p["due_at"]) for p in body["publications"]}
        assert due == {datetime.fromisoformat(when)}  # the time asked for at submission
    with web.as_token("viewer") as viewer:
        comments = viewer.get(f"/api/v1/posts/{post_id}/comments").json()
        assert [c["decision"] for c in comments] == [None, "changes_requested", "approved"]
        assert comments[1]["body"] == "Add the link"
        assert (
            viewer.post(f"/api/v1/posts/{post_id}/comments", json={"body": "x"}).status_code == 403
        )


def test_review_routes_need_auth_and_the_workspace(web: WebApp) -> None:
    post_id = _draft(web)
    anon = web.client()
    assert anon.get(f"/api/v1/posts/{post_id}/comments").status_code == 401
    assert (
        anon.post(f"/api/v1/posts/{post_id}/review", json={"decision": "approve"}).status_code
        == 401
    )
    with web.as_token("owner") as owner:
        assert owner.get("/api/v1/posts/999999/comments").status_code == 404
        r = owner.post(f"/api/v1/posts/{post_id}/review-link", json={})
        assert r.status_code == 400 and "not in review" in r.json()["detail"]
    with web.as_token("editor") as editor:
        assert editor.post(f"/api/v1/posts/{post_id}/review-link", json={}).status_code == 403


def test_submit_refuses_a_past_time_and_scheduled_posts(web: WebApp) -> None:
    post_id = _draft(web)
    with web.as_token("editor") as editor:
        r = editor.post(
            f"/api/v1/posts/{post_id}/review-request", json={"when": "2020-01-01T09:00Z"}
        )
        assert r.status_code == 400 and "past" in r.json()["detail"]
        r = editor.post("/api/v1/posts", json={"text": "Now", "accounts": ["x"], "when": _soon()})
        r = editor.post(f"/api/v1/posts/{r.json()['id']}/review-request", json={})
        assert r.status_code == 400
    with web.db.session() as s:
        assert s.get(Post, post_id).approval == "draft"  # type: ignore[union-attr]


def _client_link(web: WebApp, post_id: int) -> str:
    with web.as_token("editor") as editor:
        assert (
            editor.post(
                f"/api/v1/posts/{post_id}/review-request", json={"when": _soon(6)}
            ).status_code
            == 200
        )
    with web.as_token("owner") as owner:
        r = owner.post(f"/api/v1/posts/{post_id}/review-link", json={"days": 3})
        assert r.status_code == 201, r.text
        return str(r.json()["url"])


def test_client_link_approves_once_without_an_account(web: WebApp) -> None:
    post_id = _draft(web)
    url = _client_link(web, post_id)
    assert url.startswith(web.base + "/r/")
    client = httpx.Client(follow_redirects=False, timeout=10)
    page = client.get(url)
    assert page.status_code == 200 and "Launch day!" in page.text and "x:@acme" in page.text
    csrf = csrf_from(page.text)
    r = client.post(
        url, data={"action": "comment", "name": "Dana", "body": "Love it", "csrf_token": csrf}
    )
    assert r.status_code == 200 and "Love it" in r.text
    # Without the CSRF token from the page: refused, nothing decided.
    r = client.post(url, data={"action": "approve", "name": "Dana", "csrf_token": "nope"})
    assert r.status_code == 403
    r = client.post(url, data={"action": "approve", "name": "Dana", "csrf_token": csrf})
    assert r.status_code == 200 and "Approved" in r.text
    with web.db.session() as s:
        post = s.get(Post, post_id)
        assert post is not None and post.approval == "approved"
        assert len(s.scalars(select(Publication)).all()) == 2
        authors = {c.author_name for c in s.scalars(select(ReviewComment))}
        assert authors == {"client: Dana"}
    # Decided: the link no longer works.
    again = client.get(url)
    assert again.status_code == 410 and "already decided" in again.text
    r = client.post(url, data={"action": "request_changes", "csrf_token": csrf})
    assert r.status_code == 410
    with web.db.session() as s:
        assert s.get(Post, post_id).approval == "approved"  # type: ignore[union-attr]


class _FourDaysAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 4 * 86400


def test_client_link_expires_and_rejects_tampering(web: WebApp) -> None:
    post_id = _draft(web)
    url = _client_link(web, post_id)
    token = url.rsplit("/", 1)[1]
    client = httpx.Client(follow_redirects=False, timeout=10)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"{web.base}/r/{tampered}").status_code == 410
    # Signed with the right key but issued 4 days ago for 3 days: expired.
    key = derive_key(b"k" * 44, "review-link")
    serializer = URLSafeTimedSerializer(key, salt="sociable-review-link")
    payload = serializer.loads(token)
    old = serializer.dumps(payload)
    stamp = URLSafeTimedSerializer(key, salt="sociable-review-link", signer=_FourDaysAgo)
    expired = stamp.dumps(payload)
    assert client.get(f"{web.base}/r/{old}").status_code == 200
    r = client.get(f"{web.base}/r/{expired}")
    assert r.status_code == 410 and "expired" in r.text
    # A link signed with another secret is not valid.
    foreign = URLSafeTimedSerializer("other", salt="sociable-review-link").dumps(payload)
    assert client.get(f"{web.base}/r/{foreign}").status_code == 410


def test_review_pages_for_the_team(web: WebApp) -> None:
    post_id = _draft(web)
    editor = web.login("editor@acme.example")
    page = editor.get(f"/posts/{post_id}")
    assert page.status_code == 200 and "Send for review" in page.text
    r = editor.post(f"/posts/{post_id}/submit", data={"when": "2020-01-01T09:00"})
    assert r.status_code == 400 and "in the past" in r.text
    r = editor.post(f"/posts/{post_id}/submit", data={"when": ""})
    assert r.status_code == 303
    r = editor.post(f"/posts/{post_id}/comment", data={"body": "Please check the hashtag"})
    assert r.status_code == 303
    assert editor.post(f"/posts/{post_id}/decide", data={"decision": "approve"}).status_code == 403
    owner = web.login("owner@acme.example")
    page = owner.get(f"/posts/{post_id}")
    assert "Please check the hashtag" in page.text and "the next free slots" in page.text
    r = owner.post(f"/posts/{post_id}/link", data={"days": "2"})
    assert r.status_code == 200
    link = re.search(r'<code id="client-link">([^<]+)</code>', r.text)
    assert link and "/r/" in link.group(1)
    when = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = owner.post(
        f"/posts/{post_id}/decide", data={"decision": "approve", "when": when, "body": "Ship it"}
    )
    assert r.status_code == 303, r.text
    page = owner.get(f"/posts/{post_id}")
    assert "approved" in page.text and "Ship it" in page.text


def test_review_times_read_in_the_workspace_zone_and_locale(web: WebApp) -> None:
    """Europe/Paris: when a round started and when each comment was written, in Paris time
    and French formats, for the team and for a client with a link (no account)."""
    post_id = _draft(web)
    url = _client_link(web, post_id)
    with web.as_token("editor") as editor:
        r = editor.post(f"/api/v1/posts/{post_id}/comments", json={"body": "Good to go?"})
        assert r.status_code == 201
    with web.db.session() as s:
        round_ = s.scalars(select(ReviewRequest).where(ReviewRequest.post_id == post_id)).one()
        round_.created_at = datetime(2026, 10, 24, 22, 45, tzinfo=UTC)  # 00:45 CEST, next day
        comment = s.scalars(select(ReviewComment)).one()
        comment.created_at = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)  # 09:30 CET
    owner = web.login("owner@acme.example")
    page = owner.get(f"/posts/{post_id}").text
    assert "In review since <time" in page and ">25 oct. 00:45</time> (Europe/Paris);" in page
    assert ">5 janv. 09:30</time>" in page and "Times in Europe/Paris." in page
    assert " UTC" not in page
    listing = owner.get("/reviews").text
    assert "Since (Europe/Paris)" in listing and ">25 oct. 00:45</time>" in listing
    client_page = httpx.Client(timeout=10).get(url).text  # rendered without a member
    assert ">5 janv. 09:30</time>" in client_page and "Times in Europe/Paris." in client_page


def test_link_key_is_derived_from_the_secret() -> None:
    assert reviews.LINK_DAYS <= reviews.MAX_LINK_DAYS
    assert derive_key(b"a" * 44, "review-link") != derive_key(b"a" * 44, "web-session")


def test_approvals_page_lists_posts_by_review_state(web: WebApp) -> None:
    post_id = _draft(web)
    other = _draft_text(web, "Second draft")
    with web.as_token("editor") as editor:
        r = editor.post(f"/api/v1/posts/{post_id}/review-request", json={"when": _soon(30)})
        assert r.status_code == 200
    page = web.login("viewer@acme.example").get("/reviews")
    assert page.status_code == 200
    waiting, changes, drafts = page.text.split("<h2>")[1:4]
    assert f"/posts/{post_id}" in waiting and f"/posts/{other}" not in waiting
    assert "None." in changes
    assert f"/posts/{other}" in drafts and f"/posts/{post_id}" not in drafts
    assert web.client().get("/reviews").status_code == 303


def _draft_text(web: WebApp, text: str) -> int:
    with web.as_token("editor") as c:
        r = c.post("/api/v1/posts", json={"text": text, "accounts": ["x"], "draft": True})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def test_huge_or_unknown_ids_are_client_errors(web: WebApp) -> None:
    owner = web.login("owner@acme.example")
    assert owner.get(f"/posts/{2**70}").status_code == 422
    assert owner.get("/posts/123456").status_code == 404
    assert owner.post(f"/calendar/publications/{2**40}/retry").status_code == 422
    assert owner.post(f"/posts/{2**40}/comment", data={"body": "x"}).status_code == 422
