"""The extractor: tags, links, JSON-LD, encodings, and that no bytes make it raise."""

from __future__ import annotations

import codecs

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sociable.audit.extract import MAX_PARSE_BYTES, extract, share_network

URL = "https://example.com/blog/post"

PAGE = b"""<!doctype html><html lang="en-GB"><head>
<base href="/blog/">
<title>  Caf\xc3\xa9 &amp;
  Bar  </title>
<meta property="og:title" content="First &quot;one&quot;">
<meta property="og:title" content="Second">
<meta property="og:image" content="img/card.png">
<meta name="twitter:card" content="summary_large_image">
<meta name="description" content="  spaced   out\ttext ">
<meta itemprop="name" content="Item name">
<meta name="theme-color" content="#112233">
<link rel="canonical" href="https://example.com/blog/post">
<link rel="alternate" hreflang="de" href="/de/post">
<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" href="/atom.xml">
<link rel="alternate" type="application/feed+json" href="/feed.json">
<link rel="alternate" type="application/json+oembed" href="/oembed?url=x">
<link rel="icon" sizes="32x32" href="/favicon.png">
<link rel="me" href="https://mastodon.social/@acme">
<link rel="webmention" href="/webmention">
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "Organization", "name": "Acme", "sameAs": ["https://x.com/acme"]},
  {"@type": "Article", "headline": "H"}]}
</script>
<script type="application/ld+json">{"broken": </script>
</head><body>
<a href="https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fexample.com">f</a>
<a href="https://twitter.com/intent/tweet?url=u">x</a>
<a href="https://www.linkedin.com/sharing/share-offsite/?url=u">l</a>
<a href="https://www.reddit.com/submit?url=u">r</a>
<a href="https://www.pinterest.com/pin/create/button/?url=u">p</a>
<a href="https://wa.me/?text=u">w</a>
<a href="https://t.me/share/url?url=u">t</a>
<a href="mailto:?subject=Look&body=u">e</a>
<a href="https://bsky.app/intent/compose?text=u">b</a>
<a href="https://mastodon.social/share?text=u">m</a>
<a href="other">internal relative</a>
<a href="https://example.com/x#frag">internal absolute</a>
<a href="https://elsewhere.org/">external</a>
<a href="mailto:someone@example.com">plain mail</a>
<img src="a.png" alt="An A"><img src="b.png"><img src="c.png" alt="">
<time datetime="2026-01-02T03:04:05Z">Jan 2</time>
<button onclick="navigator.share({url: location.href})">Share</button>
</body></html>"""


def test_tags_first_wins_all_kept_and_text_only_collapsed() -> None:
    m = extract(PAGE, URL)
    assert m.first("og:title") == 'First "one"'
    assert m.all("og:title") == ['First "one"', "Second"]
    assert m.title == "Café & Bar"
    assert m.first("description") == "spaced out text"
    assert m.first("itemprop:name") == "Item name"
    assert m.theme_color == "#112233"
    assert m.lang == "en-GB"


def test_urls_resolved_against_base() -> None:
    m = extract(PAGE, URL)
    assert m.base_url == "https://example.com/blog/"
    assert m.first("og:image") == "https://example.com/blog/img/card.png"
    assert "og:image" in m.relative_url_keys
    assert [i.src for i in m.images] == [
        "https://example.com/blog/a.png",
        "https://example.com/blog/b.png",
        "https://example.com/blog/c.png",
    ]
    assert [i.alt for i in m.images] == ["An A", None, ""]


def test_links_feeds_oembed_profiles() -> None:
    m = extract(PAGE, URL)
    assert m.canonical == "https://example.com/blog/post"
    assert [(f.type, f.url) for f in m.feeds] == [
        ("rss", "https://example.com/feed.xml"),
        ("atom", "https://example.com/atom.xml"),
        ("json", "https://example.com/feed.json"),
    ]
    assert m.oembed[0].url == "https://example.com/oembed?url=x"
    assert m.hreflang[0].extra == "de"
    assert m.icons[0].url == "https://example.com/favicon.png"
    assert m.rel_me == ["https://mastodon.social/@acme"]
    assert m.same_as == ["https://x.com/acme"]
    assert m.webmention == "https://example.com/webmention"
    assert m.web_share_api
    assert m.times == ["2026-01-02T03:04:05Z"]


