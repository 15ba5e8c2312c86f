"""sitemap.xml and sitemap index parsing: namespaces, gzip, caps, hostile XML."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sociable.audit.sitemap import SitemapError, gzip_bytes, parse_sitemap

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def test_urlset_with_lastmod_and_blank_entries() -> None:
    body = (
        f"<urlset {NS}><url><loc> https://e.com/a </loc><lastmod>2026-11-01</lastmod></url>"
        "<url><loc></loc></url><url><loc>https://e.com/b</loc></url></urlset>"
    ).encode()
    parsed = parse_sitemap("https://e.com/sitemap.xml", body)
    assert parsed.urls == ["https://e.com/a", "https://e.com/b"] and not parsed.is_index
    assert parsed.lastmods == {"https://e.com/a": "2026-11-01"}


def test_index_without_namespace_and_gzip() -> None:
    body = b"<sitemapindex><sitemap><loc>https://e.com/s1.xml</loc></sitemap></sitemapindex>"
    parsed = parse_sitemap("https://e.com/idx.xml.gz", gzip_bytes(body))
    assert parsed.is_index and parsed.sitemaps == ["https://e.com/s1.xml"]


def test_cap_on_entries() -> None:
    body = f"<urlset {NS}>" + "".join(f"<url><loc>https://e.com/{i}</loc></url>" for i in range(50))
    assert len(parse_sitemap("s", (body + "</urlset>").encode(), max_urls=10).urls) == 10


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><body>not found</body></html>", "root element is <html>"),
        (b"<urlset><url><loc>x</loc>", "not valid XML"),
        (b"\x1f\x8b\x08garbage", "not valid gzip"),
        (
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<urlset><url><loc>&b;</loc></url></urlset>",
            "not valid XML",
        ),
    ],
)
def test_bad_sitemaps_are_clear_errors(body: bytes, message: str) -> None:
    with pytest.raises(SitemapError, match=message):
        parse_sitemap("https://e.com/sitemap.xml", body)


@given(st.binary(max_size=500))
def test_fuzz_only_sitemap_errors(body: bytes) -> None:
    with contextlib.suppress(SitemapError):
        parse_sitemap("https://e.com/s.xml", body)
