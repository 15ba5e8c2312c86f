"""social_post: one row per post per account, whatever source saw it first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from hypothesis import given
from hypothesis import strategies as st
from mastodon_mock.testing.server import MockServer
from sqlalchemy import func, select

from sociable.analytics.measures import CONTENT_TYPES, content_type
from sociable.analytics.posts import PostFacts, record_published, upsert
from sociable.collect.run import collect_once
from sociable.publish.connectors.base import PublishRequest
from sociable.publish.connectors.mastodon import MastodonConnector
from sociable.store.db import Database
from sociable.store.models.analytics import SocialPost, dedupe_key
from tests.collect.test_collect import T0, http, mock, post_as, published, server, setup
from tests.publish.factories import account, workspace

__all__ = ["http", "mock", "server"]


def rows(db: Database) -> list[SocialPost]:
    with db.read_session() as s:
        found = list(s.scalars(select(SocialPost).order_by(SocialPost.id)))
        s.expunge_all()
        return found


def test_upsert_is_idempotent_and_completes_what_was_missing(db: Database) -> None:
    with db.session() as s:
        ws = workspace(s)
        acc = account(s, ws, network="mastodon", handle="@a")
        facts = PostFacts(acc.id, "mastodon", T0, "Hello #Launch #launch #sale", remote_id="1")
        first, created = upsert(s, ws.id, facts, "timeline")
        assert created and first.hashtags == ["launch", "sale"]
        again = PostFacts(acc.id, "mastodon", T0, "", remote_id="1", campaign="spring")
        second, created = upsert(s, ws.id, again, "import")
        assert not created and second.id == first.id
        assert second.campaign == "spring" and second.text.startswith("Hello")
        assert second.source == "timeline"  # the first source stays the row's origin
        assert s.scalar(select(func.count()).select_from(SocialPost)) == 1


@given(
    text=st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=40),
    second=st.integers(0, 59),
)
def test_a_post_without_an_id_is_known_by_minute_and_normalised_text(
    text: str, second: int
) -> None:
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    key = dedupe_key(None, at, text)
    assert key == dedupe_key(None, at.replace(second=second), f"  {text.casefold()}\n")
    assert key != dedupe_key(None, at + timedelta(minutes=1), text)
    assert len(key) <= 64 and key.startswith("fp:")


@given(st.one_of(st.none(), st.text(max_size=20)))
def test_content_type_is_always_a_known_type_or_none(word: str | None) -> None:
    kind = content_type(word)
    assert kind is None or kind in CONTENT_TYPES
    if word is not None and word.strip().lower() in CONTENT_TYPES:
        assert kind == word.strip().lower()


def test_facebook_words_map_to_types() -> None:
    assert [content_type(w) for w in ("Status", "Photo", "Link", "Video", "Reels", "Poll")] == [
        "text",
        "image",
        "link",
        "video",
        "reel",
        "other",
    ]


def test_collection_records_timeline_and_published_posts_once(
    db: Database, mock: MockServer, http: httpx.Client
) -> None:
    account_id = setup(db, mock)
    conn = MastodonConnector({"token": "alice_token"}, {"instance": mock.base_url}, http)
    ours = conn.publish(PublishRequest(1, "through sociable", idempotency_key="k1"))
    pub_id = published(db, account_id, ours.remote_id, T0 - timedelta(hours=2))
    elsewhere = post_as(mock, "alice_token", "from the app")
    reply = post_as(mock, "alice_token", "and more", in_reply_to_id=elsewhere)

    collect_once(db, T0, http=http)
    collect_once(db, T0 + timedelta(hours=1), http=http)
    found = {r.remote_id: r for r in rows(db)}
    assert set(found) == {ours.remote_id, elsewhere, reply}
    assert found[ours.remote_id].publication_id == pub_id
    assert found[elsewhere].publication_id is None and found[elsewhere].source == "timeline"
    assert found[elsewhere].content_type == "text"
    assert found[reply].content_type == "thread"
    with db.session() as s:  # and once more from the publications: nothing new
        assert record_published(s, found[elsewhere].workspace_id, account_id) == 0
