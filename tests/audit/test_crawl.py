"""The live crawler against a real loopback server: discovery, limits, per-page failures."""

from __future__ import annotations

import asyncio
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sociable.audit.crawl import (
    CrawlOptions,
    FetchedPage,
    crawl_pages,
    extract_links,
    normalise_url,
    same_site,
)
from sociable.audit.sitemap import gzip_bytes
from tests.audit.test_crawl_server import Request, Site, serve, site_fixture  # noqa: F401

OPTS = CrawlOptions(allow_private=True, timeout=2.0, concurrency=4)


def crawl(start: str, options: CrawlOptions = OPTS) -> dict[str, FetchedPage]:
    async def go() -> dict[str, FetchedPage]:
        return {p.url: p async for p in crawl_pages(start, options)}

    return asyncio.run(go())


def page(title: str, *links: str) -> str:
    anchors = "".join(f'<a href="{href}">x</a>' for href in links)
    return f"<!doctype html><html><head><title>{title}</title></head><body>{anchors}</body></html>"


def test_follows_links_same_host_only_and_dedupes(site: Site) -> None:
    site.html(
        "/", page("home", "/a", "/a#top", "./a", "/b?x=1", "http://example.com/ext", "mailto:x@y")
    )
    site.html("/a", page("a", "/", "/c/", "/img.png"))
    site.html("/b?x=1", page("b"))
    site.html("/c/", page("c", "../a"))
    pages = crawl(site.url("/"))
    assert set(pages) == {site.url(p) for p in ("/", "/a", "/b?x=1", "/c/")}
    assert all(p.status == 200 and p.error is None for p in pages.values())
    assert sorted(site.paths()) == sorted(
        ["/robots.txt", "/sitemap.xml", "/", "/a", "/b?x=1", "/c/"]
    )
    assert pages[site.url("/a")].depth == 1


def test_sitemap_index_gzip_and_robots_sitemap_line(site: Site) -> None:
    site.add(
        "/robots.txt",
        (200, {"content-type": "text/plain"}, f"Sitemap: {site.url('/idx.xml')}\n".encode()),
    )
    idx = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{site.url('/s1.xml.gz')}</loc></sitemap></sitemapindex>"
    )
    urlset = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{site.url('/orphan')}</loc></url><url><loc>http://other.test/x</loc></url></urlset>"
    )
    site.add("/idx.xml", (200, {"content-type": "application/xml"}, idx.encode()))
    site.add("/s1.xml.gz", (200, {"content-type": "application/gzip"}, gzip_bytes(urlset.encode())))
    site.html("/", page("home"))
    site.html("/orphan", page("orphan"))
    pages = crawl(site.url("/"))
    assert set(pages) == {site.url("/"), site.url("/orphan")}
    assert pages[site.url("/orphan")].source == "sitemap"


def test_robots_disallow_is_honoured_and_garbage_robots_is_not_fatal(site: Site) -> None:
    site.add("/robots.txt", (200, {}, b"User-agent: SociableBot\nDisallow: /private\n"))
    site.html("/", page("home", "/private/x", "/public"))
    site.html("/public", page("public"))
    site.html("/private/x", page("secret"))
    pages = crawl(site.url("/"))
    assert "/private/x" not in site.paths()
    assert "robots.txt disallows" in (pages[site.url("/private/x")].error or "")
    assert pages[site.url("/public")].status == 200

    site.requests.clear()
    site.add("/robots.txt", (200, {}, b"\x00\xff\xfe<html>garbage\nDisallow\n::::\n" * 50))
    assert crawl(site.url("/"))[site.url("/private/x")].status == 200


def test_max_pages_caps_the_crawl(site: Site) -> None:
    site.html("/", page("home", *[f"/p{i}" for i in range(30)]))
    for i in range(30):
        site.html(f"/p{i}", page(f"p{i}"))
    pages = crawl(site.url("/"), CrawlOptions(allow_private=True, max_pages=7, concurrency=3))
    assert len(pages) == 7
    assert len([p for p in site.paths() if p.startswith("/p")]) == 6


def test_redirect_chain_loop_and_limit(site: Site) -> None:
    site.html("/", page("home", "/old", "/loop1", "/r0"))
    site.add("/old", (301, {"location": "/mid"}, b""))
    site.add("/mid", (302, {"location": site.url("/new")}, b""))
    site.html("/new", page("new"))
    site.add("/loop1", (301, {"location": "/loop2"}, b""))
    site.add("/loop2", (301, {"location": "/loop1"}, b""))
    for i in range(10):
        site.add(f"/r{i}", (302, {"location": f"/r{i + 1}"}, b""))
    pages = crawl(site.url("/"))
    moved = pages[site.url("/old")]
    assert moved.redirects == [(301, site.url("/old")), (302, site.url("/mid"))]
    assert moved.final_url == site.url("/new") and moved.status == 200
    assert "redirect loop" in (pages[site.url("/loop1")].error or "")
    assert "more than 5 redirects" in (pages[site.url("/r0")].error or "")


