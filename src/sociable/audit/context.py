"""Facts about a page that only a fetch can tell, filled by the crawler (or the folder reader).

Rules that need a fetched fact read it from here. ``None`` always means *not checked*: a rule
whose fact is ``None`` does not fire and does not count towards the score. It never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# The social crawlers whose view of robots.txt matters (SMO7xx).
SOCIAL_BOTS: tuple[str, ...] = (
    "facebookexternalhit",
    "Facebot",
    "Twitterbot",
    "LinkedInBot",
    "Slackbot",
    "Discordbot",
)


@dataclass(slots=True)
class ImageProbe:
    """What a HEAD / ranged GET of one image URL told us."""

    url: str
    status: int | None = None
    content_type: str | None = None
    # Size in bytes of the whole image (Content-Length or Content-Range total).
    size_bytes: int | None = None
    width: int | None = None
    height: int | None = None
    # Bot name (see SOCIAL_BOTS) -> may that bot fetch the image per robots.txt.
    robots: dict[str, bool] = field(default_factory=dict)
    final_url: str | None = None
    redirects: list[str] = field(default_factory=list)
    # Why the probe failed (timeout, refused address, ...); status may still be set.
    error: str | None = None


@dataclass(slots=True)
class FeedInfo:
    """A feed the page links to (or the folder holds), fetched and parsed."""

    url: str
    ok: bool
    kind: str | None = None  # "rss", "atom", "json"
    title: str | None = None
    item_count: int = 0
    item_dates: list[datetime] = field(default_factory=list)  # UTC, newest first if known
    error: str | None = None


@dataclass(slots=True)
class OEmbedResult:
    """The response of the page's discovered oEmbed endpoint."""

    url: str
    ok: bool
    status: int | None = None
    data: dict[str, object] = field(default_factory=dict)
    error: str | None = None


@dataclass(slots=True)
class SiteInfo:
    """Site-wide facts, shared by every page of one audit run."""

    base_url: str
    robots_txt_present: bool | None = None
    robots_txt_error: str | None = None
    sitemap_present: bool | None = None
    sitemap_urls: list[str] = field(default_factory=list)
    sitemap_error: str | None = None
    # Feed URL -> parsed feed (feeds found in the folder or fetched during the crawl).
    feeds: dict[str, FeedInfo] = field(default_factory=dict)


@dataclass(slots=True)
class FetchInfo:
    """How one page was fetched. Any field left ``None`` was not checked."""

    url: str  # the URL asked for
    final_url: str | None = None
    status: int | None = None
    # Response headers, keys lower-cased.
    headers: dict[str, str] = field(default_factory=dict)
    # Each hop before the final URL: (status, url).
    redirects: list[tuple[int, str]] = field(default_factory=list)
    # Bytes on the wire (after compression) and the content encoding used.
    wire_bytes: int | None = None
    content_encoding: str | None = None
    # Whether the request advertised compression (Accept-Encoding); None = unknown.
    compression_offered: bool | None = None
    # Bot name -> may that bot fetch the page per robots.txt. Empty = not checked.
    robots: dict[str, bool] = field(default_factory=dict)
    # Image URL (absolute, as in the page) -> probe result.
    images: dict[str, ImageProbe] = field(default_factory=dict)
    site: SiteInfo | None = None
    # Feed URL -> parsed feed, for the feeds this page links to.
    feeds: dict[str, FeedInfo] = field(default_factory=dict)
    oembed: OEmbedResult | None = None
    # A per-page error (timeout, too large, not HTML); the page is reported, the run goes on.
    error: str | None = None
    elapsed_ms: float | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())
