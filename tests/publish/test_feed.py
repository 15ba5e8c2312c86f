"""The feed connector: entries written atomically, served over loopback HTTP, read back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import pytest

from sociable import net
from sociable.publish.connectors.base import MediaItem, PublishRequest, Rejected
from sociable.publish.connectors.feed import FeedConnector


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A real HTTP server on loopback serving ``tmp_path``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def connector(path: Path, **settings: Any) -> FeedConnector:
    base = {"path": str(path), "title": "Acme news", "link": "https://acme.example"}
    return FeedConnector({}, base | settings, net.client(net.NetPolicy(allow_private=True)))


def fetch(url: str) -> Any:
    with net.client(net.NetPolicy(allow_private=True)) as http:
        response = http.get(url)
    assert response.status_code == 200
    return feedparser.parse(response.content)


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_published_posts_appear_in_the_served_feed(site: tuple[Path, str], fmt: str) -> None:
    root, base = site
    conn = connector(root / "social.xml", format=fmt, media_base_url=f"{base}/media")
    first = conn.publish(PublishRequest(1, "First post\nmore", idempotency_key="k1"))
    conn.publish(
        PublishRequest(
            2,
            "Second post",
            link="https://acme.example/launch",
            idempotency_key="k2",
            media=(MediaItem(Path("/x/photo.jpg"), "image/jpeg", "a photo"),),
        )
    )
    assert first.remote_id == "k1" and first.url == "https://acme.example/#k1"
    parsed = fetch(f"{base}/social.xml")
    assert parsed.bozo == 0
    assert parsed.feed.title == "Acme news"
    titles = [e.title for e in parsed.entries]
    assert titles == ["Second post", "First post"]  # newest first
    assert parsed.entries[0].link == "https://acme.example/launch"
    enclosures = [e.href for e in parsed.entries[0].enclosures]
    assert enclosures == ([f"{base}/media/photo.jpg"] if fmt == "rss" else [])


def test_sending_again_with_the_same_key_replaces_instead_of_duplicating(tmp_path: Path) -> None:
    conn = connector(tmp_path / "feed.atom")
    conn.publish(PublishRequest(1, "Hello", idempotency_key="same"))
    conn.publish(PublishRequest(1, "Hello", idempotency_key="same"))
    assert [p.remote_id for p in conn.recent_posts()] == ["same"]
    assert conn.reconcile(PublishRequest(1, "Hello", idempotency_key="same")) is not None
    assert conn.reconcile(PublishRequest(9, "Other", idempotency_key="absent")) is None


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    conn = connector(tmp_path / "feed.xml", max_entries=3)
    for i in range(5):
        conn.publish(PublishRequest(i, f"post {i}", idempotency_key=f"k{i}"))
    assert [p.remote_id for p in conn.recent_posts()] == ["k4", "k3", "k2"]
    parsed = feedparser.parse((tmp_path / "feed.xml").read_bytes())
    assert len(parsed.entries) == 3


def test_concurrent_publishers_lose_no_entry(tmp_path: Path) -> None:
    conn = connector(tmp_path / "feed.xml", max_entries=100)
    threads = [
        threading.Thread(
            target=conn.publish, args=(PublishRequest(i, f"p{i}", idempotency_key=f"k{i}"),)
        )
        for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(p.remote_id for p in conn.recent_posts(100)) == sorted(f"k{i}" for i in range(20))


def test_bad_settings_are_rejected_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(Rejected, match="no path"):
        FeedConnector({}, {}, net.client()).publish(PublishRequest(1, "x", idempotency_key="k"))
    with pytest.raises(Rejected, match="format 'json'"):
        connector(tmp_path / "f.xml", format="json").publish(
            PublishRequest(1, "x", idempotency_key="k")
        )
    (tmp_path / "f.xml.entries.json").write_text("{not json")
    with pytest.raises(Rejected, match="unreadable"):
        connector(tmp_path / "f.xml").publish(PublishRequest(1, "x", idempotency_key="k"))


def test_check_reports_the_feed_path(tmp_path: Path) -> None:
    assert connector(tmp_path / "out" / "feed.xml").check() == str(tmp_path / "out" / "feed.xml")