def test_per_page_failures_do_not_stop_the_crawl(site: Site) -> None:
    def slow(_req: Request) -> tuple[int, dict[str, str], bytes]:
        time.sleep(2.5)
        return 200, {"content-type": "text/html"}, b"<html>late</html>"

    site.html("/", page("home", "/slow", "/bin", "/big", "/gone", "/octet", "/ok"))
    site.add("/slow", slow)
    site.add("/bin", (200, {"content-type": "text/html"}, b"\x00\x01\x02PK\x03\x04" * 100))
    site.add("/octet", (200, {"content-type": "application/octet-stream"}, b"\x00" * 10))
    site.add("/big", (200, {"content-type": "text/html"}, b"<html>" + b"x" * 300_000))
    site.html("/ok", page("ok"))
    options = CrawlOptions(allow_private=True, timeout=1.0, max_bytes=200_000)
    pages = crawl(site.url("/"), options)
    assert "timed out" in (pages[site.url("/slow")].error or "")
    assert "not HTML" in (pages[site.url("/bin")].error or "")
    assert pages[site.url("/octet")].error == "not HTML: application/octet-stream"
    assert "too large" in (pages[site.url("/big")].error or "")
    gone = pages[site.url("/gone")]
    assert gone.status == 404 and gone.error is None
    assert pages[site.url("/ok")].status == 200


def test_loopback_refused_without_allow_private(site: Site) -> None:
    site.html("/", page("home"))
    pages = crawl(site.url("/"), CrawlOptions(timeout=2.0, allow_private_hint="--let-me"))
    assert "private, loopback" in (pages[site.url("/")].error or "")
    assert "(to allow such hosts: --let-me)" in (pages[site.url("/")].error or "")
    assert site.requests == []


def test_rate_limit_spaces_requests(site: Site) -> None:
    site.html("/", page("home", *[f"/p{i}" for i in range(5)]))
    for i in range(5):
        site.html(f"/p{i}", page(f"p{i}"))
    crawl(
        site.url("/"),
        CrawlOptions(allow_private=True, rate_limit=10, concurrency=5, use_sitemap=False),
    )
    # Five limited requests at 10/s span at least 0.4 s; the bound leaves room for a request
    # that reaches the server late on a busy machine.
    starts = sorted(r.at for r in site.requests if r.path.startswith("/p"))
    assert len(starts) == 5 and starts[-1] - starts[0] > 0.3


def test_crawl_delay_from_robots(site: Site) -> None:
    site.add("/robots.txt", (200, {}, b"User-agent: *\nCrawl-delay: 0.2\n"))
    site.html("/", page("home", "/a", "/b", "/c"))
    for path in ("/a", "/b", "/c"):
        site.html(path, page(path))
    crawl(site.url("/"), CrawlOptions(allow_private=True, concurrency=3, use_sitemap=False))
    # The start page is fetched before robots.txt sets the pace; the next three are spaced.
    starts = sorted(r.at for r in site.requests if r.path in ("/a", "/b", "/c"))
    assert len(starts) == 3 and starts[-1] - starts[0] > 0.3


def test_normalise_url_examples() -> None:
    assert normalise_url("HTTP://Example.COM:80") == "http://example.com/"
    assert normalise_url("https://example.com:443/a/./b/../c#frag") == "https://example.com/a/c"
    assert normalise_url("http://example.com/%7euser/") == "http://example.com/~user/"
    assert normalise_url("http://example.com/a b?q=1 2") == "http://example.com/a%20b?q=1%202"
    assert normalise_url("http://example.com:8080/x") == "http://example.com:8080/x"
    with pytest.raises(ValueError):
        normalise_url("ftp://example.com/")
    assert same_site("https://example.com/x", "http://example.com/")
    assert not same_site("http://example.com:8080/", "http://example.com/")


@given(
    st.sampled_from(["http", "HTTPS"]),
    st.sampled_from(["example.com", "EXAMPLE.com", "127.0.0.1"]),
    st.text(alphabet="abc/.%~ -_?=&#é", max_size=30),
)
def test_normalise_url_is_idempotent(scheme: str, host: str, rest: str) -> None:
    url = f"{scheme}://{host}/{rest}"
    once = normalise_url(url)
    assert normalise_url(once) == once
    assert "#" not in once


def test_extract_links_honours_base_and_nofollow() -> None:
    html = (
        b'<base href="/docs/"><a href="x">1</a><a rel="nofollow" href="/n">2</a><a href="#f">3</a>'
    )
    assert extract_links(html, "http://e.com/index.html") == ["http://e.com/docs/x"]
    assert extract_links(b"\x00\x01\x02", "http://e.com/") == []


def test_start_url_redirecting_to_another_host_moves_the_crawl(site: Site) -> None:
    with serve() as www:
        site.add("/", (301, {"location": www.url("/")}, b""))
        www.add("/robots.txt", (200, {}, b"User-agent: *\nDisallow: /secret\n"))
        www.html("/", page("home", "/b1", "/secret", site.url("/elsewhere")))
        www.html("/b1", page("b1"))
        pages = crawl(site.url("/"))
        start = pages[site.url("/")]
        assert start.final_url == www.url("/") and start.redirects == [(301, site.url("/"))]
        assert pages[www.url("/b1")].status == 200
        assert "robots.txt disallows" in (pages[www.url("/secret")].error or "")
        assert www.url("/") not in pages  # the start page is not fetched twice
        assert site.url("/elsewhere") not in pages
        assert www.paths().count("/") == 1
