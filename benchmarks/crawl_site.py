"""A generated N-page site served on loopback, for the crawl benchmark.

Run alone: ``python benchmarks/crawl_site.py --pages 10000 --port 8765``. Pages are made on
the fly from their number (so the server itself uses little memory and CPU): a realistic
``<head>`` with Open Graph / Twitter tags, JSON-LD, a feed link and ~12 KB of text, and links
that make every page reachable from ``/`` (page n links to 2n+1 and 2n+2, plus a few
"related" pages). It speaks just enough HTTP/1.1 with keep-alive, on asyncio, to serve a
crawler quickly from one core.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import zlib

WORDS = [
    *[
        "social",
        "media",
        "optimization",
        "card",
        "preview",
        "share",
        "image",
        "title",
        "description",
        "crawler",
    ],
    *[
        "network",
        "feed",
        "link",
        "page",
        "site",
        "audit",
        "brand",
        "reader",
        "article",
        "product",
        "guide",
    ],
]


def og_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1200, 630), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


def page(n: int, total: int, base: str) -> bytes:
    links = [
        k for k in (2 * n + 1, 2 * n + 2, (n * 7 + 3) % total, (n * 13 + 5) % total) if k < total
    ]
    text = " ".join(WORDS[(n + i) % len(WORDS)] for i in range(1800))
    anchors = "".join(f'<li><a href="/p/{k}">Related page {k}</a></li>' for k in links)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Page {n} of the benchmark site | Bench</title>
<meta name="description" content="Benchmark page number {n}, generated to measure the crawler.">
<link rel="canonical" href="{base}/p/{n}">
<meta property="og:title" content="Page {n} of the benchmark site">
<meta property="og:description"
 content="Benchmark page number {n}, generated to measure the crawler.">
<meta property="og:type" content="article"><meta property="og:url" content="{base}/p/{n}">
<meta property="og:image" content="{base}/og.png">
<meta property="og:image:alt" content="A blue card">
<meta property="og:image:width" content="1200"><meta property="og:image:height" content="630">
<meta property="og:site_name" content="Bench">
<meta name="twitter:card" content="summary_large_image">
<link rel="alternate" type="application/rss+xml" href="/feed.xml" title="Bench feed">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "Article",
"headline": "Page {n}", "datePublished": "2026-11-01T10:00:00Z",
"author": {{"@type": "Person", "name": "Bench"}},
"image": "{base}/og.png"}}</script>
</head><body><header><nav><a href="/">Home</a></nav></header>
<main><article><h1>Page {n}</h1><p>{text}</p>
<a href="https://www.facebook.com/sharer/sharer.php?u={base}/p/{n}">Share</a></article>
<aside><ul>{anchors}</ul></aside></main></body></html>""".encode()


FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>
<link>http://bench/</link><description>bench</description>
<item><title>Page 1</title><link>http://bench/p/1</link>
<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"""


class Site:
    def __init__(self, total: int, base: str) -> None:
        self.total = total
        self.base = base
        self.png = og_png()
        self.served = 0
        # Made once up front (plain and gzipped) so serving costs the server next to nothing
        # and the benchmark measures the crawler, not this process.
        self.pages = [page(n, total, base) for n in range(total)]
        self.gzipped = [zlib.compress(p, 6, wbits=31) for p in self.pages]

    def route(self, path: str, gzip_ok: bool) -> tuple[int, str, bytes]:
        if path == "/":
            path = "/p/0"
        if path.startswith("/p/"):
            try:
                n = int(path[3:])
            except ValueError:
                return 404, "text/html", b"<html>no</html>"
            if 0 <= n < self.total:
                if gzip_ok:
                    return 200, "text/html; charset=utf-8; gz", self.gzipped[n]
                return 200, "text/html; charset=utf-8", self.pages[n]
        if path == "/og.png":
            return 200, "image/png", self.png
        if path == "/feed.xml":
            return 200, "application/rss+xml", FEED
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nAllow: /\n"
        return 404, "text/html", b"<html>not found</html>"


def make_protocol(site: Site) -> type[asyncio.Protocol]:
    class Http(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport  # type: ignore[assignment]
            self.buf = b""

        def data_received(self, data: bytes) -> None:
            self.buf += data
            while b"\r\n\r\n" in self.buf:
                head, self.buf = self.buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                gzip_ok = "gzip" in headers.get("accept-encoding", "")
                status, ctype, body = site.route(path, gzip_ok)
                extra = ""
                if ctype.endswith("; gz"):
                    ctype = ctype[:-4]
                    extra = "Content-Encoding: gzip\r\n"
                rng = headers.get("range", "")
                reason = "OK"
                if rng.startswith("bytes=0-") and status == 200:
                    end = min(int(rng[8:]), len(body) - 1)
                    extra += f"Content-Range: bytes 0-{end}/{len(body)}\r\n"
                    body, status, reason = body[: end + 1], 206, "Partial Content"
                if status == 404:
                    reason = "Not Found"
                site.served += 1
                out = (
                    f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
                    f"Content-Length: {len(body)}\r\n{extra}"
                    "Connection: keep-alive\r\n\r\n"
                ).encode()
                self.transport.write(out + (body if method != "HEAD" else b""))  # type: ignore[attr-defined]

    return Http


async def serve(total: int, port: int, ready: object = None) -> None:
    site = Site(total, f"http://127.0.0.1:{port}")
    loop = asyncio.get_running_loop()
    server = await loop.create_server(make_protocol(site), "127.0.0.1", port, backlog=1024)
    if ready is not None:
        ready.set()  # type: ignore[attr-defined]
    async with server:
        await server.serve_forever()


def run(total: int, port: int, ready: object = None) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(total, port, ready))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    run(args.pages, args.port)
