"""The live crawler: one host, breadth first, polite, bounded, streaming.

Seeds are the start URL, then the URLs of the site's sitemaps (from robots.txt, else
``/sitemap.xml``), then links found in pages. Every fetch goes through
:func:`sociable.net.async_client` (the SSRF guard checks every hop). Redirects are followed by
hand so the chain is recorded and loops are caught. Results stream out of an async iterator
through a small bounded queue: a 100k-page crawl holds only the set of seen URLs and the
frontier, never the pages.

Per-page problems (timeouts, 404, binary bodies, redirect loops, bodies over the cap) become
a :class:`FetchedPage` with ``error`` set; the crawl goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import posixpath
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import httpx
from selectolax.lexbor import LexborHTMLParser

from sociable.audit.robots import OUR_AGENT, Robots, robots_url
from sociable.audit.sitemap import SitemapError, parse_sitemap
from sociable.html_bounds import bound_markup
from sociable.net import FetchError, NetPolicy, TooLarge, async_client, read_capped

log = logging.getLogger(__name__)

T = TypeVar("T")

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Links to these are not pages; skipping them saves a request each.
ASSET_SUFFIXES = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".webp",
        ".avif",
        ".svg",
        ".ico",
        ".bmp",
        ".tif",
        ".tiff",
        ".pdf",
        ".zip",
        ".gz",
        ".tgz",
        ".bz2",
        ".xz",
        ".7z",
        ".rar",
        ".mp3",
        ".mp4",
        ".m4a",
        ".m4v",
        ".mov",
        ".avi",
        ".webm",
        ".ogg",
        ".wav",
        ".flac",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".eot",
        ".css",
        ".js",
        ".mjs",
        ".map",
        ".json",
        ".xml",
        ".rss",
        ".atom",
        ".txt",
        ".csv",
        ".exe",
        ".dmg",
        ".iso",
        ".apk",
        ".doc",
        ".docx",
        ".xls",
        ".xlsx",
        ".ppt",
        ".pptx",
    ]
)
MAX_SITEMAP_FILES = 50


@dataclass
class CrawlOptions:
    max_pages: int = 500
    concurrency: int = 8
    # Requests per second per host; 0 means no limit beyond ``concurrency``. A robots.txt
    # Crawl-delay for our agent, when slower, wins.
    rate_limit: float = 0.0
    max_bytes: int = 5 * 1024 * 1024
    timeout: float = 10.0
    max_redirects: int = 5
    use_sitemap: bool = True
    follow_links: bool = True
    respect_robots: bool = True
    allow_private: bool = False
    allow_private_hint: str = ""  # how the caller's user lifts the SSRF guard (net.NetPolicy)

    def policy(self) -> NetPolicy:
        return NetPolicy(
            allow_private=self.allow_private,
            allow_private_hint=self.allow_private_hint,
            timeout=self.timeout,
            connect_timeout=min(self.timeout, 5.0),
            max_bytes=self.max_bytes,
            max_redirects=self.max_redirects,
        )


@dataclass
class FetchedPage:
    """One page as fetched (or why it could not be)."""

    url: str
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # Each hop before the final URL: (status, url).
    redirects: list[tuple[int, str]] = field(default_factory=list)
    wire_bytes: int | None = None
    elapsed_ms: float | None = None
    error: str | None = None
    source: str = "link"  # start, sitemap, link
    depth: int = 0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_html(self) -> bool:
        return self.error is None and bool(self.body) and _looks_html(self.content_type, self.body)


@dataclass
class SiteFacts:
    """What the crawler learned about the site before and while crawling."""

    start_url: str
    robots: Robots
    sitemap_urls: list[str] = field(default_factory=list)  # the sitemap files read
    sitemap_error: str | None = None
    sitemap_page_count: int = 0
    pages_fetched: int = 0
    pages_blocked: int = 0


_UNRESERVED = "-._~"
_PCT = re.compile(r"%[0-9a-fA-F]{2}")


def _norm_part(part: str, safe: str) -> str:
    # Decode then re-encode so %7E and ~, %2f vs %2F spell the same URL; keep reserved chars.
    return quote(unquote(part), safe=safe + _UNRESERVED)


def normalise_url(url: str) -> str:
    """A canonical spelling used to dedupe: case, default port, dot segments, fragment.

    The query is kept in order (reordering can change meaning on real sites); an empty path
    is ``/``. Raises ValueError for URLs that are not http(s).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"no host in {url!r}")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}[scheme]
    netloc = host if port is None or port == default else f"{host}:{port}"
    path = parts.path or "/"
    trailing = path.endswith("/")
    path = posixpath.normpath(path) if path not in ("", "/") else "/"
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if trailing and not path.endswith("/"):
        path += "/"
    path = _norm_part(path, "/!$&'()*+,;=:@")
    query = _norm_part(parts.query, "/?!$&'()*+,;=:@") if parts.query else ""
    return urlunsplit((scheme, netloc, path, query, ""))


