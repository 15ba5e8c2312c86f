"""Audit a folder of static HTML (or one file): map files to URLs, read the site's files too.

``--base-url`` maps ``blog/post.html`` to ``https://example.com/blog/post.html`` (and
``blog/index.html`` to ``.../blog/``). robots.txt, the sitemap and feeds in the folder are read,
and card images that live in the folder are measured, so most checks run without a network.
Facts that only a live server can tell (status, redirects, compression) stay "not checked".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sociable.audit.context import FeedInfo, FetchInfo, ImageProbe, SiteInfo
from sociable.audit.engine import audit_page
from sociable.audit.extract import extract
from sociable.audit.findings import PageReport
from sociable.audit.images import dimensions, sniff_type
from sociable.audit.meta import PageMeta
from sociable.audit.robots import Robots
from sociable.audit.run import parse_feed
from sociable.audit.sitemap import SitemapError, parse_sitemap
from sociable.errors import UserError
from sociable.rules import RuleFilter

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
# Usual names of a static site's feed, with the type a <link rel=alternate> gives them.
FEED_FILES = {
    "feed.xml": "application/rss+xml",
    "rss.xml": "application/rss+xml",
    "index.xml": "application/rss+xml",
    "atom.xml": "application/atom+xml",
    "feed.atom": "application/atom+xml",
    "feed.json": "application/feed+json",
}
SKIP_DIRS = {".git", "node_modules", ".venv", "__pycache__"}
MAX_FILE_BYTES = 64 * 1024 * 1024


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """At most ``limit`` bytes of a file; an unreadable file is a one-line user error."""
    try:
        with path.open("rb") as fh:
            return fh.read(limit)
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", where=str(path)) from None


def check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"--base-url must be an absolute http(s) URL, got {base_url!r}")
    return base_url if base_url.endswith("/") else base_url + "/"


def html_files(root: Path) -> Iterator[Path]:
    """HTML files under ``root`` in a stable order (a generator: flat memory)."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if any(part in SKIP_DIRS for part in path.relative_to(root).parts):
            continue
        if path.suffix.lower() in HTML_SUFFIXES and path.is_file():
            yield path


def file_url(root: Path, path: Path, base_url: str) -> str:
    rel = path.name if root.is_file() else path.relative_to(root).as_posix()
    if rel == "index.html" or rel.endswith("/index.html"):
        rel = rel[: -len("index.html")]
    return base_url + rel


def url_to_file(root: Path, url: str, base_url: str) -> Path | None:
    """The file in the folder that serves ``url``, if any."""
    if not url.startswith(base_url) or root.is_file():
        return None
    rel = unquote(urlsplit(url[len(base_url) :]).path)
    candidate = (root / rel).resolve()
    if not candidate.is_relative_to(root.resolve()):
        return None
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


class FolderSite:
    """The site-wide files of a folder, read once and shared by every page."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root, self.base_url = root, base_url
        folder = root if root.is_dir() else root.parent
        robots_file = folder / "robots.txt"
        self.robots: Robots | None = None
        self.info = SiteInfo(base_url=base_url)
        if robots_file.is_file():
            self.robots = Robots.from_bytes(base_url + "robots.txt", read_file(robots_file))
            self.info.robots_txt_present = True
        elif root.is_dir():
            self.info.robots_txt_present = False
        self._sitemap(folder)
        self._feeds: dict[str, FeedInfo] = {}
        self._images: dict[str, ImageProbe] = {}
        if root.is_dir():  # the folder's own feeds, linked from a page or not
            for name in FEED_FILES:
                if (folder / name).is_file():
                    found = self.feed(base_url + name)
                    if found is not None:
                        self.info.feeds[found.url] = found

    def _sitemap(self, folder: Path) -> None:
        names = ["sitemap.xml", "sitemap_index.xml", "sitemap.xml.gz"]
        if self.robots:
            names += [
                urlsplit(s).path.lstrip("/")
                for s in self.robots.sitemaps
                if s.startswith(self.base_url)
            ]
        for name in names:
            path = folder / name
            if path.is_file():
                try:
                    sm = parse_sitemap(self.base_url + name, read_file(path))
                except SitemapError as exc:
                    self.info.sitemap_present, self.info.sitemap_error = False, str(exc)
                    return
                self.info.sitemap_present = True
                self.info.sitemap_urls = sm.urls[:1000]
                return
        if self.root.is_dir():
            self.info.sitemap_present = False

    def feed(self, url: str) -> FeedInfo | None:
        if url not in self._feeds:
            path = url_to_file(self.root, url, self.base_url)
            if path is None:
                return None
            try:
                self._feeds[url] = parse_feed(url, read_file(path))
            except UserError as exc:  # one unreadable feed is a finding, not the end
                self._feeds[url] = FeedInfo(url=url, ok=False, error=str(exc))
        return self._feeds[url]

    def image(self, url: str) -> ImageProbe | None:
        """Measure a card image that lives in the folder; None for images elsewhere."""
        if url in self._images:
            return self._images[url]
        if not url.startswith(self.base_url):
            return None
        path = url_to_file(self.root, url, self.base_url)
        if path is None:
            probe = ImageProbe(url, status=404, error=None)
        else:
            try:
                with path.open("rb") as fh:
                    head = fh.read(64 * 1024)
                size = path.stat().st_size
            except OSError as exc:
                probe = ImageProbe(url, error=f"cannot read {path}: {exc.strerror}")
            else:
                width, height = dimensions(head)
                probe = ImageProbe(
                    url,
                    status=200,
                    content_type=sniff_type(head),
                    size_bytes=size,
                    width=width,
                    height=height,
                )
        if self.robots:
            probe.robots = self.robots.social_access(url)
        self._images[url] = probe
        return probe

    def fetch_info(self, url: str, meta: PageMeta) -> FetchInfo:
        info = FetchInfo(url=url, site=self.info)
        if self.robots:
            info.robots = self.robots.social_access(url)
        for feed in meta.feeds:
            found = self.feed(feed.url)
            if found is not None:
                info.feeds[feed.url] = found
        for key in ("og:image", "twitter:image"):
            image = meta.first(key)
            if image:
                probe = self.image(image)
                if probe is not None:
                    info.images[image] = probe
        return info


def audit_files(
    path: str | Path,
    base_url: str,
    *,
    rule_filter: RuleFilter | None = None,
    networks: Sequence[str] = (),
    now: datetime | None = None,
) -> Iterator[PageReport]:
    """Reports for every HTML file under ``path`` (or the one file), one at a time."""
    root = Path(path)
    if not root.exists():
        raise UserError(f"{root}: no such file or folder")
    base = check_base_url(base_url)
    site = FolderSite(root, base)
    for file in html_files(root):
        url = file_url(root, file, base)
        try:
            with file.open("rb") as fh:
                html = fh.read(MAX_FILE_BYTES)
        except OSError as exc:
            yield audit_page(b"", url, FetchInfo(url, error=f"{file}: {exc.strerror}"))
            continue
        meta = extract(html, url)
        info = site.fetch_info(url, meta)
        yield audit_page(
            html, url, info, rule_filter=rule_filter, networks=networks, now=now, meta=meta
        )
