"""A live site audit: crawl, fill each page's FetchInfo, run the page audit, stream reports.

What the crawler fetched becomes a :class:`~sociable.audit.context.FetchInfo`: status,
headers, redirect chain, compression, robots.txt verdicts for each social crawler, the
og:image probes, the feeds the page links to (fetched and parsed once per site) and its
oEmbed endpoint. :func:`audit_site` yields one PageReport per page as soon as it is ready;
:func:`iter_site` does the same for synchronous callers (the CLI) through a small bounded
queue, so memory stays flat however many pages the site has.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser
import httpx

from sociable.audit.cards import resolved
from sociable.audit.context import FeedInfo, FetchInfo, OEmbedResult, SiteInfo
from sociable.audit.crawl import Crawler, CrawlOptions, FetchedPage, SiteFacts, fetch_small
from sociable.audit.engine import audit_page
from sociable.audit.extract import extract
from sociable.audit.findings import PageReport
from sociable.audit.images import ImageChecker
from sociable.audit.meta import PageMeta
from sociable.net import async_client
from sociable.rules import RuleFilter

MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_OEMBED_BYTES = 1024 * 1024
FEEDS_PER_PAGE = 3
ACCEPT_ENCODING = "gzip, deflate"


@dataclass
class AuditOptions:
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    rule_filter: RuleFilter | None = None
    networks: Sequence[str] = ()
    check_images: bool = True
    check_feeds: bool = True
    check_oembed: bool = True


def parse_feed(url: str, body: bytes) -> FeedInfo:
    """A fetched feed as FeedInfo; a feed that does not parse is ``ok=False`` with why."""
    try:
        parsed: Any = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # feedparser is tolerant, but a crawl must survive anything
        return FeedInfo(url=url, ok=False, error=f"cannot parse: {exc}")
    version = str(parsed.get("version") or "")
    if not version:
        reason = parsed.get("bozo_exception")
        return FeedInfo(url=url, ok=False, error=f"not a feed: {reason or 'unknown format'}")
    kind = "rss" if version.startswith("rss") else "atom" if "atom" in version else "json"
    dates: list[datetime] = []
    for entry in parsed.entries:
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if stamp:
            y, mo, d, h, mi, sec = stamp[:6]
            dates.append(datetime(y, mo, d, h, mi, sec, tzinfo=UTC))
    dates.sort(reverse=True)
    return FeedInfo(
        url=url,
        ok=True,
        kind=kind,
        title=(parsed.feed.get("title") or None),
        item_count=len(parsed.entries),
        item_dates=dates,
    )


def parse_oembed(url: str, status: int | None, body: bytes, error: str | None) -> OEmbedResult:
    if error is not None:
        return OEmbedResult(url=url, ok=False, status=status, error=error)
    if status != 200:
        return OEmbedResult(url=url, ok=False, status=status, error=f"HTTP {status}")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return OEmbedResult(url=url, ok=False, status=status, error=f"not JSON: {exc}")
    if not isinstance(data, dict):
        return OEmbedResult(url=url, ok=False, status=status, error="not a JSON object")
    return OEmbedResult(url=url, ok=True, status=status, data=data)


def fetch_info(page: FetchedPage, site: SiteInfo, facts: SiteFacts) -> FetchInfo:
    """The page facts the crawler alone can tell (images, feeds, oEmbed come after)."""
    return FetchInfo(
        url=page.url,
        final_url=page.final_url,
        status=page.status,
        headers=page.headers,
        redirects=list(page.redirects),
        wire_bytes=page.wire_bytes,
        content_encoding=page.headers.get("content-encoding") if page.status else None,
        compression_offered=True if page.status else None,
        robots=facts.robots.social_access(page.final_url or page.url) if page.status else {},
        site=site,
        error=page.error,
        elapsed_ms=page.elapsed_ms,
    )


def site_info(facts: SiteFacts) -> SiteInfo:
    robots = facts.robots
    return SiteInfo(
        base_url=facts.start_url,
        robots_txt_present=robots.status is not None and 200 <= robots.status < 300,
        robots_txt_error=robots.error,
        sitemap_present=bool(facts.sitemap_urls),
        sitemap_urls=list(facts.sitemap_urls),
        sitemap_error=None if facts.sitemap_urls else facts.sitemap_error,
    )


class SiteAuditor:
    """Turns fetched pages into reports, sharing caches (images, feeds) across a crawl."""

    def __init__(self, client: httpx.AsyncClient, options: AuditOptions) -> None:
        self.client = client
        self.options = options
        self.images = ImageChecker(client, timeout=options.crawl.timeout)
        self._feeds: dict[str, asyncio.Future[FeedInfo]] = {}
        self.site: SiteInfo | None = None

    async def feed(self, url: str) -> FeedInfo:
        if url not in self._feeds:
            self._feeds[url] = asyncio.ensure_future(self._load_feed(url))
        return await self._feeds[url]

    async def _load_feed(self, url: str) -> FeedInfo:
        status, body, _h, error = await fetch_small(
            self.client, url, MAX_FEED_BYTES, self.options.crawl.timeout
        )
        if error is not None:
            return FeedInfo(url=url, ok=False, error=error)
        if status != 200:
            return FeedInfo(url=url, ok=False, error=f"HTTP {status}")
        info = parse_feed(url, body)
        if self.site is not None:
            self.site.feeds[url] = info
        return info

    async def oembed(self, url: str) -> OEmbedResult:
        status, body, _h, error = await fetch_small(
            self.client, url, MAX_OEMBED_BYTES, self.options.crawl.timeout
        )
        return parse_oembed(url, status, body, error)

    def _image_urls(self, meta: PageMeta) -> list[str]:
        wanted = [meta.first("og:image"), meta.first("twitter:image"), resolved(meta).get("image")]
        out: list[str] = []
        for url in wanted:
            if url and url not in out and url.startswith(("http://", "https://")):
                out.append(url)
        return out

    async def process(
        self, page: FetchedPage, facts: SiteFacts
    ) -> tuple[PageReport, Iterable[str] | None]:
        if self.site is None:
            self.site = site_info(facts)
        info = fetch_info(page, self.site, facts)
        if not page.is_html:
            report = audit_page(
                page.body if page.error is None else b"",
                page.url,
                info,
                rule_filter=self.options.rule_filter,
                networks=self.options.networks,
            )
            return report, []
        base = page.final_url or page.url
        meta = extract(page.body, base, page.headers)
        opts = self.options
        jobs: list[Any] = []
        images = self._image_urls(meta) if opts.check_images else []
        feeds = [f.url for f in meta.feeds[:FEEDS_PER_PAGE]] if opts.check_feeds else []
        oembed = next((o.url for o in meta.oembed if o.type == "json"), None)
        jobs += [self.images.check(u) for u in images]
        jobs += [self.feed(u) for u in feeds]
        if oembed and opts.check_oembed:
            jobs.append(self.oembed(oembed))
        results = await asyncio.gather(*jobs)
        info.images = dict(zip(images, results[: len(images)], strict=True))
        info.feeds = dict(zip(feeds, results[len(images) : len(images) + len(feeds)], strict=True))
        if oembed and opts.check_oembed:
            info.oembed = results[-1]
        report = audit_page(
            page.body,
            page.url,
            info,
            rule_filter=opts.rule_filter,
            networks=opts.networks,
            meta=meta,
        )
        return report, meta.links_internal


async def audit_site(
    start_url: str,
    options: AuditOptions | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_site: Callable[[SiteInfo | None], None] | None = None,
) -> AsyncIterator[PageReport]:
    """Crawl ``start_url``'s site and yield a PageReport per page as each is ready."""
    options = options or AuditOptions()
    own = client is None
    if client is None:
        client = async_client(
            options.crawl.policy(),
            headers={"Accept-Encoding": ACCEPT_ENCODING},
            # One host: as many connections as workers (httpcore's pool scans them all on
            # every request, so spare connections cost CPU), plus a few for images and feeds.
            limits=httpx.Limits(
                max_connections=options.crawl.concurrency + 4,
                max_keepalive_connections=options.crawl.concurrency + 4,
            ),
        )
    auditor = SiteAuditor(client, options)
    try:
        crawler = Crawler(
            start_url, options.crawl, auditor.process, client=client, on_progress=on_progress
        )
        async for report in crawler:
            yield report
    finally:
        if on_site is not None:
            on_site(auditor.site)
        if own:
            await client.aclose()


