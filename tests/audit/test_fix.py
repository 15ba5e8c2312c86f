"""``sociable fix`` only adds, is idempotent; ``sociable feed`` builds valid RSS and Atom."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sociable.audit.engine import audit_page
from sociable.audit.fix import fix_text

URL = "https://blog.example/posts/a.html"

POST = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Why &amp; how we share</title>
</head>
<body>
<article>
<h1>Why we share</h1>
<time datetime="2026-03-04">4 March</time>
<p>This is the first paragraph of the post, long enough to be a description of it.</p>
<img src="/img/hero.jpg" alt="A hero image">
</article>
</body>
</html>
"""


def only_insertions(before: str, after: str) -> bool:
    """``before`` is a subsequence of ``after``: nothing was removed or reordered."""
    it = iter(after)
    return all(ch in it for ch in before)


def test_fix_adds_what_is_missing_and_only_adds() -> None:
    after, _added = fix_text(
        POST, URL, ["x", "linkedin"], ("https://blog.example/feed.xml", "application/rss+xml")
    )
    assert only_insertions(POST, after)
    assert '<meta property="og:title" content="Why &amp; how we share">' in after
    assert '<meta property="og:type" content="article">' in after
    assert '<meta property="og:image" content="https://blog.example/img/hero.jpg">' in after
    assert '<meta property="og:image:alt" content="A hero image">' in after
    assert '<meta name="twitter:card" content="summary_large_image">' in after
    assert '<link rel="canonical" href="https://blog.example/posts/a.html">' in after
    assert 'type="application/rss+xml" href="https://blog.example/feed.xml"' in after
    assert "x.com/intent/post" in after and "linkedin.com/sharing" in after
    assert after.index("og:title") < after.index("</head>")
    assert after.index('class="share"') < after.index("</body>")
    before_codes = {f.code for f in audit_page(POST.encode(), URL).findings}
    after_codes = {f.code for f in audit_page(after.encode(), URL).findings}
    assert {"SMO101", "SMO301", "SMO303", "SMO306", "SMO201", "SMO501"} <= before_codes
    assert not {"SMO101", "SMO301", "SMO303", "SMO306", "SMO201", "SMO501"} & after_codes


def test_fix_twice_changes_nothing() -> None:
    once, _ = fix_text(POST, URL)
    twice, added = fix_text(once, URL)
    assert twice == once and added == []


def test_fix_keeps_existing_values() -> None:
    page = POST.replace("</head>", '<meta property="og:title" content="Mine"></head>')
    after, _ = fix_text(page, URL)
    assert after.count("og:title") == 1 and 'content="Mine"' in after


_parts = st.sampled_from(
    [
        "<title>T</title>",
        '<meta property="og:title" content="O">',
        '<meta name="description" content="D">',
        '<link rel="canonical" href="/c">',
        '<meta name="twitter:card" content="summary">',
        '<meta property="og:image" content="/i.png">',
        "<h1>Head</h1>",
        "<p>" + "word " * 12 + "</p>",
        '<img src="/x.png">',
        '<a href="https://x.com/intent/post?url=u">x</a>',
        "<head>",
        "</head>",
        "<body>",
        "</body>",
        "<!doctype html>",
        "&amp; < > \" '",
        "<?",
        "<!--",
        "-->",
        "<script>",
        "</script>",
        "<textarea>",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_parts, st.text(max_size=10)), max_size=15))
