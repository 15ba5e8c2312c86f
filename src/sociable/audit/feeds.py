"""Build an RSS or Atom feed from a folder of static HTML (a static blog without one).

Each page with a publication date becomes an item. The date comes from
article:published_time, then JSON-LD datePublished, then the first ``<time datetime>``.
Pages without a date are not articles for this purpose and are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator

from sociable.audit.cards import resolved
from sociable.audit.extract import extract
from sociable.audit.files import MAX_FILE_BYTES, check_base_url, file_url, html_files
from sociable.audit.meta import PageMeta
from sociable.audit.rules.util import parse_date
from sociable.errors import UserError

MAX_ITEMS = 50


@dataclass(slots=True)
class Entry:
    url: str
    title: str
    description: str | None
    published: datetime
    date_source: str
    author: str | None = None


def page_date(meta: PageMeta) -> tuple[datetime, str] | None:
    """The page's publication date and where it came from, or None."""
    value = parse_date(meta.first("article:published_time"))
    if value:
        return value, "article:published_time"
    for item in meta.jsonld_items():
        raw = item.get("datePublished")
        value = parse_date(raw) if isinstance(raw, str) else None
        if value:
            return value, "json-ld datePublished"
    for stamp in meta.times:
        value = parse_date(stamp)
        if value:
            return value, "<time datetime>"
    return None


def collect(path: Path, base_url: str) -> tuple[list[Entry], PageMeta | None, int]:
    """Dated entries (newest first), the home page's meta, and how many pages were skipped."""
    entries: list[Entry] = []
    home: PageMeta | None = None
    skipped = 0
    for file in html_files(path):
        url = file_url(path, file, base_url)
        with file.open("rb") as fh:
            meta = extract(fh.read(MAX_FILE_BYTES), url)
        if url == base_url:
            home = meta
            continue
        dated = page_date(meta)
        res = resolved(meta)
        if dated is None or not meta.is_html or not res["title"]:
            skipped += 1
            continue
        author = meta.first("author") or meta.first("article:author")
        entries.append(
            Entry(res["url"] or url, res["title"] or url, res["description"], *dated, author)
        )
    entries.sort(key=lambda e: e.published, reverse=True)
    return entries, home, skipped


def build_feed(
    path: str | Path,
    base_url: str,
    fmt: str = "rss",
    *,
    title: str | None = None,
    limit: int = MAX_ITEMS,
) -> bytes:
    """The feed document for the static site under ``path``."""
    if fmt not in ("rss", "atom"):
        raise UserError(f"feed format must be rss or atom, got {fmt!r}")
    root = Path(path)
    if not root.is_dir():
        raise UserError(f"{root}: not a folder")
    base = check_base_url(base_url)
    entries, home, skipped = collect(root, base)
    if not entries:
        raise UserError(
            f"{root}: no page has a date (article:published_time, JSON-LD datePublished or "
            f"<time datetime>); {skipped} page(s) checked"
        )
    site = resolved(home) if home else {}
    feed_title = title or site.get("site_name") or site.get("title") or urlsplit(base).hostname
    fg = FeedGenerator()
    fg.id(base)
    fg.title(feed_title or base)
    fg.link(href=base, rel="alternate")
    fg.link(href=base + ("feed.xml" if fmt == "rss" else "atom.xml"), rel="self")
    fg.description(site.get("description") or f"Latest from {feed_title}")
    if fmt == "atom":
        # RFC 4287: a feed needs an author unless every entry has one.
        fg.author(name=feed_title or base)
    if home and home.lang:
        fg.language(home.lang)
    fg.updated(max(e.published for e in entries))
    fg.lastBuildDate(datetime.now(UTC))
    for entry in reversed(entries[:limit]):  # feedgen prepends: add oldest first
        fe = fg.add_entry()
        fe.id(entry.url)
        fe.guid(entry.url, permalink=True)
        fe.title(entry.title)
        fe.link(href=entry.url)
        if entry.description:
            fe.description(entry.description)
        fe.published(entry.published)
        fe.updated(entry.published)
        if entry.author:
            fe.author(name=entry.author)
    data: bytes = fg.rss_str(pretty=True) if fmt == "rss" else fg.atom_str(pretty=True)
    return data
