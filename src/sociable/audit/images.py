"""og:image checks: status, type, size in bytes and pixel dimensions without downloading it.

One ranged GET (``Range: bytes=0-131071``) answers everything: the status and type come from
the headers, the total size from ``Content-Range`` (or ``Content-Length`` when the server
ignores ranges), and the dimensions from the first bytes with imagesize (PNG, GIF, WebP, JPEG
SOF markers, ...). A server that ignores the range still costs only the first 128 KB: the
stream is closed after that. When no size is declared at all, bytes are counted up to a cap
and the count is a lower bound. Results are cached per URL (sites reuse one og:image), and
robots.txt is read once per image origin to tell what each social crawler may fetch.
"""

from __future__ import annotations

import asyncio
import io
import re
import zlib
from collections.abc import Awaitable, Callable

import httpx
import imagesize

from sociable.audit.context import ImageProbe
from sociable.audit.robots import Robots, robots_url
from sociable.net import FetchError

HEAD_BYTES = 128 * 1024
# Count undeclared bodies up to just over the largest limit any network documents (8 MB).
COUNT_CAP = 9 * 1024 * 1024
_RANGE_TOTAL = re.compile(r"bytes\s+\d+-\d+/(\d+)")

# Magic numbers for when the Content-Type header is missing or generic.
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"ftypavif", 4, "image/avif"),
    (b"BM", 0, "image/bmp"),
)


def sniff_type(head: bytes) -> str | None:
    """The image type the first bytes say, or text/html / image/svg+xml for markup."""
    for magic, offset, mime in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return mime
    text = head[:1024].lstrip().lower()
    if text.startswith(b"<?xml") or text.startswith(b"<svg"):
        return "image/svg+xml" if b"<svg" in head[:4096].lower() else "application/xml"
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "text/html"
    return None


def dimensions(head: bytes) -> tuple[int | None, int | None]:
    """(width, height) from an image's first bytes, or (None, None) when they do not say."""
    try:
        width, height = imagesize.get(io.BytesIO(head))
    except Exception:  # imagesize raises on some truncated or odd files
        return None, None
    if width <= 0 or height <= 0:
        return None, None
    return int(width), int(height)


def _total_size(response: httpx.Response) -> int | None:
    match = _RANGE_TOTAL.match(response.headers.get("content-range", ""))
    if match:
        return int(match.group(1))
    length = response.headers.get("content-length", "")
    if response.status_code == 200 and length.isdigit():
        return int(length)
    return None


async def probe_image(client: httpx.AsyncClient, url: str, timeout: float = 10.0) -> ImageProbe:
    """Fetch just enough of ``url`` to know its status, type, byte size and dimensions."""
    probe = ImageProbe(url=url)
    try:
        async with (
            asyncio.timeout(timeout * 3),
            client.stream(
                "GET",
                url,
                headers={"Range": f"bytes=0-{HEAD_BYTES - 1}", "Accept": "image/*,*/*;q=0.5"},
            ) as response,
        ):
            probe.status = response.status_code
            probe.final_url = str(response.url)
            probe.redirects = [str(r.url) for r in response.history]
            declared = response.headers.get("content-type", "").split(";")[0].strip().lower()
            probe.size_bytes = _total_size(response)
            chunks: list[bytes] = []
            got = 0
            async for chunk in response.aiter_raw():
                chunks.append(chunk)
                got += len(chunk)
                if got >= HEAD_BYTES and (probe.size_bytes is not None or got > COUNT_CAP):
                    break
            raw = b"".join(chunks)
            if probe.size_bytes is None and response.status_code in (200, 206):
                probe.size_bytes = got  # a lower bound when we stopped at the cap
            head = raw[:HEAD_BYTES]
            encoding = response.headers.get("content-encoding", "")
            if encoding and encoding != "identity":
                head = _decode(head, encoding)
            sniffed = sniff_type(head)
            generic = declared in ("", "application/octet-stream", "binary/octet-stream")
            probe.content_type = sniffed if generic and sniffed else declared or sniffed
            if probe.status < 400:
                probe.width, probe.height = dimensions(head)
            if probe.status >= 400:
                probe.error = f"HTTP {probe.status}"
    except (TimeoutError, httpx.TimeoutException):
        probe.error = f"timed out after {timeout:.0f}s"
    except httpx.TooManyRedirects:
        probe.error = "too many redirects"
    except FetchError as exc:
        probe.error = str(exc)
    except (httpx.HTTPError, ValueError) as exc:
        probe.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return probe


def _decode(data: bytes, encoding: str) -> bytes:
    """Best-effort decode of a compressed prefix (a server gzipping an image)."""
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
        if encoding == "deflate":
            return zlib.decompressobj().decompress(data)
    except zlib.error:
        return data
    return data


class ImageChecker:
    """Probes images and robots.txt once per URL / origin, shared by every page of a crawl."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        timeout: float = 10.0,
        robots_loader: Callable[[str], Awaitable[Robots]] | None = None,
        max_cached: int = 10_000,
    ) -> None:
        self.client = client
        self.timeout = timeout
        self._robots_loader = robots_loader
        self._probes: dict[str, asyncio.Future[ImageProbe]] = {}
        self._robots: dict[str, asyncio.Future[Robots]] = {}
        self.max_cached = max_cached

    async def robots_for(self, url: str) -> Robots:
        key = robots_url(url)
        if key not in self._robots:
            self._robots[key] = asyncio.ensure_future(self._load_robots(key))
        return await self._robots[key]

    async def _load_robots(self, target: str) -> Robots:
        if self._robots_loader is not None:
            return await self._robots_loader(target)
        from sociable.audit.crawl import load_robots

        return await load_robots(self.client, target, self.timeout)

    async def check(self, url: str) -> ImageProbe:
        """The probe of ``url`` with the social crawlers' robots verdicts filled in."""
        if url not in self._probes:
            if len(self._probes) >= self.max_cached:  # keep memory flat on huge sites
                self._probes.pop(next(iter(self._probes)))
            self._probes[url] = asyncio.ensure_future(self._check(url))
        return await self._probes[url]

    async def _check(self, url: str) -> ImageProbe:
        probe = await probe_image(self.client, url, self.timeout)
        if url.startswith(("http://", "https://")):
            robots = await self.robots_for(url)
            probe.robots = robots.social_access(url)
        return probe
