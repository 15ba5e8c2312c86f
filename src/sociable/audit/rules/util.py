"""Small helpers shared by the audit rules."""

from __future__ import annotations

from datetime import UTC, datetime

from sociable.audit.context import FeedInfo
from sociable.audit.meta import PageMeta
from sociable.audit.rules.base import PageContext

ARTICLE_TYPES = ("Article", "NewsArticle", "BlogPosting", "TechArticle", "Report")


def is_article(meta: PageMeta) -> bool:
    return (meta.first("og:type") or "").lower() == "article" or bool(
        meta.jsonld_of_type(*ARTICLE_TYPES)
    )


def parse_date(value: str | None) -> datetime | None:
    """An ISO 8601 date or datetime -> aware UTC datetime; None when unreadable."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def feed_infos(ctx: PageContext) -> list[FeedInfo] | None:
    """Parsed feeds this page links to; None when no one fetched or read them."""
    fetch = ctx.fetch
    if fetch is None:
        return None
    known = dict(fetch.site.feeds) if fetch.site else {}
    known.update(fetch.feeds)
    infos = [known[f.url] for f in ctx.meta.feeds if f.url in known]
    return infos or None
