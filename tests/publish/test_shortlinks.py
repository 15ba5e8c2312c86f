"""Links in published posts go through our short links, tied to the post, network, campaign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sociable.config import PublishSettings, TrackSettings
from sociable.publish import states
from sociable.publish.dispatcher import Dispatcher
from sociable.publish.shortlinks import applies, public_base
from sociable.store.db import Database
from sociable.store.models.publish import Publication
from sociable.store.models.track import ShortLink
from tests.publish import factories
from tests.publish.receiver import Receiver

TEXT = "New roast out: https://shop.example/beans?ref=home. Also https://shop.example/cups"


@pytest.mark.parametrize(
    ("base", "public"),
    [
        ("https://go.example.com/l", True),
        ("http://127.0.0.1:8000/l", False),
        ("http://localhost:8000/l", False),
        ("http://10.1.2.3/l", False),
        ("https://93.184.216.34/l", True),
    ],
)
def test_public_base(base: str, public: bool) -> None:
    assert public_base(base) is public


def test_applies_only_where_readers_can_follow() -> None:
    local = TrackSettings(base_url="http://127.0.0.1:8000/l")
    assert applies(local, "webhook") and not applies(local, "x")
    public = TrackSettings(base_url="https://go.example.com")
    assert applies(public, "x")
    assert not applies(TrackSettings(base_url="https://go.example.com", shorten_links=False), "x")


def _send(db: Database, receiver: Receiver, track: TrackSettings | None) -> tuple[int, int]:
    with db.session() as s:
        ws = factories.workspace(s)
        acc = factories.account(s, ws, credentials={"url": receiver.url, "secret": receiver.secret})
        pub = factories.publication(s, ws, acc, datetime.now(UTC) - timedelta(seconds=1), TEXT)
        pub.variant.post.campaign = "winter"
        pub_id, post_id = pub.id, pub.variant.post.id
    d = Dispatcher(db, PublishSettings(allow_private=True, concurrency=1), track=track)
    try:
        assert d.dispatch() == 1
    finally:
        d.close()
    return pub_id, post_id


def test_published_text_carries_short_links(db: Database, receiver: Receiver) -> None:
    track = TrackSettings(base_url="http://127.0.0.1:8000/l")
    pub_id, post_id = _send(db, receiver, track)
    sent = receiver.hits[-1].body["text"]
    assert "shop.example" not in sent
    with db.session() as s:
        links = s.scalars(select(ShortLink).order_by(ShortLink.id)).all()
        assert [link.url for link in links] == [
            "https://shop.example/beans?ref=home",
            "https://shop.example/cups",
        ]
        for link in links:
            assert f"http://127.0.0.1:8000/l/{link.code}" in sent
            assert (link.post_id, link.network, link.campaign) == (post_id, "webhook", "winter")
            assert "utm_source=webhook" in link.destination
        assert sent.endswith("/" + links[1].code)  # the trailing text kept, the dot stays outside
        assert f"{links[0].code}. Also" in sent
        # Sending the same post again (an evergreen re-run) reuses its links: the same text.
        pub = s.get(Publication, pub_id)
        states.schedule(s, pub.variant, datetime.now(UTC) - timedelta(seconds=1))
    d = Dispatcher(db, PublishSettings(allow_private=True, concurrency=1), track=track)
    try:
        d.dispatch()
    finally:
        d.close()
    assert receiver.hits[-1].body["text"] == sent
    with db.session() as s:
        assert len(s.scalars(select(ShortLink)).all()) == 2


def test_without_track_settings_links_are_untouched(db: Database, receiver: Receiver) -> None:
    _send(db, receiver, None)
    assert receiver.hits[-1].body["text"] == TEXT
