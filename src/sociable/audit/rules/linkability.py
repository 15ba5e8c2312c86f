"""SMO1xx, increase linkability: canonical, stable URLs, sitemap, internal links, freshness."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

from sociable.audit.rules.base import NOT_CHECKED, Outcome, PageContext, check
from sociable.audit.rules.util import feed_infos, is_article
from sociable.rules import Severity

CAT = "linkability"
UNSTABLE_PARAMS = (
    "utm_",
    "sessionid",
    "session_id",
    "sid",
    "jsessionid",
    "phpsessid",
    "fbclid",
    "gclid",
    "mc_eid",
)
STALE_AFTER = timedelta(days=180)


@check(
    "SMO101",
    "Page has no canonical URL",
    why="Shares of the same page under different URLs split their counts and comments.",
    fix='Add <link rel="canonical" href="https://..."> with the page\'s one public URL.',
    severity=Severity.WARNING,
    category=CAT,
)
def canonical_missing(ctx: PageContext) -> Outcome:
    if ctx.meta.canonical:
        return []
    return [("no <link rel=canonical>", "canonical: (missing)")]


@check(
    "SMO102",
    "Canonical URL is not absolute",
    why="Crawlers that do not resolve relative canonicals attribute shares to the wrong URL.",
    fix="Write the canonical as a full URL with scheme and host.",
    severity=Severity.WARNING,
    category=CAT,
)
def canonical_relative(ctx: PageContext) -> Outcome:
    raw = ctx.meta.canonical_raw
    if raw is None:
        return None
    if raw.lower().startswith(("http://", "https://")):
        return []
    return [(f"canonical {raw!r} is relative", f'<link rel="canonical" href="{raw}">')]


@check(
    "SMO103",
    "Canonical URL points to another host",
    why="Networks credit the shared link to the canonical host; a wrong host sends the "
    "traffic elsewhere (Mastodon ignores such canonicals).",
    fix="Point the canonical at this site, unless the content really lives elsewhere.",
    severity=Severity.INFO,
    category=CAT,
)
def canonical_other_host(ctx: PageContext) -> Outcome:
    canonical = ctx.meta.canonical
    if not canonical:
        return None
    if _host(canonical) == _host(ctx.meta.url):
        return []
    return [
        (
            f"canonical host {_host(canonical)} differs from {_host(ctx.meta.url)}",
            f"canonical: {canonical}",
        )
    ]


@check(
    "SMO104",
    "Shared URL is not stable",
    why="Session ids and tracking parameters in og:url or the canonical make every share "
    "a different URL, so counts and previews never add up.",
    fix="Remove session and tracking parameters from og:url and the canonical URL.",
    severity=Severity.WARNING,
    category=CAT,
)
def unstable_url(ctx: PageContext) -> Outcome:
    hits = []
    for label, value in (("og:url", ctx.meta.first("og:url")), ("canonical", ctx.meta.canonical)):
        if not value:
            continue
        try:
            params = [k.lower() for k, _ in parse_qsl(urlsplit(value).query)]
        except ValueError:
            continue
        bad = [p for p in params if p.startswith(UNSTABLE_PARAMS)]
        if bad or ";jsessionid=" in value.lower():
            hits.append((f"{label} carries {', '.join(bad) or 'jsessionid'}", f"{label}: {value}"))
    return hits


@check(
    "SMO105",
    "Site has no sitemap",
    why="A sitemap lets crawlers, including the networks' caches, find every shareable page.",
    fix="Publish /sitemap.xml and list it in robots.txt with a Sitemap: line.",
    severity=Severity.WARNING,
    category=CAT,
)
def no_sitemap(ctx: PageContext) -> Outcome:
    site = ctx.fetch.site if ctx.fetch else None
    if site is None or site.sitemap_present is None:
        return NOT_CHECKED
    if site.sitemap_present:
        return []
    return [("no sitemap found", site.sitemap_error or "sitemap: (missing)")]


@check(
    "SMO106",
    "Page has no internal links",
    why="A page that links nowhere on its own site is a dead end for visitors who arrive "
    "from a share.",
    fix="Link to related pages, the home page or the archive.",
    severity=Severity.WARNING,
    category=CAT,
)
def no_internal_links(ctx: PageContext) -> Outcome:
    if ctx.meta.links_internal:
        return []
    return [("no links to other pages of the site", "internal links: 0")]


@check(
    "SMO107",
    "Article has no publication date",
    why="Networks and readers show the date; undated articles look stale and cannot feed a feed.",
    fix="Add article:published_time (ISO 8601), JSON-LD datePublished or <time datetime>.",
    severity=Severity.WARNING,
    category=CAT,
)
def article_undated(ctx: PageContext) -> Outcome:
    if not is_article(ctx.meta):
        return None
    m = ctx.meta
    if (
        m.first("article:published_time")
        or m.times
        or any(item.get("datePublished") for item in m.jsonld_items())
    ):
        return []
    return [("an article without a publication date", "article:published_time: (missing)")]


@check(
    "SMO108",
    "Feed has no recent items",
    why="A feed whose newest item is months old tells followers and aggregators the site "
    "is dormant.",
    fix="Publish, or make sure new posts reach the feed (check its generator).",
    severity=Severity.WARNING,
    category=CAT,
)
def stale_feed(ctx: PageContext) -> Outcome:
    if not ctx.meta.feeds:
        return None
    infos = feed_infos(ctx)
    if infos is None:
        return NOT_CHECKED
    hits = []
    for info in infos:
        if not info.ok or not info.item_dates:
            continue
        newest = max(info.item_dates)
        if ctx.now - newest > STALE_AFTER:
            hits.append((f"newest item is from {newest.date().isoformat()}", f"feed: {info.url}"))
    return hits


@check(
    "SMO109",
    "Page has no language",
    why="Networks pick fonts, translation offers and audiences from the language.",
    fix='Set <html lang="en"> (or og:locale).',
    severity=Severity.INFO,
    category=CAT,
)
def no_lang(ctx: PageContext) -> Outcome:
    if ctx.meta.lang or ctx.meta.first("og:locale"):
        return []
    return [("no html lang or og:locale", "<html>: no lang attribute")]


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host