def test_fix_is_idempotent_and_only_inserts(parts: list[str]) -> None:
    page = "".join(parts)
    once, _ = fix_text(page, URL)
    assert only_insertions(page, once)
    twice, added = fix_text(once, URL)
    assert twice == once, added


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    (tmp_path / "posts").mkdir()
    (tmp_path / "index.html").write_text(
        "<html lang=en><head><title>My Blog</title><meta property=og:site_name content='My Blog'>"
        "<meta name=description content='Notes'></head><body></body></html>"
    )
    (tmp_path / "posts" / "a.html").write_text(POST)
    (tmp_path / "posts" / "b.html").write_text(
        "<html><head><title>B</title><meta property=article:published_time "
        "content='2026-05-06T07:08:09+02:00'></head></html>"
    )
    (tmp_path / "posts" / "c.html").write_text(
        '<html><head><title>C</title><script type="application/ld+json">'
        '{"@type":"BlogPosting","datePublished":"2025-12-24"}</script></head></html>'
    )
    (tmp_path / "about.html").write_text("<html><head><title>About</title></head></html>")
    return tmp_path


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_feed_is_valid_and_dated(cli, blog: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("feed", str(blog), "--base-url", "https://blog.example", "--format", fmt)
    assert r.code == 0, r.err
    parsed = feedparser.parse(r.out)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version.startswith("rss20" if fmt == "rss" else "atom")
    assert parsed.feed.title == "My Blog"
    titles = [e.title for e in parsed.entries]
    assert titles == ["B", "Why & how we share", "C"]  # newest first, About has no date
    published = [e.published_parsed[:3] for e in parsed.entries]
    assert published == [(2026, 5, 6), (2026, 3, 4), (2025, 12, 24)]
    assert parsed.entries[1].link == "https://blog.example/posts/a.html"


def test_feed_without_dated_pages_is_exit_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.html").write_text("<title>x</title>")
    r = cli("feed", str(tmp_path), "--base-url", "https://blog.example")
    assert r.code == 2 and "no page has a date" in r.err


def test_fix_cli_diff_then_write_then_nothing(cli, blog: Path) -> None:  # type: ignore[no-untyped-def]
    (blog / "feed.xml").write_text("<rss version='2.0'><channel></channel></rss>")
    original = (blog / "posts" / "a.html").read_text()
    r = cli("fix", str(blog), "--base-url", "https://blog.example/", "-n", "x")
    assert r.code == 0, r.err
    assert "+++ b/posts/a.html" in r.out and '+<meta property="og:title"' in r.out
    assert (blog / "posts" / "a.html").read_text() == original  # a diff only
    r = cli("fix", str(blog), "--base-url", "https://blog.example/", "-n", "x", "--write")
    assert r.code == 0 and "file(s) changed" in r.err
    fixed = (blog / "posts" / "a.html").read_text()
    assert 'href="https://blog.example/feed.xml"' in fixed and only_insertions(original, fixed)
    r = cli("fix", str(blog), "--base-url", "https://blog.example/", "-n", "x")
    assert r.out == "" and "0 file(s) would change" in r.err


def test_fix_leaves_files_that_do_not_decode(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    raw = '<meta charset="utf-8"><title>Grüße</title>'.encode("latin-1")
    (tmp_path / "a.html").write_bytes(raw)
    r = cli("fix", str(tmp_path), "--base-url", "https://blog.example/", "--write")
    assert r.code == 0
    assert (tmp_path / "a.html").read_bytes() == raw


def test_fix_picks_a_suitable_image() -> None:
    page = (
        "<html><head><title>T</title></head><body>"
        '<img src="/logo.svg"><img src="/icon.png" width="32" height="32">'
        '<img src="/photo.jpg" width="1200" alt="Photo"></body></html>'
    )
    after, _ = fix_text(page, URL)
    assert '<meta property="og:image" content="https://blog.example/photo.jpg">' in after
    assert '<meta property="og:image:alt" content="Photo">' in after
    only_small = (
        '<html><head><title>T</title></head><body><img src="/i.png" width="16"></body></html>'
    )
    after, _ = fix_text(only_small, URL)
    assert "og:image" not in after and 'content="summary"' in after


def test_fix_keeps_crlf_line_endings_and_the_end_of_file() -> None:
    page = "\r\n".join(
        ["<html>", "<head>", "<title>T</title>", "</head>", "<body>", "<p>x</p>", "</body>"]
    )
    page += "\r\n</html>\r\n"
    after, _ = fix_text(page, URL)
    assert "\n" not in after.replace("\r\n", "")
    assert after.endswith("</body>\r\n</html>\r\n")
    bare = "<title>T</title>\n\n"
    after, _ = fix_text(bare, URL)
    assert only_insertions(bare, after)
    assert '<title>T</title>\n\n<nav class="share"' in after  # trailing blank line kept


def test_feed_to_an_unwritable_place_is_exit_2(cli, blog: Path) -> None:  # type: ignore[no-untyped-def]
    target = blog / "missing-dir" / "feed.xml"
    r = cli("feed", str(blog), "--base-url", "https://blog.example", "-o", str(target))
    assert r.code == 2 and "cannot write" in r.err and "feed.xml" in r.err


def test_fix_skips_files_it_cannot_read_whole(blog: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sociable.audit import fix as fix_module

    monkeypatch.setattr(fix_module, "MAX_FILE_BYTES", 10)
    assert [f for f in fix_module.plan_fixes(blog, "https://blog.example/") if f.changed] == []
