"""Audit rules fire on the pages they describe, and stay silent when facts are missing."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sociable.audit.context import FeedInfo, FetchInfo, ImageProbe, OEmbedResult, SiteInfo
from sociable.audit.engine import audit_page
from sociable.rules import RuleFilter, all_rules

URL = "https://example.com/blog/post"
NOW = datetime(2026, 11, 21, tzinfo=UTC)

GOOD = b"""<!doctype html><html lang="en"><head>
<title>Good post</title>
<link rel="canonical" href="https://example.com/blog/post">
<meta property="og:title" content="Good post">
<meta property="og:type" content="article">
<meta property="og:url" content="https://example.com/blog/post">
<meta property="og:description" content="A post that shares well.">
<meta property="og:image" content="https://example.com/card.png">
<meta property="og:image:alt" content="The card">
<meta property="og:image:width" content="1200"><meta property="og:image:height" content="630">
<meta property="article:published_time" content="2026-11-01T10:00:00Z">
<meta name="twitter:card" content="summary_large_image">
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="alternate" type="application/json+oembed" href="/oembed?url=x">
<link rel="webmention" href="/wm">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Article",
"headline":"Good post","image":"https://example.com/card.png","datePublished":"2026-11-01",
"author":{"name":"A"}}</script>
</head><body><a href="/">home</a>
<a href="https://twitter.com/intent/tweet?url=https%3A%2F%2Fexample.com%2Fblog%2Fpost">X</a>
<button onclick="navigator.share({url: location.href})">Share</button>
<img src="/a.png" alt="a"></body></html>"""


def good_fetch(**over: object) -> FetchInfo:
    image = ImageProbe(
        "https://example.com/card.png", 200, "image/png", 100_000, 1200, 630,
        robots={"Twitterbot": True},
    )  # fmt: skip
    fetch = FetchInfo(
        url=URL,
        final_url=URL,
        status=200,
        wire_bytes=5000,
        content_encoding="gzip",
        compression_offered=True,
        robots={"Twitterbot": True, "facebookexternalhit": True},
        images={image.url: image},
        site=SiteInfo("https://example.com/", robots_txt_present=True, sitemap_present=True),
        feeds={
            "https://example.com/feed.xml": FeedInfo(
                "https://example.com/feed.xml",
                True,
                "rss",
                "F",
                3,
                [datetime(2026, 11, 1, tzinfo=UTC)],
            )
        },
        oembed=OEmbedResult(
            "https://example.com/oembed?url=x", True, 200, {"version": "1.0", "type": "link"}
        ),
    )
    for key, value in over.items():
        setattr(fetch, key, value)
    return fetch


def codes(report) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings}


def test_good_page_with_fetch_passes_everything() -> None:
    r = audit_page(GOOD, URL, good_fetch(), now=NOW)
    assert codes(r) == set(), [(f.code, f.message) for f in r.findings]
    assert r.score == 100
    assert r.not_checked == []


def test_without_fetch_fetched_facts_are_not_checked_not_guessed() -> None:
    r = audit_page(GOOD, URL, now=NOW)
    assert codes(r) == set()
    assert {"SMO313", "SMO315", "SMO701", "SMO703", "SMO105", "SMO502"} <= set(r.not_checked)
    assert "crawlers" in r.categories  # SMO705 / SMO708 still run on a static file


def test_empty_page_fails_the_basics() -> None:
    r = audit_page(b"<html><body>hi</body></html>", URL, now=NOW)
    assert {"SMO101", "SMO301", "SMO303", "SMO306", "SMO201", "SMO501", "SMO601"} <= codes(r)
    assert r.score < 50
    f = next(f for f in r.findings if f.code == "SMO301")
    assert f.page == URL and f.fix and f.evidence and f.category == "cards"


def test_image_problems_per_network() -> None:
    def image(**kw: object) -> FetchInfo:
        probe = ImageProbe("https://example.com/card.png", 200, "image/png", 100_000, 1200, 630)
        for k, v in kw.items():
            setattr(probe, k, v)
        return good_fetch(images={probe.url: probe})

    assert "SMO313" in codes(audit_page(GOOD, URL, image(status=404), now=NOW))
    assert "SMO314" in codes(audit_page(GOOD, URL, image(content_type="image/svg+xml"), now=NOW))
    assert "SMO314" in codes(audit_page(GOOD, URL, image(content_type="text/html"), now=NOW))
    small = audit_page(GOOD, URL, image(width=250, height=150), now=NOW)
    msg = next(f.message for f in small.findings if f.code == "SMO315")
    assert "x:summary_large_image needs 300×157" in msg and "facebook" in msg
    heavy = audit_page(GOOD, URL, image(size_bytes=200 * 1024 * 1024), now=NOW)
    assert "SMO316" in codes(heavy)
    assert "SMO317" in codes(audit_page(GOOD, URL, image(width=5000, height=2618), now=NOW))
    assert "SMO318" in codes(audit_page(GOOD, URL, image(width=800, height=800), now=NOW))
    only_fb = audit_page(
        GOOD, URL, image(size_bytes=6 * 1024 * 1024), networks=["facebook"], now=NOW
    )
    assert "SMO316" not in codes(only_fb)  # 6 MB is fine for Facebook (8 MB)


def test_crawler_rules() -> None:
    r = audit_page(GOOD, URL, good_fetch(robots={"Twitterbot": False, "Slackbot": True}), now=NOW)
    assert "SMO701" in codes(r)
    hops = [(301, "http://example.com/p"), (302, "https://example.com/p")]
    assert "SMO704" in codes(audit_page(GOOD, URL, good_fetch(redirects=hops), now=NOW))
    plain = good_fetch(content_encoding=None)
    assert "SMO706" in codes(audit_page(GOOD, URL, plain, now=NOW))


def test_failed_fetch_reports_error_and_only_crawler_rules() -> None:
    r = audit_page(b"", URL, good_fetch(status=404), now=NOW)
    assert r.error == "HTTP 404"
    assert codes(r) == {"SMO703"}
    r = audit_page(b"", URL, FetchInfo(URL, error="timed out after 10 s"), now=NOW)
    assert "SMO707" in codes(r) and r.error


def test_binary_page_is_a_finding() -> None:
    r = audit_page(b"\x00\x01\x02binary", URL, now=NOW)
    assert r.error == "not an HTML page"
    assert "SMO708" in codes(r)


def test_stale_and_broken_feeds() -> None:
    old = FeedInfo(
        "https://example.com/feed.xml", True, "rss", "F", 1, [datetime(2024, 1, 1, tzinfo=UTC)]
    )
    r = audit_page(GOOD, URL, good_fetch(feeds={old.url: old}), now=NOW)
    assert "SMO108" in codes(r)
    bad = FeedInfo("https://example.com/feed.xml", False, error="not XML")
    assert "SMO502" in codes(audit_page(GOOD, URL, good_fetch(feeds={bad.url: bad}), now=NOW))


def test_invalid_jsonld_and_incomplete_types() -> None:
    html = GOOD.replace(b'"author":{"name":"A"}}', b'"author":{"name":"A"}')
    r = audit_page(html, URL, now=NOW)
    assert "SMO602" in codes(r)
    html = GOOD.replace(b'"author":{"name":"A"}', b'"x":1')
    assert "SMO604" in codes(audit_page(html, URL, now=NOW))
    bc = (
        b'<script type="application/ld+json">{"@context":"https://schema.org",'
        b'"@type":"BreadcrumbList","itemListElement":[{"@type":"ListItem","position":1}]}</script>'
    )
    r = audit_page(bc, URL, now=NOW)
    assert "SMO607" in codes(r)


def test_share_links_for_configured_networks() -> None:
    r = audit_page(GOOD, URL, now=NOW, networks=["x", "linkedin"])
    msgs = [f.message for f in r.findings if f.code == "SMO202"]
    assert msgs == ["no share link for linkedin"]
    wrong = GOOD.replace(b"%2Fblog%2Fpost", b"%2Fother")
    assert "SMO204" in codes(audit_page(wrong, URL, now=NOW))


def test_rule_filter_drops_rules_from_findings_and_score() -> None:
    page = b"<html><body>hi</body></html>"
    r = audit_page(page, URL, rule_filter=RuleFilter(select=["SMO3"], ignore=["SMO303"]), now=NOW)
    assert codes(r) and all(c.startswith("SMO3") and c != "SMO303" for c in codes(r))
    assert set(r.categories) == {"cards"}


def test_every_audit_rule_describes_itself() -> None:
    audit = all_rules("audit")
    assert len(audit) >= 50
    for rule in audit:
        assert rule.title and rule.why and rule.fix and rule.docs_anchor.endswith(rule.code.lower())


def test_rules_doc_is_up_to_date() -> None:
    from pathlib import Path

    from sociable.audit.rulesdoc import render

    doc = Path(__file__).resolve().parents[2] / "docs" / "audit-rules.md"
    assert doc.read_text(encoding="utf-8") == render(), (
        "run: python -m sociable.audit.rulesdoc > docs/audit-rules.md"
    )


_bits = st.sampled_from(
    [
        "<meta property='og:title' content='",
        "<meta property='og:image' content='",
        "<meta name='twitter:card' content='",
        "<meta property='og:url' content='",
        "<link rel=canonical href='",
        "<link rel=alternate type=application/rss+xml href='",
        "<script type='application/ld+json'>",
        '{"@type": ["Article", "Product", "BreadcrumbList", "Organization"], "itemListElement": [',
        '{"@type": "BreadcrumbList", "itemListElement": [1, {"item": {}}]}',
        '{"sameAs": [1, null, "x"], "image": {"url": 3}, "publisher": [], "headline": 5}',
        "</script>",
        "<a href='https://x.com/intent/post?url=",
        "<img src='",
        "<time datetime='",
        "'>",
        "http://[",
        "?utm_source=a",
        "summary_large_image",
    ]
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(_bits, st.text(max_size=12)), max_size=25))
def test_fuzz_no_check_ever_fails(caplog, parts: list[str]) -> None:  # type: ignore[no-untyped-def]
    caplog.clear()
    report = audit_page("".join(parts).encode("utf-8", "surrogatepass"), URL, good_fetch(), now=NOW)
    assert 0 <= report.score <= 100
    assert not [r for r in caplog.records if "failed on" in r.getMessage()]


def test_wrong_or_missing_charset_is_a_finding() -> None:
    wrong = '<meta charset="utf-8"><title>Grüße</title>'.encode("latin-1")
    r = audit_page(wrong, URL, now=NOW)
    assert "SMO709" in codes(r)
    assert r.resolved["title"] == "Grüße"  # still read correctly
    undeclared = "<title>Grüße</title>".encode()
    assert "SMO709" in codes(audit_page(undeclared, URL, now=NOW))
    assert "SMO709" not in codes(audit_page(b"<title>plain ascii</title>", URL, now=NOW))
    ok = '<meta charset="utf-8"><title>Grüße</title>'.encode()
    assert "SMO709" not in codes(audit_page(ok, URL, now=NOW))


def test_huge_page_is_a_finding() -> None:
    page = GOOD + b"<!--" + b"x" * (6 * 1024 * 1024) + b"-->"
    r = audit_page(page, URL, now=NOW)
    assert "SMO710" in codes(r)
    assert r.resolved["title"] == "Good post"


def test_non_html_content_type_is_a_page_error() -> None:
    fetch = good_fetch(headers={"content-type": "application/pdf"})
    r = audit_page(b"%PDF-1.7 some text", URL, fetch, now=NOW)
    assert r.error == "not an HTML page (Content-Type: application/pdf)"
    assert "SMO708" in codes(r) and "SMO301" not in codes(r)
    xhtml = good_fetch(headers={"content-type": "application/xhtml+xml; charset=utf-8"})
    assert audit_page(GOOD, URL, xhtml, now=NOW).error is None