def same_site(url: str, origin: str) -> bool:
    """Same scheme-agnostic host and port as ``origin`` (http and https of one host count)."""
    a, b = urlsplit(url), urlsplit(origin)
    return (a.hostname or "").lower() == (b.hostname or "").lower() and _port(a) == _port(b)


def _port(parts: object) -> int:
    p = getattr(parts, "port", None)
    scheme = getattr(parts, "scheme", "http")
    # Treat http:80 and https:443 as the same site; explicit ports must match.
    return p if p is not None else 0 if scheme in ("http", "https") else -1


def _looks_html(content_type: str, body: bytes) -> bool:
    head = body[:1024]
    if b"\x00" in head:
        return False
    if content_type in HTML_TYPES:
        return True
    if content_type and not content_type.startswith("text/"):
        return False
    sniff = head.lstrip().lower()
    return sniff.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta"))


def extract_links(body: bytes, base_url: str) -> list[str]:
    """Absolute ``<a href>`` targets (honouring ``<base href>``), fragments dropped."""
    # Latin-1 maps bytes to characters one to one, so capping the markup (sociable.html_bounds:
    # nesting and attributes, else parsing is quadratic) leaves every other byte as it was.
    body = bound_markup(body.decode("latin-1")).text.encode("latin-1")
    try:
        tree = LexborHTMLParser(body)
    except Exception:  # selectolax refuses some binary input
        return []
    base = base_url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        href = base_node.attributes.get("href")
        if href:
            base = urljoin(base_url, href.strip())
    out: list[str] = []
    for node in tree.css("a[href]"):
        href = node.attributes.get("href")
        if not href:
            continue
        href = href.strip()
        if href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        rel = (node.attributes.get("rel") or "").lower()
        if "nofollow" in rel.split():
            continue
        out.append(urljoin(base, href).split("#", 1)[0])
    return out


