"""Every network connector keeps the interface's promises, checked without any network."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from sociable.publish.connectors.base import Connector, MediaItem, PublishRequest, Rejected
from sociable.publish.connectors.registry import connector_class

NETWORKS = [
    "mastodon",
    "bluesky",
    "x",
    "linkedin",
    "facebook",
    "instagram",
    "threads",
    "reddit",
    "tumblr",
]


@pytest.mark.parametrize("network", NETWORKS)
def test_registered_and_declares_capabilities(network: str) -> None:
    cls = connector_class(network)
    assert issubclass(cls, Connector) and cls.network == network
    caps = cls.capabilities
    assert caps.max_media >= 0 and (caps.max_media == 0) == (not caps.media_kinds)
    assert caps.media_kinds <= {"image", "gif", "video", "audio"}
    # reconciliation needs one of: the network's idempotency, our own key, or a listing
    assert cls.recent_posts is not Connector.recent_posts or caps.client_record_key
    if caps.token_refresh:
        assert cls.refresh is not Connector.refresh


@pytest.mark.parametrize("network", NETWORKS)
def test_too_many_media_is_refused_before_any_request(
    network: str, http: httpx.Client, png: Path
) -> None:
    cls = connector_class(network)
    settings = {
        "instance": "https://m.example",
        "service": "https://pds.example",
        "author": "urn:li:person:a",
        "page_id": "1",
        "ig_user_id": "1",
        "user_id": "1",
        "subreddit": "acme",
        "blog": "acme.tumblr.com",
        "media_base_url": "https://cdn.example",
    }
    conn = cls({"token": "t", "handle": "h", "app_password": "p"}, settings, http)
    media = tuple(MediaItem(png, "image/png") for _ in range(cls.capabilities.max_media + 1))
    with respx.mock() as router, pytest.raises(Rejected):
        conn.publish(PublishRequest(1, "text", media=media))
    assert not router.calls
