"""A live audit end to end on a loopback site: FetchInfo is filled, reports stream out."""

from __future__ import annotations

import asyncio
import io
import itertools

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from sociable.audit.context import SiteInfo
from sociable.audit.crawl import CrawlOptions
from sociable.audit.findings import PageReport
from sociable.audit.run import AuditOptions, audit_site, iter_site, parse_feed, parse_oembed
from tests.audit.test_crawl_server import Site, site_fixture  # noqa: F401

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
<item><title>One</title><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>
<item><title>Two</title><pubDate>Sun, 01 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"""


def png(w: int, h: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h)).save(out, "PNG")
    return out.getvalue()


def good_page(site: Site, path: str, image: str = "/og.png") -> str:
    return f"""<!doctype html><html lang="en"><head><title>Page {path}</title>
<meta property="og:title" content="Page {path}"><meta property="og:type" content="article">
<meta property="og:description" content="A page about {path} that is long enough to describe.">
<meta property="og:image" content="{site.url(image)}">
<meta property="og:url" content="{site.url(path)}">
<meta name="twitter:card" content="summary_large_image">
<link rel="canonical" href="{site.url(path)}">
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="alternate" type="application/json+oembed" href="/oembed?url={path}">
</head><body><a href="/a">a</a><a href="/b">b</a></body></html>"""


def build(site: Site) -> None:
    site.add("/robots.txt", (200, {}, b"User-agent: Twitterbot\nDisallow: /b\n"))
    site.html("/", good_page(site, "/"))
    site.html("/a", good_page(site, "/a"))
    site.html("/b", good_page(site, "/b", image="/missing.png"))
    site.add("/og.png", (200, {"content-type": "image/png"}, png(1200, 630)))
    site.add("/feed.xml", (200, {"content-type": "application/rss+xml"}, RSS))
    for path in ("/", "/a", "/b"):
        body = b'{"version": "1.0", "type": "link", "title": "T"}'
        site.add(f"/oembed?url={path}", (200, {"content-type": "application/json"}, body))


def run(site: Site, **crawl: object) -> tuple[list[PageReport], list[SiteInfo | None]]:
    options = AuditOptions(crawl=CrawlOptions(allow_private=True, timeout=2.0, **crawl))  # type: ignore[arg-type]
    sites: list[SiteInfo | None] = []

    async def go() -> list[PageReport]:
        return [r async for r in audit_site(site.url("/"), options, on_site=sites.append)]

    return asyncio.run(go()), sites


def codes(report: PageReport) -> set[str]:
    return {f.code for f in report.findings}


def test_live_audit_fills_fetch_facts(site: Site) -> None:
    build(site)
    reports, sites = run(site)
    by_url = {r.url: r for r in reports}
    assert set(by_url) == {site.url(p) for p in ("/", "/a", "/b")}
    assert all(r.error is None for r in reports)
    # Each shared resource is fetched once for the whole site.
    assert site.paths().count("/og.png") == 1 and site.paths().count("/feed.xml") == 1
    assert site.paths().count("/missing.png") == 1
    info = sites[0]
    assert info is not None and info.robots_txt_present and info.sitemap_present is False
    assert info.feeds[site.url("/feed.xml")].item_count == 2
    # /b: Twitterbot is disallowed and its image is a 404; / and /a are fine on both counts.
    assert "SMO701" in codes(by_url[site.url("/b")]) and "SMO701" not in codes(
        by_url[site.url("/")]
    )
    assert "SMO313" in codes(by_url[site.url("/b")]) and "SMO313" not in codes(
        by_url[site.url("/a")]
    )
    assert not {"SMO314", "SMO505", "SMO707"} & codes(by_url[site.url("/a")])
    # The probe measured 1200x630 PNG: not too small, not off the recommended size.
    assert not {"SMO315", "SMO318"} & codes(by_url[site.url("/a")])
    assert {"SMO315", "SMO318"} - set(by_url[site.url("/a")].not_checked) == {"SMO315", "SMO318"}
    assert by_url[site.url("/b")].score < by_url[site.url("/a")].score
    assert by_url[site.url("/")].cards  # the cards were drawn from the fetched facts


def test_failed_pages_are_reported_and_the_crawl_goes_on(site: Site) -> None:
    site.html(
        "/",
        '<html><body><a href="/loop">x</a><a href="/bin">y</a><a href="/ok">z</a></body></html>',
    )
    site.add("/loop", (301, {"location": "/loop"}, b""))
    site.add("/bin", (200, {"content-type": "application/pdf"}, b"%PDF-1.4\x00\x01"))
    site.html("/ok", "<html><head><title>ok</title></head></html>")
    reports, _ = run(site)
    by_url = {r.url: r for r in reports}
    assert "redirect loop" in (by_url[site.url("/loop")].error or "")
    assert "not HTML" in (by_url[site.url("/bin")].error or "")
    assert by_url[site.url("/ok")].error is None
    assert "SMO707" in codes(by_url[site.url("/loop")])


def test_iter_site_streams_and_can_stop_early(site: Site) -> None:
    site.html(
        "/",
        "<html><body>" + "".join(f'<a href="/p{i}">p</a>' for i in range(40)) + "</body></html>",
    )
    for i in range(40):
        site.html(f"/p{i}", f"<html><head><title>p{i}</title></head></html>")
    options = AuditOptions(crawl=CrawlOptions(allow_private=True, concurrency=2, max_pages=100))
    first = list(itertools.islice(iter_site(site.url("/"), options), 3))
    assert len(first) == 3
    everything = list(iter_site(site.url("/"), options))
    assert len(everything) == 41


def test_parse_feed_and_oembed_bad_input() -> None:
    ok = parse_feed("http://x/feed", RSS)
    assert ok.ok and ok.kind == "rss" and ok.item_dates[0].day == 2
    bad = parse_feed("http://x/feed", b"<html>not a feed</html>")
    assert not bad.ok and bad.error
    assert not parse_feed("http://x/feed", b"\x00\xff" * 100).ok
    assert parse_oembed("u", 200, b"[1]", None).error == "not a JSON object"
    assert parse_oembed("u", 404, b"", None).error == "HTTP 404"
    assert parse_oembed("u", 200, b'{"type": "link"}', None).ok


@given(st.binary(max_size=600), st.one_of(st.none(), st.integers(100, 599)))
def test_feed_and_oembed_parsers_never_raise(body: bytes, status: int | None) -> None:
    feed = parse_feed("http://x/feed", body)
    assert feed.ok or feed.error
    result = parse_oembed("http://x/o", status, body, None)
    assert result.ok == (status == 200 and result.error is None)


def test_one_page_one_html_score_in_folder_preview_and_live(site: Site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sociable.audit.files import audit_files
    from sociable.audit.preview import preview

    build(site)
    html = good_page(site, "/a")
    (tmp_path / "a.html").write_text(html)
    (tmp_path / "robots.txt").write_text("User-agent: Twitterbot\nDisallow: /\n")
    folder = next(audit_files(tmp_path / "a.html", site.url("/")))
    assert folder.url == site.url("/a.html")
    site.html("/a.html", html)
    live = next(r for r in run(site)[0] if r.url == site.url("/a"))
    shown = preview(html.encode(), site.url("/a.html"))
    assert shown["score_from_fetch"] == []  # no fetch: every counted check read the HTML
    # The three paths may differ in score, and when they do the report names the checks
    # that read fetch-only facts; the HTML alone always scores the same.
    assert len({folder.score, live.score, shown["score"]}) > 1
    assert folder.html_score == live.html_score == shown["html_score"] == shown["score"]
    assert "SMO701" in folder.score_from_fetch and "SMO701" in live.score_from_fetch
    # Each report says so where the scores differ: text and HTML alike.
    from sociable.audit.report import html_report, text
    from sociable.audit.score import SiteScore

    differing = [r for r in (folder, live) if r.score != r.html_score]
    assert differing  # the preview scored the HTML alone, so at least one of these differs
    for report in differing:
        written = io.StringIO()
        text.write([report], written, SiteScore())
        assert f"from the HTML alone {report.html_score}/100" in written.getvalue()
        assert "SMO701" in written.getvalue().split("from the HTML alone", 1)[1]
        assert f"from the HTML alone {report.html_score}/100" in html_report.page_html(report)
