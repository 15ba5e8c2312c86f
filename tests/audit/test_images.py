"""og:image probes against a real loopback server: sizes, types, limits, failures."""

from __future__ import annotations

import asyncio
import io

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from sociable.audit.context import ImageProbe
from sociable.audit.images import ImageChecker, dimensions, probe_image, sniff_type
from sociable.net import NetPolicy, async_client
from tests.audit.test_crawl_server import Site, site_fixture  # noqa: F401

POLICY = NetPolicy(allow_private=True, timeout=2.0)


def image(fmt: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def probe(url: str, policy: NetPolicy = POLICY) -> ImageProbe:
    async def go() -> ImageProbe:
        async with async_client(policy) as client:
            return await probe_image(client, url, timeout=2.0)

    return asyncio.run(go())


def test_png_with_ranges_reports_total_size_and_dimensions(site: Site) -> None:
    png = image("PNG", (1200, 630)) + b"\x00" * 300_000  # padding past the probed prefix
    site.add("/og.png", (200, {"content-type": "image/png", "x-ranges": "1"}, png))
    got = probe(site.url("/og.png"))
    assert (got.status, got.content_type, got.width, got.height) == (206, "image/png", 1200, 630)
    assert got.size_bytes == len(png)
    assert site.requests[0].headers["range"] == "bytes=0-131071"


def test_jpeg_without_range_support_uses_content_length(site: Site) -> None:
    jpg = image("JPEG", (640, 480))
    site.add("/a.jpg", (200, {"content-type": "image/jpeg"}, jpg))
    got = probe(site.url("/a.jpg"))
    assert (got.status, got.width, got.height, got.size_bytes) == (200, 640, 480, len(jpg))
    assert got.error is None


def test_generic_type_is_sniffed_and_redirects_recorded(site: Site) -> None:
    gif = image("GIF", (300, 157))
    site.add("/img", (301, {"location": "/real"}, b""))
    site.add("/real", (200, {"content-type": "application/octet-stream"}, gif))
    got = probe(site.url("/img"))
    assert got.content_type == "image/gif" and (got.width, got.height) == (300, 157)
    assert got.redirects == [site.url("/img")] and got.final_url == site.url("/real")


def test_404_html_svg_and_huge_images_are_reported_not_raised(site: Site) -> None:
    site.html("/page.png", "<!doctype html><html><body>soft 404</body></html>")
    site.add(
        "/logo.svg", (200, {"content-type": "image/svg+xml"}, b'<svg width="10" height="10"/>')
    )
    huge = {"content-type": "image/jpeg", "content-length": str(200 * 1024 * 1024)}
    site.add("/huge.jpg", (200, huge, image("JPEG", (100, 100)) + b"\x00" * 200_000))
    missing = probe(site.url("/missing.png"))
    assert missing.status == 404 and missing.error == "HTTP 404" and missing.width is None
    assert probe(site.url("/page.png")).content_type == "text/html"
    assert probe(site.url("/logo.svg")).content_type == "image/svg+xml"
    big = probe(site.url("/huge.jpg"))
    assert big.size_bytes == 200 * 1024 * 1024 and (big.width, big.height) == (100, 100)


def test_refused_and_unreachable_hosts(site: Site) -> None:
    refused = probe(site.url("/x.png"), NetPolicy(timeout=2.0))
    assert refused.error and "private, loopback" in refused.error and refused.status is None
    dead = probe("http://127.0.0.1:9/x.png")
    assert dead.error and dead.status is None


def test_checker_caches_and_reads_robots_per_origin(site: Site) -> None:
    site.add("/robots.txt", (200, {}, b"User-agent: Twitterbot\nDisallow: /img/\n"))
    site.add("/img/og.png", (200, {"content-type": "image/png"}, image("PNG", (10, 10))))

    async def go() -> list[ImageProbe]:
        async with async_client(POLICY) as client:
            checker = ImageChecker(client, timeout=2.0)
            return await asyncio.gather(*(checker.check(site.url("/img/og.png")) for _ in range(5)))

    probes = asyncio.run(go())
    assert probes[0].robots["Twitterbot"] is False and probes[0].robots["facebookexternalhit"]
    assert site.paths().count("/img/og.png") == 1 and site.paths().count("/robots.txt") == 1


def test_sniff_and_dimensions_on_junk() -> None:
    assert sniff_type(b"<?xml version='1.0'?><svg xmlns='x'>") == "image/svg+xml"
    assert sniff_type(b"\x00\x01") is None
    assert dimensions(b"\x89PNG\r\n\x1a\n") == (None, None)
    assert dimensions(b"") == (None, None)


@given(st.binary(max_size=300))
def test_sniff_and_dimensions_never_raise(head: bytes) -> None:
    width, height = dimensions(head)
    assert (width is None) == (height is None)
    assert sniff_type(head) is None or "/" in (sniff_type(head) or "")
