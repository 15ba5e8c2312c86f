"""Every link a post publishes goes through our own short link, so clicks are attributed.

Done when the publication is sent, not when the post is written: stored variants keep the
real URLs (previews and edits stay readable), and because the same URL for the same post,
network and campaign reuses its link, a retry sends exactly the same text.

A short link is only useful if the network's readers can open it: with a loopback or private
``track.base_url`` (the default before you configure a public short domain) links are left as
they are, except for local targets (webhook, feed) where a local short link works.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from sociable.config import TrackSettings
from sociable.publish.connectors.base import PublishRequest
from sociable.track.links import shorten_links_in_text

LOCAL_TARGETS = frozenset({"webhook", "feed"})


def public_base(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True  # a name: assume it is the public short domain it was set to


def applies(track: TrackSettings, network: str) -> bool:
    return track.shorten_links and (public_base(track.base_url) or network in LOCAL_TARGETS)


def route_links(
    session: Session,
    request: PublishRequest,
    *,
    track: TrackSettings,
    workspace_id: int,
    network: str,
    campaign: str | None,
    post_id: int,
) -> PublishRequest:
    """``request`` with every URL in its text, thread and first comment shortened."""
    if not applies(track, network):
        return request

    def short(text: str) -> str:
        return shorten_links_in_text(
            session,
            text,
            workspace_id=workspace_id,
            network=network,
            campaign=campaign,
            post_id=post_id,
            track=track,
        )

    return replace(
        request,
        text=short(request.text),
        thread=tuple(short(part) for part in request.thread),
        first_comment=short(request.first_comment) if request.first_comment else None,
    )
