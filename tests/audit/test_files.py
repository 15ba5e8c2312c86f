"""Auditing a folder of static HTML: URL mapping, robots.txt, sitemap, feeds, local images."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from sociable.audit.files import audit_files, file_url
from sociable.errors import UserError

BASE = "https://blog.example/"
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def png(path: Path, w: int, h: int) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (w, h)).save(buf, "PNG")
    path.write_bytes(buf.getvalue())


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "posts").mkdir()
    (tmp_path / "index.html").write_text(
        "<html lang=en><head><title>Home</title>"
        "<link rel=alternate type=application/rss+xml href=/feed.xml>"
        "<meta property=og:image content=/card.png></head>"
        "<body><a href=/posts/a.html>a</a></body></html>"
    )
    (tmp_path / "posts" / "a.html").write_text(
        "<html><head><meta property=og:image content=/small.png>"
        "<meta property=og:image:alt content=x></head><body></body></html>"
    )
    png(tmp_path / "card.png", 1200, 630)
    png(tmp_path / "small.png", 100, 100)
    (tmp_path / "robots.txt").write_text("User-agent: Twitterbot\nDisallow: /posts/\n")
    (tmp_path / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://blog.example/</loc></url></urlset>"
    )
    (tmp_path / "feed.xml").write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>B</title><link>x</link>"
        "<description>d</description><item><title>Old</title>"
        "<pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item></channel></rss>"
    )
    (tmp_path / "notes.txt").write_text("not html")
    return tmp_path


def test_folder_audit(site: Path) -> None:
    reports = {r.url: r for r in audit_files(site, BASE.rstrip("/"), now=NOW)}
    assert set(reports) == {"https://blog.example/", "https://blog.example/posts/a.html"}
    home, post = reports["https://blog.example/"], reports["https://blog.example/posts/a.html"]
    home_codes = {f.code for f in home.findings}
    assert "SMO105" not in home_codes and "SMO105" not in home.not_checked  # sitemap read
    assert "SMO108" in home_codes  # the folder's feed is stale
    assert "SMO315" not in home_codes and "SMO315" not in home.not_checked  # image measured
    post_codes = {f.code for f in post.findings}
    assert "SMO701" in post_codes  # robots.txt blocks Twitterbot from /posts/
    assert "SMO315" in post_codes  # 100×100 is too small
    assert "SMO703" in post.not_checked  # no server, no status


def test_single_file_and_missing_sitemap(site: Path) -> None:
    (site / "sitemap.xml").unlink()
    [report] = audit_files(site / "posts" / "a.html", BASE)
    assert report.url == "https://blog.example/a.html"
    assert "SMO105" in report.not_checked  # a single file says nothing about the site
    reports = list(audit_files(site, BASE))
    assert all("SMO105" in {f.code for f in r.findings} for r in reports)


def test_file_url_mapping(tmp_path: Path) -> None:
    assert file_url(tmp_path, tmp_path / "a" / "index.html", BASE) == BASE + "a/"
    assert file_url(tmp_path, tmp_path / "index.html", BASE) == BASE


def test_bad_targets(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        list(audit_files(tmp_path / "missing", BASE))
    with pytest.raises(UserError, match="base-url"):
        list(audit_files(tmp_path, "blog.example"))


def test_binary_and_broken_files_do_not_stop_the_run(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_bytes(b"\x89PNG\x00\x00junk")
    (tmp_path / "b.html").write_bytes(b"<html><head><title>Trunc")
    (tmp_path / "c.html").write_bytes(
        '<meta charset="utf-8"><title>Grüße</title>'.encode("latin-1")
    )
    reports = list(audit_files(tmp_path, BASE))
    assert [r.url.rsplit("/", 1)[1] for r in reports] == ["a.html", "b.html", "c.html"]
    assert reports[0].error == "not an HTML page"
    assert reports[1].error is None
    assert reports[2].resolved["title"] == "Grüße"


def test_unlinked_feed_in_the_folder_is_named(site: Path) -> None:
    reports = {r.url: r for r in audit_files(site, BASE, now=NOW)}
    post = reports["https://blog.example/posts/a.html"]
    msg = next(f.message for f in post.findings if f.code == "SMO501")
    assert "https://blog.example/feed.xml" in msg and "does not link it" in msg