_DONE = object()


def _new_loop_runner() -> Callable[[Any], Any]:
    """``asyncio.run``, on uvloop when it is installed (a faster loop for many sockets)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    run: Callable[[Any], Any] = uvloop.run
    return run


def iter_site(
    start_url: str,
    options: AuditOptions | None = None,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    on_site: Callable[[SiteInfo | None], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[PageReport]:
    """:func:`audit_site` for synchronous code: the crawl runs on its own thread and loop.

    ``should_stop`` is asked after each page and every quarter second while none arrives;
    once it says yes (or the caller stops iterating), the crawl is cancelled, in-flight
    fetches included, and the iteration ends.
    """
    out: queue.Queue[Any] = queue.Queue(maxsize=64)
    stop = threading.Event()
    running: dict[str, Any] = {}

    async def pump() -> None:
        running["loop"], running["task"] = asyncio.get_running_loop(), asyncio.current_task()
        if stop.is_set():
            return
        async for report in audit_site(
            start_url, options, on_progress=on_progress, on_site=on_site
        ):
            try:
                out.put_nowait(report)
            except queue.Full:
                await asyncio.to_thread(out.put, report)
            if stop.is_set():
                return

    def run() -> None:
        try:
            _new_loop_runner()(pump())
        except BaseException as exc:  # handed to the consumer, re-raised there
            out.put(exc)
            return
        out.put(_DONE)

    thread = threading.Thread(target=run, name="sociable-crawl", daemon=True)
    thread.start()
    try:
        while True:
            if should_stop is not None and should_stop():
                return
            try:
                item = out.get(timeout=0.25 if should_stop is not None else None)
            except queue.Empty:
                continue
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        loop, task = running.get("loop"), running.get("task")
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                loop.call_soon_threadsafe(task.cancel)
        # Drain so a blocked producer can see the stop flag and finish.
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                out.get(timeout=0.1)
        thread.join()
