"""Add what a page is missing for sharing, derived from the page itself.

Only insertions: missing og:/twitter: tags and a canonical link before ``</head>``, the feed
link, a share-links block before ``</body>``. Nothing is removed or reordered, the file keeps
its encoding, and a second run finds nothing to add (every addition is what the audit reads).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

from selectolax.lexbor import LexborHTMLParser

from sociable.audit.extract import collapse, decode, extract, looks_binary, sniff_encoding
from sociable.audit.files import (
    FEED_FILES,
    MAX_FILE_BYTES,
    check_base_url,
    file_url,
    html_files,
    read_file,
)
from sociable.audit.meta import ImageRef, PageMeta
from sociable.errors import UserError
from sociable.html_bounds import bound_markup

DEFAULT_SHARE = ("x", "facebook", "linkedin", "bluesky", "mastodon", "whatsapp", "email")
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_HEAD_START = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)
_HTML_START = re.compile(r"<html(\s[^>]*)?>|<!doctype[^>]*>", re.IGNORECASE)
DESCRIPTION_MAX = 200

SHARE_URLS = {
    "x": "https://x.com/intent/post?url={url}&text={title}",
    "facebook": "https://www.facebook.com/sharer/sharer.php?u={url}",
    "linkedin": "https://www.linkedin.com/sharing/share-offsite/?url={url}",
    "bluesky": "https://bsky.app/intent/compose?text={title}%20{url}",
    "mastodon": "https://mastodonshare.com/?text={title}&url={url}",
    "whatsapp": "https://wa.me/?text={title}%20{url}",
    "telegram": "https://t.me/share/url?url={url}&text={title}",
    "reddit": "https://www.reddit.com/submit?url={url}&title={title}",
    "pinterest": "https://www.pinterest.com/pin/create/button/?url={url}&description={title}",
    "email": "mailto:?subject={title}&body={url}",
}
SHARE_LABELS = {
    "x": "X",
    "facebook": "Facebook",
    "linkedin": "LinkedIn",
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "whatsapp": "WhatsApp",
    "telegram": "Telegram",
    "reddit": "Reddit",
    "pinterest": "Pinterest",
    "email": "Email",
}


@dataclass
class FileFix:
    path: Path
    url: str
    before: str
    after: str
    added: list[str]
    encoding: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self, root: Path) -> str:
        rel = self.path.relative_to(root).as_posix() if root.is_dir() else self.path.name
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{rel}",
                tofile=f"b/{rel}",
            )
        )


def _first_paragraph(html: str) -> str | None:
    tree = LexborHTMLParser(bound_markup(html).text)
    for node in tree.css("main p, article p, p"):
        text = collapse(node.text(deep=True))
        if text and len(text) >= 40:
            return text
    return None


def _h1(html: str) -> str | None:
    node = LexborHTMLParser(bound_markup(html).text).css_first("h1")
    return collapse(node.text(deep=True)) if node is not None else None


def _shorten(text: str, limit: int = DESCRIPTION_MAX) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _size(value: str | None) -> int | None:
    digits = (value or "").strip().removesuffix("px")
    return int(digits) if digits.isdigit() else None


def suitable_image(meta: PageMeta) -> ImageRef | None:
    """The first content image a network would accept as a card: http(s), a raster type,
    not declared smaller than Facebook's 200×200 minimum (icons, spacers, avatars)."""
    for img in meta.images:
        src = img.src.lower().split("?", 1)[0]
        if not img.src.startswith(("http://", "https://")) or src.endswith((".svg", ".ico")):
            continue
        width, height = _size(img.width), _size(img.height)
        if (width is not None and width < 200) or (height is not None and height < 200):
            continue
        return img
    return None


def _tag(attr: str, key: str, value: str) -> str:
    return f'<meta {attr}="{key}" content="{escape(value, quote=True)}">'


def head_additions(meta: PageMeta, html: str, url: str, feed: tuple[str, str] | None) -> list[str]:
    """The tags to add, each derived from what the page already says."""
    out: list[str] = []
    title = meta.first("og:title") or meta.first("twitter:title") or meta.title or _h1(html)
    description = (
        meta.first("og:description")
        or meta.first("twitter:description")
        or meta.first("description")
    )
    if not description:
        para = _first_paragraph(html)
        description = _shorten(para) if para else None
    canonical = meta.canonical or url
    image_alt = meta.first("og:image:alt")
    image = meta.first("og:image") or meta.first("twitter:image")
    if not image:
        img = suitable_image(meta)
        if img is not None:
            image, image_alt = img.src, image_alt or img.alt or None
    article = bool(meta.first("article:published_time") or meta.times)
    if not meta.canonical:
        out.append(f'<link rel="canonical" href="{escape(canonical, quote=True)}">')
    if title and not meta.first("og:title"):
        out.append(_tag("property", "og:title", title))
    if description and not meta.first("og:description"):
        out.append(_tag("property", "og:description", description))
    if not meta.first("og:type"):
        out.append(_tag("property", "og:type", "article" if article else "website"))
    if not meta.first("og:url"):
        out.append(_tag("property", "og:url", canonical))
    if image and not (meta.first("og:image") or meta.first("og:image:url")):
        out.append(_tag("property", "og:image", image))
    if image and image_alt and not meta.first("og:image:alt"):
        out.append(_tag("property", "og:image:alt", image_alt))
    if not meta.first("twitter:card") and (title or image):
        out.append(_tag("name", "twitter:card", "summary_large_image" if image else "summary"))
    if feed and not meta.feeds:
        href, ftype = feed
        out.append(f'<link rel="alternate" type="{ftype}" href="{escape(href, quote=True)}">')
    return out


