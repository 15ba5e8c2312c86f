"""`sociable audit TARGET` end to end: live sites on loopback, folders, files, history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sociable.store.secrets import generate_key
from tests.audit.test_crawl_server import Site, site_fixture  # noqa: F401

GOOD = """<!doctype html><html lang="en"><head><title>{title}</title>
<meta property="og:title" content="{title}"><meta property="og:type" content="website">
<meta property="og:description" content="A description of {title} for the card preview.">
<meta property="og:url" content="{url}"><link rel="canonical" href="{url}">
<meta name="twitter:card" content="summary">{extra}</head>
<body>{links}</body></html>"""


def page(site: Site, path: str, title: str, *links: str, extra: str = "") -> None:
    anchors = "".join(f'<a href="{href}">{href}</a>' for href in links)
    site.html(path, GOOD.format(title=title, url=site.url(path), links=anchors, extra=extra))


def small_site(site: Site) -> None:
    page(site, "/", "Home", "/about", "/huge", "/loop")
    page(site, "/about", "About", "/")
    big = {"content-type": "text/html", "content-length": str(50 * 1024 * 1024)}
    site.add("/huge", (200, big, b"<html>" + b"x" * 1000))
    site.add("/loop", (302, {"location": "/loop"}, b""))


def test_live_site_json_report(cli, site: Site) -> None:  # type: ignore[no-untyped-def]
    small_site(site)
    result = cli("audit", site.url("/"), "--allow-private", "--format", "json", "--rate-limit", "0")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    pages = {p["url"]: p for p in data["pages"]}
    assert set(pages) == {site.url(p) for p in ("/", "/about", "/huge", "/loop")}
    assert "too large" in pages[site.url("/huge")]["error"]
    assert "redirect loop" in pages[site.url("/loop")]["error"]
    assert data["site"]["pages"] == 4 and data["site"]["error_pages"] == 2
    assert 0 <= data["site"]["score"] <= 100
    codes = {f["code"] for f in pages[site.url("/")]["findings"]}
    assert "SMO303" in codes  # no og:image on these pages


def test_private_hosts_are_refused_without_the_flag(cli, site: Site) -> None:  # type: ignore[no-untyped-def]
    small_site(site)
    result = cli("audit", site.url("/"))
    assert result.code == 2
    assert "--allow-private" in result.err and len(result.err.strip().splitlines()) == 1
    assert site.requests == []


def test_select_ignore_fail_under_and_output_file(cli, site: Site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small_site(site)
    out = tmp_path / "report.json"
    result = cli(
        "audit",
        site.url("/"),
        "--allow-private",
        "--format",
        "json",
        "--output",
        str(out),
        "--select",
        "SMO3",
        "--ignore",
        "SMO31",
        "--fail-under",
        "100",
        "--max-pages",
        "2",
    )
    assert result.code == 1
    assert "below --fail-under 100" in result.err
    data = json.loads(out.read_text())
    assert len(data["pages"]) == 2
    codes = {f["code"] for p in data["pages"] for f in p["findings"]}
    assert "SMO303" in codes
    assert all(c.startswith("SMO3") and not c.startswith("SMO31") for c in codes)


def test_config_defaults_apply(cli, site: Site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small_site(site)
    config = tmp_path / "sociable.toml"
    config.write_text(
        '[audit]\nallow_private = true\nignore = ["SMO3"]\nmax_pages = 1\nfail_under = 0\n'
        'database_url = "x"\n'.replace('database_url = "x"\n', "")
    )
    result = cli(
        "--config",
        str(config),
        "--database-url",
        f"sqlite:///{tmp_path}/a.db",
        "audit",
        site.url("/"),
        "--format",
        "json",
        "--no-save",
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert len(data["pages"]) == 1
    assert not [f for p in data["pages"] for f in p["findings"] if f["code"].startswith("SMO3")]


def test_folder_and_single_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "site"
    (root / "blog").mkdir(parents=True)
    (root / "index.html").write_text("<html><head><title>Home</title></head></html>")
    (root / "blog" / "post.html").write_bytes(b"\x00\x01\x02 binary junk \xff\xfe")
    result = cli("audit", str(root), "--base-url", "https://example.com", "--format", "csv")
    assert result.code == 0, result.err
    assert "https://example.com/blog/post.html" in result.out
    one = cli("audit", str(root / "index.html"), "--base-url", "https://example.com/", "-f", "json")
    assert one.code == 0 and len(json.loads(one.out)["pages"]) == 1
    missing = cli("audit", str(root), "--format", "json")
    assert missing.code == 2 and "--base-url" in missing.err
    nothing = cli("audit", str(tmp_path / "nope"))
    assert nothing.code == 2 and "no such file or folder" in nothing.err


def test_bad_flags_are_one_line_errors(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = cli("audit", "http://[::1", "--allow-private")
    assert bad.code == 2 and "error" in bad.err
    unknown = cli("audit", str(tmp_path), "--base-url", "https://e.com/", "--select", "NOPE9")
    assert unknown.code == 2 and "NOPE9" in unknown.err
    compare = cli("audit", str(tmp_path), "--base-url", "https://e.com/", "--compare", "first")
    assert compare.code == 2 and "--compare" in compare.err


def test_history_compare_last(  # type: ignore[no-untyped-def]
    cli, site: Site, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `db upgrade` wants the credentials key; the audit itself does not.
    monkeypatch.setenv("SOCIABLE_SECRET_KEY", generate_key().decode())
    assert cli("--database-url", database_url, "db", "upgrade").code == 0
    monkeypatch.delenv("SOCIABLE_SECRET_KEY")
    page(site, "/", "Home", "/about")
    page(site, "/about", "About")
    args = (
        "--database-url",
        database_url,
        "audit",
        site.url("/"),
        "--allow-private",
        "--rate-limit",
        "0",
    )
    first = cli(*args, "--compare", "last")
    assert first.code == 0, first.err
    assert "no earlier run" in first.err
    image = f'<meta property="og:image" content="{site.url("/og.png")}">'
    page(site, "/", "Home", "/about", extra=image)  # fixes SMO303 on the home page
    site.html("/about", "<html><head><title>About</title></head></html>")  # breaks /about
    second = cli(*args, "--compare", "last")
    assert second.code == 0, second.err
    assert "Compared with run 1" in second.out
    assert f"- SMO303 {site.url('/')}" in second.out
    assert f"+ SMO301 {site.url('/about')}" in second.out
    as_json = cli(*args, "--compare", "2", "--format", "json", "--output", str(tmp_path / "r.json"))
    assert as_json.code == 0, as_json.err
    diff = json.loads(as_json.out)
    assert "report written to" in as_json.err
    assert diff["previous_run"] == 2 and diff["new_findings"] == 0 and diff["fixed_findings"] == 0


def test_compare_without_migrated_database_is_an_error(cli, site: Site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page(site, "/", "Home")
    url = f"sqlite:///{tmp_path}/fresh.db"
    result = cli(
        "--database-url", url, "audit", site.url("/"), "--allow-private", "--compare", "last"
    )
    assert result.code == 2 and "sociable db upgrade" in result.err
    saved_anyway = cli("--database-url", url, "audit", site.url("/"), "--allow-private")
    assert saved_anyway.code == 0 and "not saved" in saved_anyway.err
