"""SMO5xx, help content travel: feeds, oEmbed, image alt text."""

from __future__ import annotations

from sociable.audit.rules.base import NOT_CHECKED, Outcome, PageContext, check
from sociable.audit.rules.util import feed_infos
from sociable.rules import Severity

CAT = "travel"
OEMBED_TYPES = ("photo", "video", "link", "rich")


@check(
    "SMO501",
    "Page links no feed",
    why="RSS/Atom carry every new post to readers, aggregators and auto-posting tools.",
    fix='Add <link rel="alternate" type="application/rss+xml" href="/feed.xml"> '
    "(`sociable feed` builds one for a static blog).",
    severity=Severity.WARNING,
    category=CAT,
)
def no_feed(ctx: PageContext) -> Outcome:
    if ctx.meta.feeds:
        return []
    site = ctx.fetch.site if ctx.fetch else None
    if site and site.feeds:
        url = next(iter(site.feeds))
        return [(f"the site has a feed ({url}) but this page does not link it", "feeds: 0")]
    return [("no <link rel=alternate> to an RSS, Atom or JSON feed", "feeds: 0")]


@check(
    "SMO502",
    "Feed is broken",
    why="A feed that does not load or parse reaches nobody.",
    fix="Serve valid RSS 2.0 or Atom (check it with a feed validator).",
    severity=Severity.ERROR,
    category=CAT,
)
def broken_feed(ctx: PageContext) -> Outcome:
    if not ctx.meta.feeds:
        return None
    infos = feed_infos(ctx)
    if infos is None:
        return NOT_CHECKED
    return [(f"feed error: {i.error or 'not a feed'}", f"feed: {i.url}") for i in infos if not i.ok]


@check(
    "SMO503",
    "Feed has no items",
    why="An empty feed gives subscribers nothing to share.",
    fix="Include the latest posts in the feed.",
    severity=Severity.WARNING,
    category=CAT,
)
def empty_feed(ctx: PageContext) -> Outcome:
    if not ctx.meta.feeds:
        return None
    infos = feed_infos(ctx)
    if infos is None:
        return NOT_CHECKED
    return [("feed has no items", f"feed: {i.url}") for i in infos if i.ok and not i.item_count]


@check(
    "SMO504",
    "No oEmbed discovery",
    why="oEmbed lets Slack, Mastodon, WordPress and others embed the content itself, not "
    "only a link card.",
    fix='Add <link rel="alternate" type="application/json+oembed" href="...">.',
    severity=Severity.INFO,
    category=CAT,
)
def no_oembed(ctx: PageContext) -> Outcome:
    if ctx.meta.oembed:
        return []
    return [
        (
            "no <link type=application/json+oembed>: embeds show a link card, not the content",
            "application/json+oembed: (missing)",
        )
    ]


@check(
    "SMO505",
    "oEmbed endpoint gives no valid response",
    why="Consumers that try oEmbed first (Slack, Mastodon) fall back to a plain card or nothing.",
    fix='Return JSON with "version": "1.0" and "type" (photo, video, link or rich).',
    severity=Severity.WARNING,
    category=CAT,
)
def bad_oembed(ctx: PageContext) -> Outcome:
    if not ctx.meta.oembed:
        return None
    result = ctx.fetch.oembed if ctx.fetch else None
    if result is None:
        return NOT_CHECKED
    if not result.ok:
        return [(f"oEmbed request failed: {result.error or result.status}", result.url)]
    data = result.data
    problems = []
    if str(data.get("version")) != "1.0":
        problems.append("version is not 1.0")
    if data.get("type") not in OEMBED_TYPES:
        problems.append(f"type {data.get('type')!r} is not photo/video/link/rich")
    return [("; ".join(problems), result.url)] if problems else []


@check(
    "SMO506",
    "Images without alt text",
    why="Images travel with their alt text into Pinterest pins, readers and screen readers.",
    fix='Give every content image an alt attribute (alt="" for decoration).',
    severity=Severity.INFO,
    category=CAT,
)
def images_without_alt(ctx: PageContext) -> Outcome:
    if not ctx.meta.images:
        return None
    missing = [i.src for i in ctx.meta.images if i.alt is None]
    if not missing:
        return []
    return [
        (
            f"{len(missing)} of {len(ctx.meta.images)} images have no alt attribute",
            ", ".join(missing[:3]),
        )
    ]