class HostLimiter:
    """Spaces request starts to one host at least ``interval`` seconds apart."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if self.interval <= 0:
            return
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


def _headers(response: httpx.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items()}


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    options: CrawlOptions,
    limiter: HostLimiter | None = None,
    *,
    accept_html_only: bool = True,
) -> FetchedPage:
    """GET ``url``, following redirects by hand; never raises for a per-page problem."""
    page = FetchedPage(url=url)
    started = time.perf_counter()
    current = url
    seen = {normalise_url(url)}
    try:
        async with asyncio.timeout(options.timeout * 3):
            for _hop in range(options.max_redirects + 1):
                if limiter is not None:
                    await limiter.wait()
                async with client.stream("GET", current, follow_redirects=False) as response:
                    status = response.status_code
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        page.redirects.append((status, current))
                        if not location:
                            page.status = status
                            page.error = f"HTTP {status} redirect without a Location header"
                            break
                        target = urljoin(current, location.strip())
                        key = normalise_url(target)
                        if key in seen:
                            page.status = status
                            page.error = f"redirect loop: {current} -> {target}"
                            break
                        seen.add(key)
                        current = target
                        continue
                    page.final_url = str(response.url)
                    page.status = status
                    page.headers = _headers(response)
                    ctype = page.content_type
                    if accept_html_only and ctype and not _looks_html(ctype, b"<html"):
                        page.error = f"not HTML: {ctype}"
                        break
                    page.body = await read_capped(response, options.max_bytes)
                    page.wire_bytes = response.num_bytes_downloaded
                    if accept_html_only and status < 400 and not _looks_html(ctype, page.body):
                        page.error = "not HTML: the body looks binary" if ctype else "not HTML"
                        page.body = b""
                    break
            else:
                page.error = f"more than {options.max_redirects} redirects"
    except TooLarge as exc:
        page.error = f"too large: {exc}"
    except TimeoutError:
        page.error = f"timed out after {options.timeout * 3:.0f}s"
    except httpx.TimeoutException:
        page.error = f"timed out after {options.timeout:.0f}s"
    except FetchError as exc:
        page.error = str(exc)
    except (httpx.HTTPError, ValueError) as exc:
        page.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    page.elapsed_ms = (time.perf_counter() - started) * 1000
    return page


async def fetch_small(
    client: httpx.AsyncClient, url: str, max_bytes: int, timeout: float
) -> tuple[int | None, bytes, dict[str, str], str | None]:
    """(status, body, headers, error) for a small resource (robots.txt, sitemap, feed)."""
    try:
        async with asyncio.timeout(timeout * 3), client.stream("GET", url) as response:
            body = await read_capped(response, max_bytes)
            return response.status_code, body, _headers(response), None
    except TooLarge as exc:
        return None, b"", {}, f"too large: {exc}"
    except (TimeoutError, httpx.TimeoutException):
        return None, b"", {}, f"timed out after {timeout:.0f}s"
    except FetchError as exc:
        return None, b"", {}, str(exc)
    except (httpx.HTTPError, ValueError) as exc:
        return None, b"", {}, f"{type(exc).__name__}: {exc}"


async def load_robots(client: httpx.AsyncClient, url: str, timeout: float) -> Robots:
    target = robots_url(url)
    status, body, _, error = await fetch_small(client, target, 512 * 1024, timeout)
    if error is None and status is not None and status >= 500:
        error = f"HTTP {status}"
    return Robots.from_bytes(target, body, status=status, error=error)


async def sitemap_urls(
    client: httpx.AsyncClient, facts: SiteFacts, options: CrawlOptions, limit: int
) -> list[str]:
    """Page URLs from the site's sitemaps (index files followed), at most ``limit``."""
    start = facts.start_url
    queue = deque(facts.robots.sitemaps or [urljoin(start, "/sitemap.xml")])
    found: list[str] = []
    read: set[str] = set()
    while queue and len(read) < MAX_SITEMAP_FILES and len(found) < limit:
        url = queue.popleft()
        if url in read:
            continue
        read.add(url)
        status, body, _h, error = await fetch_small(client, url, 50 * 1024 * 1024, options.timeout)
        if error or status != 200:
            if url not in facts.robots.sitemaps and not facts.sitemap_urls:
                # No /sitemap.xml at all: record it once, quietly.
                facts.sitemap_error = facts.sitemap_error or (error or f"HTTP {status} for {url}")
            else:
                facts.sitemap_error = error or f"HTTP {status} for {url}"
            continue
        try:
            parsed = parse_sitemap(url, body)
        except SitemapError as exc:
            facts.sitemap_error = str(exc)
            continue
        facts.sitemap_urls.append(url)
        queue.extend(parsed.sitemaps)
        found.extend(u for u in parsed.urls if same_site(u, start))
    facts.sitemap_page_count = len(found)
    return found[:limit]


@dataclass
class _Item:
    url: str
    depth: int
    source: str