def share_block(meta: PageMeta, url: str, networks: Sequence[str]) -> str | None:
    if meta.share_links:
        return None
    page = quote(meta.canonical or meta.first("og:url") or url, safe="")
    title = quote(meta.first("og:title") or meta.title or "", safe="")
    links = [
        f'<a href="{escape(SHARE_URLS[n].format(url=page, title=title), quote=True)}" '
        f'rel="noopener" target="_blank">{SHARE_LABELS[n]}</a>'
        for n in networks
        if n in SHARE_URLS
    ]
    if not links:
        return None
    return '<nav class="share" aria-label="Share this page">' + " ".join(links) + "</nav>"


def fix_text(
    html: str,
    url: str,
    networks: Sequence[str] = DEFAULT_SHARE,
    feed: tuple[str, str] | None = None,
) -> tuple[str, list[str]]:
    """``(new html, what was added)``; the input is returned unchanged when nothing is missing."""
    meta = _parse(html, url)
    if not meta.is_html:
        return html, []
    added = head_additions(meta, html, url, feed)
    nl = "\r\n" if "\r\n" in html else "\n"  # keep the file's line endings
    out = html
    if added:
        m = _HEAD_END.search(out)
        if m:
            block = "".join(line + nl for line in added)
            candidate = out[: m.start()] + block + out[m.start() :]
        else:
            start = _HEAD_START.search(out) or _HTML_START.search(out)
            pos = start.end() if start else 0
            block = "".join(nl + line for line in added) + nl
            candidate = out[:pos] + block + out[pos:]
        # The text position may sit inside a comment or script: keep the insertion only if
        # the parser now sees every added tag (this is also what makes a second run a no-op).
        if head_additions(_parse(candidate, url), candidate, url, feed):
            added = []
        else:
            out = candidate
    share = share_block(meta, url, networks)
    if share:
        ends = list(_BODY_END.finditer(out))
        if ends:
            pos = ends[-1].start()
            candidate = out[:pos] + share + nl + out[pos:]
        else:
            candidate = out + ("" if out.endswith(("\n", "\r")) or not out else nl) + share + nl
        if _parse(candidate, url).share_links:
            out = candidate
            added.append("share links")
    return out, added


def _parse(html: str, url: str) -> PageMeta:
    return extract(html.encode("utf-8"), url, {"content-type": "text/html; charset=utf-8"})


def find_feed(root: Path, base_url: str) -> tuple[str, str] | None:
    folder = root if root.is_dir() else root.parent
    for name, ftype in FEED_FILES.items():
        if (folder / name).is_file():
            return base_url + name, ftype
    return None


def plan_fixes(path: str | Path, base_url: str, networks: Sequence[str] = ()) -> Iterator[FileFix]:
    """A FileFix for every HTML file under ``path`` (unchanged ones included)."""
    root = Path(path)
    if not root.exists():
        raise UserError(f"{root}: no such file or folder")
    base = check_base_url(base_url)
    feed = find_feed(root, base)
    for file in html_files(root):
        if file.stat().st_size > MAX_FILE_BYTES:
            continue  # read only in part: rewriting it would lose the rest
        raw = read_file(file)
        if looks_binary(raw):
            continue
        codec, _, _, warnings = sniff_encoding(raw)
        before, used = decode(raw, codec, warnings)
        if warnings or used != codec:
            # The file does not decode cleanly: rewriting it could lose bytes. Leave it.
            continue
        url = file_url(root, file, base)
        after, added = fix_text(before, url, networks or DEFAULT_SHARE, feed)
        yield FileFix(file, url, before, after, added, codec)


def write_fix(fix: FileFix) -> None:
    data = fix.after.encode(fix.encoding)
    tmp = fix.path.with_name(fix.path.name + ".sociable-tmp")
    tmp.write_bytes(data)
    tmp.replace(fix.path)
