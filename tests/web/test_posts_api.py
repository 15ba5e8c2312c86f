"""Posts and publications over the API: created through the same checks as the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from sociable.publish import states
from sociable.store.models.publish import Publication, PubState
from tests.web.conftest import WebApp


def _soon(minutes: int = 60) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).replace(microsecond=0).isoformat()


def _accounts(web: WebApp) -> None:
    with web.as_token("owner") as c:
        for body in (
            {"network": "x", "handle": "@acme"},
            {
                "network": "mastodon",
                "handle": "@acme@m.example",
                "settings": {"instance": "https://m.example"},
            },
        ):
            assert c.post("/api/v1/accounts", json=body).status_code == 201


def test_create_list_reschedule_cancel(web: WebApp) -> None:
    _accounts(web)
    with web.as_token("editor") as c:
        r = c.post(
            "/api/v1/posts",
            json={
                "text": "Fresh beans today https://acme.example/beans #coffee",
                "accounts": ["x", "mastodon"],
                "when": _soon(),
                "campaign": "beans",
            },
        )
        assert r.status_code == 201, r.text
        post = r.json()
        assert {v["account_id"] for v in post["variants"]} and len(post["publications"]) == 2
        assert all(p["state"] == "scheduled" for p in post["publications"])

        rows = c.get("/api/v1/publications", params={"campaign": "beans"}).json()
        assert {row["network"] for row in rows} == {"x", "mastodon"}

        later = _soon(60 * 24 * 3)
        moved = c.post(f"/api/v1/posts/{post['id']}/reschedule", json={"when": later}).json()
        due = {datetime.fromisoformat(p["due_at"]) for p in moved["publications"]}
        assert due == {datetime.fromisoformat(later)}

        detail = c.get(f"/api/v1/publications/{rows[0]['id']}").json()
        assert [e["to_state"] for e in detail["events"]] == ["scheduled", "scheduled"]

        # Cancelling keeps the post readable, so it is a POST; DELETE is not offered.
        gone = c.delete(f"/api/v1/posts/{post['id']}")
        assert gone.status_code == 405 and "POST" not in gone.headers.get("allow", "")
        cancelled = c.post(f"/api/v1/posts/{post['id']}/cancel")
        assert cancelled.status_code == 200
        assert {p["state"] for p in cancelled.json()["publications"]} == {"cancelled"}
        states_now = {
            p["state"] for p in c.get(f"/api/v1/posts/{post['id']}").json()["publications"]
        }
        assert states_now == {"cancelled"}


def test_too_long_for_one_network_creates_nothing(web: WebApp) -> None:
    _accounts(web)
    with web.as_token("editor") as c:
        r = c.post(
            "/api/v1/posts",
            json={"text": "word " * 120, "accounts": ["x", "mastodon"], "when": _soon()},
        )
        assert r.status_code == 400
        assert "x" in r.json()["detail"].lower()
        assert c.get("/api/v1/posts").json() == []


def test_bad_input_is_a_clear_400(web: WebApp) -> None:
    _accounts(web)
    with web.as_token("editor") as c:
        past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        for body, words in (
            ({"text": "hi", "accounts": ["x"], "when": past}, "past"),
            ({"text": "hi", "accounts": ["nope"], "when": _soon()}, "unknown account"),
            ({"text": "hi", "accounts": ["x"], "when": "next tuesday-ish"}, "iso 8601"),
        ):
            r = c.post("/api/v1/posts", json=body)
            assert r.status_code == 400, (body, r.text)
            assert words in r.json()["detail"].lower(), r.json()
        assert c.get("/api/v1/posts").json() == []


def test_viewer_cannot_write_and_editor_cannot_approve(web: WebApp) -> None:
    _accounts(web)
    with web.as_token("viewer") as c:
        r = c.post("/api/v1/posts", json={"text": "hi", "accounts": ["x"], "when": _soon()})
        assert r.status_code == 403
    with web.as_token("editor") as c:
        draft = c.post(
            "/api/v1/posts", json={"text": "hi", "accounts": ["x"], "draft": True}
        ).json()
        assert draft["approval"] == "draft" and draft["publications"] == []
        assert (
            c.post(f"/api/v1/posts/{draft['id']}/approve", json={"when": _soon()}).status_code
            == 403
        )
    with web.as_token("owner") as c:
        ok = c.post(f"/api/v1/posts/{draft['id']}/approve", json={"when": _soon()}).json()
        assert ok["approval"] == "approved" and len(ok["publications"]) == 1


def test_retry_rules(web: WebApp) -> None:
    _accounts(web)
    with web.as_token("editor") as c:
        post = c.post(
            "/api/v1/posts", json={"text": "hi", "accounts": ["x", "mastodon"], "when": _soon()}
        ).json()
    ids = [p["id"] for p in post["publications"]]
    with web.db.session() as s:
        first, second = (s.get(Publication, i) for i in ids)
        for pub, path in (
            (first, ["claimed", "sending", "failed"]),
            (second, ["claimed", "sending", "unknown"]),
        ):
            for to in path:
                states.transition(
                    s, pub, to, worker="t", error="boom" if to in ("failed", "unknown") else None
                )
    with web.as_token("editor") as c:
        retried = c.post(f"/api/v1/publications/{ids[0]}/retry")
        assert retried.status_code == 200 and retried.json()["state"] == "scheduled"
        refused = c.post(f"/api/v1/publications/{ids[1]}/retry")
        assert refused.status_code == 409 and "reconciliation" in refused.json()["detail"]
    with web.db.session() as s:
        assert (
            s.scalar(select(Publication.state).where(Publication.id == ids[1]))
            == PubState.UNKNOWN.value
        )
