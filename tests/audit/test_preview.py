"""``sociable preview`` for a file and a URL, and ``sociable.preview`` from Python."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import sociable

PAGE = (
    b"<html><head><title>Page</title><meta property='og:title' content='Card title'>"
    b"<meta name='twitter:card' content='summary_large_image'>"
    b"<meta property='og:image' content='/img.png'></head></html>"
)


def test_python_api() -> None:
    data = sociable.preview(PAGE, "https://example.com/p")
    assert set(data) >= {"resolved", "tags", "cards", "findings"}
    assert data["resolved"]["title"] == "Card title"
    assert data["resolved"]["image"] == "https://example.com/img.png"
    assert set(data["resolved"]) == {
        "title", "description", "image", "url", "site_name", "type", "locale"
    }  # fmt: skip
    assert data["tags"]["og:title"] == ["Card title"]
    assert data["cards"]["x"]["card_type"] == "summary_large_image"


def test_import_sociable_stays_light() -> None:
    code = "import sys, sociable; print('sociable.audit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_preview_file_json(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "p.html"
    page.write_bytes(PAGE)
    r = cli("preview", str(page), "--url", "https://example.com/p", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["cards"]["facebook"]["title"] == "Card title"
    assert any(f["code"] == "SMO305" for f in data["findings"])


def test_preview_file_text(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "p.html"
    page.write_bytes(PAGE)
    r = cli("preview", str(page))
    assert r.code == 0 and "Card title" in r.out and "mastodon" in r.out


def test_preview_missing_file_is_exit_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("preview", str(tmp_path / "nope.html"))
    assert r.code == 2 and "no such file" in r.err


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/old":
            self.send_response(301)
            self.send_header("Location", "/page")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_preview_url(cli, server: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("preview", server + "/old", "--allow-private", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["resolved"]["image"] == server + "/img.png"  # resolved against the final URL
    assert "SMO703" not in data["not_checked"]
    # fetched like the live audit: the og:image was probed (this server answers it with HTML)
    assert "SMO314" in {f["code"] for f in data["findings"]}


def test_preview_url_refuses_loopback_by_default(cli, server: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("preview", server + "/page")
    assert r.code == 2 and "refused" in r.err