class Crawler(Generic[T]):
    """Crawl one site; ``process`` turns each fetched page into a result, in the workers.

    ``process`` returns ``(result, links)``: the links it found (so a page is parsed once),
    or ``None`` for links to let the crawler extract them itself.
    """

    def __init__(
        self,
        start_url: str,
        options: CrawlOptions,
        process: Callable[[FetchedPage, SiteFacts], Awaitable[tuple[T, Iterable[str] | None]]],
        *,
        client: httpx.AsyncClient | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.start_url = normalise_url(start_url)
        self.options = options
        self.process = process
        self._client = client
        self.on_progress = on_progress
        self.facts: SiteFacts | None = None
        self._seen: set[str] = set()
        self._frontier: deque[_Item] = deque()
        self._scheduled = 0
        # The site being crawled: the start URL's, or where the start URL redirects to.
        self.site_url = self.start_url
        self._first: FetchedPage | None = None

    def _admit(self, url: str, depth: int, source: str, *, force: bool = False) -> None:
        if self._scheduled >= self.options.max_pages:
            return
        try:
            key = normalise_url(url)
        except ValueError:
            return
        if key in self._seen:
            return
        if not force:
            if not same_site(key, self.site_url):
                return
            suffix = posixpath.splitext(urlsplit(key).path)[1].lower()
            if suffix in ASSET_SUFFIXES:
                return
        self._seen.add(key)
        self._scheduled += 1
        self._frontier.append(_Item(key, depth, source))

    async def __aiter__(self) -> AsyncIterator[T]:
        async with contextlib.AsyncExitStack() as stack:
            client = self._client
            if client is None:
                client = await stack.enter_async_context(
                    async_client(
                        self.options.policy(),
                        limits=httpx.Limits(
                            max_connections=self.options.concurrency * 2,
                            max_keepalive_connections=self.options.concurrency * 2,
                        ),
                    )
                )
            async for result in self._run(client):
                yield result

    async def _run(self, client: httpx.AsyncClient) -> AsyncIterator[T]:
        opts = self.options
        robots = await load_robots(client, self.start_url, opts.timeout)
        if not opts.respect_robots or robots.allowed(self.start_url, OUR_AGENT):
            first = await fetch(client, self.start_url, opts)
            self._first = first
            final = first.final_url
            if final and first.error is None and not same_site(final, self.site_url):
                # The site lives elsewhere (example.com -> www.example.com): crawl it there.
                with contextlib.suppress(ValueError):
                    self.site_url = normalise_url(final)
                    robots = await load_robots(client, self.site_url, opts.timeout)
        facts = SiteFacts(start_url=self.site_url, robots=robots)
        self.facts = facts
        interval = 1.0 / opts.rate_limit if opts.rate_limit > 0 else 0.0
        delay = robots.crawl_delay(OUR_AGENT) if opts.respect_robots else None
        if delay:
            interval = max(interval, min(delay, 30.0))
        limiter = HostLimiter(interval)
        self._admit(self.start_url, 0, "start", force=True)
        if self.site_url != self.start_url:
            self._seen.add(self.site_url)
        if opts.use_sitemap:
            for url in await sitemap_urls(client, facts, opts, opts.max_pages):
                self._admit(url, 1, "sitemap")

        out: asyncio.Queue[tuple[T] | None] = asyncio.Queue(maxsize=max(4, opts.concurrency * 2))
        active = 0
        wake = asyncio.Event()
        done = 0

        async def worker() -> None:
            nonlocal active, done
            while True:
                while not self._frontier:
                    if active == 0:
                        wake.set()
                        return
                    wake.clear()
                    await wake.wait()
                item = self._frontier.popleft()
                active += 1
                try:
                    result = await self._one(client, item, facts, limiter)
                    if result is not None:
                        await out.put((result,))
                finally:
                    active -= 1
                    done += 1
                    if self.on_progress is not None:
                        self.on_progress(done, self._scheduled)
                    wake.set()

        async def supervise() -> None:
            try:
                await asyncio.gather(*(worker() for _ in range(max(1, opts.concurrency))))
            finally:
                await out.put(None)

        task = asyncio.create_task(supervise())
        try:
            while True:
                got = await out.get()
                if got is None:
                    break
                yield got[0]
            await task
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _one(
        self, client: httpx.AsyncClient, item: _Item, facts: SiteFacts, limiter: HostLimiter
    ) -> T | None:
        if self.options.respect_robots and not facts.robots.allowed(item.url, OUR_AGENT):
            facts.pages_blocked += 1
            page = FetchedPage(
                url=item.url,
                error=f"not fetched: robots.txt disallows {OUR_AGENT}",
                source=item.source,
                depth=item.depth,
            )
        else:
            if item.source == "start" and self._first is not None:
                page, self._first = self._first, None
            else:
                page = await fetch(client, item.url, self.options, limiter)
            page.source, page.depth = item.source, item.depth
            facts.pages_fetched += 1
        result, links = await self.process(page, facts)
        if self.options.follow_links and page.is_html:
            base = page.final_url or page.url
            if not same_site(base, self.site_url):
                return result  # redirected off-site: do not follow its links
            found = links if links is not None else extract_links(page.body, base)
            for link in found:
                self._admit(link, item.depth + 1, "link")
        return result


async def crawl_pages(
    start_url: str, options: CrawlOptions, *, client: httpx.AsyncClient | None = None
) -> AsyncIterator[FetchedPage]:
    """The fetched pages themselves, for callers that do their own processing."""

    async def keep(page: FetchedPage, _facts: SiteFacts) -> tuple[FetchedPage, None]:
        return page, None

    async for page in Crawler(start_url, options, keep, client=client):
        yield page