def test_share_links_for_every_network() -> None:
    m = extract(PAGE, URL)
    assert [s.network for s in m.share_links] == [
        "facebook", "x", "linkedin", "reddit", "pinterest",
        "whatsapp", "telegram", "email", "bluesky", "mastodon",
    ]  # fmt: skip
    assert m.links_internal == ["https://example.com/blog/other", "https://example.com/x"]
    assert m.links_external == ["https://elsewhere.org/"]


def test_jsonld_graph_and_errors_kept() -> None:
    m = extract(PAGE, URL)
    assert len(m.jsonld) == 2
    assert m.jsonld[1].error and m.jsonld[1].data is None
    assert [i["@type"] for i in m.jsonld_items()] == ["Organization", "Article"]


def test_share_network_rejects_ordinary_links() -> None:
    assert share_network("https://facebook.com/acme") is None
    assert share_network("https://twitter.com/acme") is None
    assert share_network("mailto:a@b.c") is None
    assert share_network("https://x.com/intent/post?text=a") == "x"


def test_encoding_from_bom_header_and_meta() -> None:
    body = "<title>Grüße</title>"
    assert extract(codecs.BOM_UTF8 + body.encode(), URL).title == "Grüße"
    m = extract(codecs.BOM_UTF16_LE + body.encode("utf-16-le"), URL)
    assert (m.title, m.encoding_source) == ("Grüße", "bom")
    latin = body.encode("latin-1")
    m = extract(latin, URL, {"Content-Type": "text/html; charset=ISO-8859-1"})
    assert (m.title, m.encoding_source) == ("Grüße", "http")
    m = extract(b'<meta charset="windows-1252">' + latin, URL)
    assert (m.title, m.encoding_source) == ("Grüße", "meta")
    # the HTTP header wins over the meta tag
    m = extract(
        b'<meta charset="utf-8">' + latin, URL, {"content-type": "text/html;charset=latin1"}
    )
    assert m.title == "Grüße"


def test_wrong_charset_declaration_falls_back_with_a_warning() -> None:
    latin = '<meta charset="utf-8"><title>Grüße</title>'.encode("latin-1")
    m = extract(latin, URL)
    assert m.title == "Grüße"
    assert any("not valid UTF-8" in w for w in m.warnings)
    m = extract(b'<meta charset="klingon"><title>x</title>', URL)
    assert m.title == "x"
    assert any("klingon" in w for w in m.warnings)


def test_binary_input_is_flagged_not_parsed() -> None:
    m = extract(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), URL)
    assert not m.is_html
    assert m.warnings


def test_truncated_html_still_yields_tags() -> None:
    cut = PAGE[: PAGE.index(b'<meta name="description"') + 30]
    m = extract(cut, URL)
    assert m.first("og:title") == 'First "one"'
    assert m.first("twitter:card") == "summary_large_image"


def test_huge_page_is_read_up_to_the_cap() -> None:
    filler = b"<p>" + b"x" * 1000 + b"</p>"
    page = b"<head><meta property='og:title' content='Big'></head>" + filler * (
        50 * 1024 * 1024 // len(filler)
    )
    m = extract(page, URL)
    assert m.first("og:title") == "Big"
    assert m.raw_size > MAX_PARSE_BYTES
    assert any("only the first" in w for w in m.warnings)


def test_tags_after_32k_are_listed() -> None:
    page = (
        b"<head><meta property='og:title' content='Early'>"
        + b"<script>" + b"/*" + b"x" * 40_000 + b"*/</script>"
        + b"<meta property='og:image' content='/late.png'></head>"
    )  # fmt: skip
    m = extract(page, URL)
    assert m.tags_beyond_32k == ["og:image"]


def test_link_header_webmention() -> None:
    m = extract(b"<title>t</title>", URL, {"Link": '<https://wm.example/e>; rel="webmention"'})
    assert m.webmention == "https://wm.example/e"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_fuzz_random_bytes_never_raise(data: bytes) -> None:
    m = extract(data, URL)
    assert m.raw_size == len(data)
    assert not any(w.startswith("extraction failed") for w in m.warnings), m.warnings


_fragments = st.sampled_from(
    [
        "<meta property='og:title' content='",
        "<link rel='canonical' href='",
        "<script type='application/ld+json'>",
        "</script>",
        "<a href='",
        "<img src='",
        "<base href='",
        "'>",
        '"',
        "http://[::1",
        "javascript:",
        "&#0;",
        "&amp",
        "<meta charset='",
        "utf-16",
        '{"@graph": [',
        "\x00",
        "\ufeff",
        "<!--",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_fragments, st.text(max_size=20)), max_size=40), st.text(max_size=30))
def test_fuzz_html_like_input_never_raises(parts: list[str], url: str) -> None:
    html = "".join(parts)
    for enc in ("utf-8", "utf-16"):
        m = extract(html.encode(enc, "surrogatepass"), url or URL, {"content-type": "text/html"})
        assert not any(w.startswith("extraction failed") for w in m.warnings), m.warnings


def test_invalid_jsonld_keeps_the_error_and_reads_leniently() -> None:
    page = (
        b'<script type="application/ld+json">\n<!-- a comment -->\n{"@type": "Article",\n'
        b'"headline": "H", // note\n"x": "a // b",\n}</script>'
        b'<script type="application/ld+json">{not json at all</script>'
    )
    m = extract(page, URL)
    first, second = m.jsonld
    assert first.error and first.repaired
    assert first.data == {"@type": "Article", "headline": "H", "x": "a // b"}
    assert second.error and not second.repaired and second.data is None


def test_structured_properties_follow_their_root() -> None:
    page = (
        b"<meta property=og:image content=/a.png><meta property=og:image:width content=10>"
        b"<meta property=og:image content=/b.png><meta property=og:image:alt content=B>"
        b"<meta property=og:image:url content=/b.png>"
        b"<meta property=og:video:url content=/v1><meta property=og:video:url content=/v2>"
        b"<meta property=og:video:tag content=t1><meta property=og:video:tag content=t2>"
    )
    m = extract(page, URL)
    assert m.structured("og:image") == [
        {"url": "https://example.com/a.png", "width": "10"},
        {"url": "https://example.com/b.png", "alt": "B"},
    ]
    assert m.structured("og:video") == [
        {"url": "https://example.com/v1"},
        {"url": "https://example.com/v2", "tags": ["t1", "t2"]},
    ]


_href = st.lists(
    st.sampled_from(
        [
            "a",
            "b.html",
            "/",
            ".",
            "..",
            "?",
            "#",
            ":",
            "//",
            "%20",
            " ",
            "x:y",
            "~",
            ";",
            "\t",
            "\x00",
            "é",
            "[",
            "HTTP://",
            "=",
            "\u3000",
        ]
    ),
    max_size=8,
).map("".join)
_base = st.sampled_from(
    [
        "https://ex.com/a/b/c.html?q=1#f",
        "https://ex.com",
        "https://ex.com/dir/",
        "http://ex.com:8080/x",
        "https://u@ex.com/p;x",
    ]
)


@settings(max_examples=500, deadline=None)
@given(_base, _href)
def test_fast_link_resolution_equals_urljoin(base: str, href: str) -> None:
    from urllib.parse import urljoin

    from sociable.audit.extract import _Resolver

    value = href.strip(" \t\n\f\r")
    # An empty href resolves to "" (nothing to link), like resolve(); urljoin gives the base.
    try:
        expected = urljoin(base, value) if value else ""
    except ValueError:  # e.g. "//[": resolve() keeps such a value as written
        expected = value
    assert _Resolver(base)(href) == expected


def test_late_meta_charset_in_a_large_head_is_found() -> None:
    # A CJK page whose <meta charset> comes after 40 KB of inline script (real pages do).
    title = "東京の天気予報と週間の気温"
    html = (
        b"<html><head><script>var config = {" + b"a: 1, " * 7000 + b"};</script>"
        b'<meta charset="shift_jis"><title>' + title.encode("shift_jis") + b"</title>"
        b"</head><body></body></html>"
    )
    meta = extract(html, URL)
    assert meta.encoding_source == "meta" and meta.encoding == "shift_jis"
    assert meta.title == title


def test_undeclared_cjk_page_uses_the_detector_before_cp1252() -> None:
    title = "北京今日新闻：经济与文化的最新报道和评论"
    body = "<p>" + "今天的新闻报道了经济发展、文化活动和社会生活的许多方面。" * 20 + "</p>"
    html = f"<html><head><title>{title}</title></head><body>{body}</body></html>"
    meta = extract(html.encode("gb18030"), URL)
    assert meta.title == title
    assert meta.encoding_source == "default"
    assert any("detected" in p for p in meta.encoding_problems)  # still a finding (SMO)


def test_latin_text_without_declaration_still_falls_back_to_cp1252() -> None:
    meta = extract("<title>Grüße “quoted”</title>".encode("cp1252"), URL)
    assert meta.title == "Grüße “quoted”"
