"""Audits from the web: a real crawl of a loopback site as a background job, its report,
its history, roles and the SSRF guard, on both databases."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import tests.web.conftest as web_conftest
from sociable.config import Settings
from sociable.store.db import Database
from sociable.store.models import Workspace
from sociable.store.models.audit import AuditRun
from sociable.store.secrets import SecretBox
from sociable.web.app import create_app
from sociable.web.jobs import AuditJobs, audit_folder, mark_interrupted
from tests.audit.test_crawl_server import Site, site_fixture  # noqa: F401
from tests.audit.test_run import build
from tests.web.conftest import WebApp, start_web


def private_settings() -> Settings:
    settings = Settings()
    settings.audit.allow_private = True
    settings.audit.rate_limit = 0
    return settings


def serve_private(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebApp]:
    """The web fixture's server, with settings that let audits reach loopback sites."""
    settings = private_settings()
    monkeypatch.setattr(
        web_conftest,
        "create_app",
        lambda d, key, **kwargs: create_app(d, key, settings=settings, **kwargs),
    )
    yield from start_web(db)


@pytest.fixture
def aweb(db: Database, secret_box: SecretBox, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebApp]:
    yield from serve_private(db, monkeypatch)


def wait_done(client: httpx.Client, run_id: int, deadline: float = 60) -> dict[str, Any]:
    """Poll the API like the page does, until the run leaves queued/running."""
    end = time.monotonic() + deadline
    while True:
        body: dict[str, Any] = client.get(f"/api/v1/audits/{run_id}").json()
        if body["status"] not in ("queued", "running"):
            return body
        assert time.monotonic() < end, f"audit {run_id} still {body['status']}"
        time.sleep(0.1)


def test_audit_runs_in_background_and_reports(aweb: WebApp, site: Site) -> None:
    build(site)
    editor = aweb.as_token("editor")
    start = editor.post(
        "/api/v1/audits", json={"url": site.url("/")}, headers={"Idempotency-Key": "a1"}
    )
    assert start.status_code == 201, start.text
    run = start.json()
    assert run["status"] in ("queued", "running", "done")
    replay = editor.post(
        "/api/v1/audits", json={"url": site.url("/")}, headers={"Idempotency-Key": "a1"}
    )
    assert replay.json()["id"] == run["id"] and replay.headers["Idempotent-Replay"] == "true"

    done = wait_done(editor, run["id"])
    assert done["status"] == "done", done
    assert done["pages"] == 3 and done["pages_done"] == 3 and done["pages_queued"] == 3
    assert done["site_score"] is not None and 0 <= done["site_score"] <= 100
    assert set(done["categories"]) >= {"cards", "crawlers"}
    # /b is disallowed for Twitterbot and its image is a 404: rules found, with their fixes.
    rules = {r["code"]: r for r in done["rules"]}
    assert rules and all(r["fix"] for r in rules.values())
    assert done["change"] is None  # first run of this target

    viewer = aweb.as_token("viewer")
    findings = viewer.get(f"/api/v1/audits/{run['id']}/findings").json()
    assert findings and {f["page_url"] for f in findings} <= {
        site.url(p) for p in ["/", "/a", "/b"]
    }
    assert all(f["fix"] for f in findings)
    on_b = viewer.get(
        f"/api/v1/audits/{run['id']}/findings", params={"page_url": site.url("/b")}
    ).json()
    assert on_b and all(f["page_url"] == site.url("/b") for f in on_b)
    pages = viewer.get(f"/api/v1/audits/{run['id']}/pages").json()
    assert len(pages) == 3
    assert pages == sorted(pages, key=lambda p: (p["score"], p["url"]))
    home = next(p for p in pages if p["url"] == site.url("/"))
    assert home["cards"]["facebook"]["title"] == "Page /"
    assert home["resolved"]["title"] == "Page /"

    # The report page: scores, rules with fixes, each page's cards per network.
    browser = aweb.login("viewer@acme.example")
    report = browser.get(f"/audits/{run['id']}")
    assert "img-src 'self' data: https: http:" in report.headers["content-security-policy"]
    assert "script-src 'self';" in report.headers["content-security-policy"]
    html = report.text
    assert "Findings by rule" in html and 'class="audit-cards"' in html
    rules_part = html.split("Findings by rule", 1)[1].split("Pages, worst first", 1)[0]
    assert '<details class="where">' in rules_part and site.url("/b") in rules_part
    assert 'class="card facebook' in html and "Page /" in html
    assert f"/audits/{run['id']}/rerun" not in html  # viewers read only
    listing = browser.get("/audits").text
    assert site.url("/") in listing and 'action="/audits"' not in listing


def test_second_run_is_compared_with_the_first(aweb: WebApp, site: Site) -> None:
    build(site)
    editor = aweb.login("editor@acme.example")
    first = editor.post("/audits", data={"url": site.url("/"), "max_pages": "10"})
    assert first.status_code == 303
    first_id = int(first.headers["location"].rsplit("/", 1)[1])
    assert wait_done(editor, first_id)["status"] == "done"
    # The site gets worse: the home page loses its og:image.
    site.html("/", "<!doctype html><html lang='en'><head><title>Home</title></head><body>"
              "<a href='/a'>a</a></body></html>")  # fmt: skip
    again = editor.post(f"/audits/{first_id}/rerun")
    assert again.status_code == 303
    second_id = int(again.headers["location"].rsplit("/", 1)[1])
    assert second_id != first_id
    second = wait_done(editor, second_id)
    change = second["change"]
    assert change["previous_run"] == first_id
    assert change["new_findings"] > 0 and change["site_score_delta"] < 0
    html = editor.get(f"/audits/{second_id}").text
    assert f"Since audit #{first_id}" in html and "History of this site" in html
    assert f'href="/audits/{first_id}"' in html


def test_roles_workspaces_and_delete(aweb: WebApp, site: Site) -> None:
    build(site)
    anon = aweb.client()
    assert anon.get("/api/v1/audits").status_code == 401
    assert anon.post("/api/v1/audits", json={"url": site.url("/")}).status_code == 401
    assert anon.get("/audits").status_code == 303  # to the login page
    viewer = aweb.as_token("viewer")
    assert viewer.post("/api/v1/audits", json={"url": site.url("/")}).status_code == 403
    assert (
        aweb.login("viewer@acme.example").post("/audits", data={"url": site.url("/")}).status_code
        == 403
    )

    owner = aweb.as_token("owner")
    run_id = owner.post("/api/v1/audits", json={"url": site.url("/")}).json()["id"]
    wait_done(owner, run_id)
    assert [r["id"] for r in viewer.get("/api/v1/audits").json()] == [run_id]
    assert viewer.delete(f"/api/v1/audits/{run_id}").status_code == 403
    # Another workspace does not see it.
    with aweb.db.session() as s:
        other = AuditRun(target="https://other.example/", kind="url",
                         workspace_id=aweb.other_workspace_id, status="done")  # fmt: skip
        s.add(other)
        s.flush()
        other_id = other.id
    assert viewer.get(f"/api/v1/audits/{other_id}").status_code == 404
    assert viewer.get(f"/api/v1/audits/{other_id}/pages").status_code == 404
    assert owner.delete(f"/api/v1/audits/{other_id}").status_code == 404

    editor = aweb.as_token("editor")
    assert editor.delete(f"/api/v1/audits/{run_id}").status_code == 204
    assert editor.get(f"/api/v1/audits/{run_id}").status_code == 404


def test_ssrf_guard_without_allow_private(web: WebApp, site: Site) -> None:
    build(site)
    editor = web.as_token("editor")
    refused = editor.post("/api/v1/audits", json={"url": site.url("/")})
    assert refused.status_code == 400
    assert "127.0.0.1" in refused.json()["detail"]
    # the web app has no flags: the refusal names the setting that lifts it
    assert "[audit] allow_private = true" in refused.json()["detail"]
    assert "--allow-private" not in refused.json()["detail"]
    assert editor.get("/api/v1/audits").json() == []
    page = web.login("editor@acme.example").post("/audits", data={"url": site.url("/")})
    assert page.status_code == 400 and 'role="alert"' in page.text
    assert site.paths() == []  # nothing was fetched
    bad = editor.post("/api/v1/audits", json={"url": "ftp://example.com/x"})
    assert bad.status_code == 422


def test_progress_partial_reloads_the_page_when_done(aweb: WebApp, site: Site) -> None:
    build(site)
    owner = aweb.login("owner@acme.example")
    run_id = owner.post("/api/v1/audits", json={"url": site.url("/")}).json()["id"]
    wait_done(owner, run_id)
    partial = owner.get(f"/audits/{run_id}/progress", headers={"HX-Request": "true"})
    assert partial.headers["HX-Refresh"] == "true" and "Finished: 3 page(s)" in partial.text
    assert "HX-Refresh" not in owner.get(f"/audits/{run_id}/progress").headers


class Gate:
    """A site whose pages wait until the test opens the gate (to hold a crawl running).

    With ``home_free`` the home page answers at once and links to three pages that wait,
    so the run shows real progress (1 page done of 4) while it is held.
    """

    def __init__(self, home_free: bool = False) -> None:
        self.open = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                missing = self.path in ("/robots.txt", "/sitemap.xml")
                free = missing or (home_free and self.path == "/")
                if not free:
                    gate.open.wait(30)
                links = (
                    "".join(f'<a href="/{p}">{p}</a>' for p in "abc") if self.path == "/" else ""
                )
                body = (
                    f"<!doctype html><html><head><title>x</title></head><body>{links}</body></html>"
                ).encode()
                self.send_response(404 if missing else 200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _workspace(db: Database) -> int:
    with db.session() as s:
        ws = Workspace(slug="w", name="W")
        s.add(ws)
        s.flush()
        return ws.id


def _status(db: Database, run_id: int) -> AuditRun:
    with db.session() as s:
        run = s.get(AuditRun, run_id)
        assert run is not None
        s.expunge(run)
        return run


def test_jobs_run_a_bounded_number_at_once(db: Database) -> None:
    ws_id = _workspace(db)
    gate = Gate()
    jobs = AuditJobs(db, private_settings(), max_running=1)
    try:
        first = jobs.start(ws_id, gate.url, max_pages=1)
        second = jobs.start(ws_id, gate.url, max_pages=1)
        end = time.monotonic() + 30
        while _status(db, first).status != "running":
            assert time.monotonic() < end
            time.sleep(0.05)
        # The first holds the only slot while its page hangs: the second waits, visibly.
        assert _status(db, second).status == "queued"
        gate.open.set()
        jobs.join(first, 30)
        jobs.join(second, 30)
        assert _status(db, first).status == "done" and _status(db, second).status == "done"
        assert _status(db, second).pages == 1
    finally:
        gate.open.set()
        gate.server.shutdown()


def test_unreachable_site_fails_visibly(db: Database) -> None:
    ws_id = _workspace(db)
    jobs = AuditJobs(db, private_settings())
    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run_id = jobs.start(ws_id, f"http://127.0.0.1:{port}/", max_pages=1)
    jobs.join(run_id, 60)
    run = _status(db, run_id)
    assert run.finished_at is not None and run.status in ("done", "failed")
    if run.status == "done":  # the crawler reports the start page as an error page
        assert run.error_pages == 1
    else:
        assert run.error


def test_seeded_folder_audit_shows_in_the_workspace(web: WebApp, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        "<!doctype html><html lang='en'><head><title>Demo</title>"
        "<meta property='og:title' content='Demo home'></head><body></body></html>"
    )
    (tmp_path / "about.html").write_text("<html><head><title>About</title></head></html>")
    run_id = audit_folder(web.db, web.workspace_id, tmp_path, "https://demo.example/")
    viewer = web.as_token("viewer")
    run = viewer.get(f"/api/v1/audits/{run_id}").json()
    assert run["status"] == "done" and run["pages"] == 2 and run["pages_done"] == 2
    pages = {p["url"]: p for p in viewer.get(f"/api/v1/audits/{run_id}/pages").json()}
    assert pages["https://demo.example/"]["cards"]["facebook"]["title"] == "Demo home"
    html = web.login("owner@acme.example").get(f"/audits/{run_id}").text
    assert (
        "Demo home" in html and "Audit again" not in html
    )  # folders are never re-run from the web
    # named by the site it stands for, never by the server's file path
    assert "<h1>https://demo.example/" in html and str(tmp_path) not in html
    assert str(tmp_path) not in web.login("viewer@acme.example").get("/audits").text
    refused = web.as_token("editor").post(f"/api/v1/audits/{run_id}/rerun")
    assert refused.status_code == 400


def test_audit_times_read_in_the_workspace_zone_and_locale(web: WebApp, tmp_path: Path) -> None:
    """A Europe/Paris workspace (French by its zone) reads its audits' times in Paris time."""
    (tmp_path / "index.html").write_text("<html><head><title>Home</title></head></html>")
    first = audit_folder(web.db, web.workspace_id, tmp_path, "https://demo.example/")
    second = audit_folder(web.db, web.workspace_id, tmp_path, "https://demo.example/")
    # UTC instants: a winter morning, and a summer night that is already tomorrow in Paris.
    winter = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    summer = datetime(2026, 7, 14, 22, 15, tzinfo=UTC)
    times = {
        first: (winter, winter + timedelta(seconds=65)),
        second: (summer, summer + timedelta(seconds=42)),
    }
    with web.db.session() as s:
        for run_id, (started, finished) in times.items():
            run = s.get(AuditRun, run_id)
            assert run is not None
            run.started_at, run.finished_at = started, finished
    viewer = web.login("viewer@acme.example")
    report = viewer.get(f"/audits/{second}").text
    # CEST is UTC+2: 22:15 UTC on 14 July is 00:15 on 15 July in Paris.
    assert ">15 juil. 2026 00:15</time>" in report and ">00:15:42</time> (Europe/Paris)" in report
    assert '<time datetime="2026-07-14T22:15:00+00:00">' in report  # machines read ISO UTC
    # The history table: both runs, CET (UTC+1) in January, the zone in the header.
    assert '<th scope="col">Started (Europe/Paris)</th>' in report
    assert ">5 janv. 2026 09:30</time>" in report
    listing = viewer.get("/audits").text
    assert "Started (Europe/Paris)" in listing and "UTC" not in listing
    assert ">15 juil. 2026 00:15</time>" in listing and ">5 janv. 2026 09:30</time>" in listing
    for shown in (report, listing):
        assert "2026-07-14 22:15" not in shown and "2026-01-05 08:30" not in shown


def test_runs_left_by_a_stopped_server_are_marked_failed(db: Database) -> None:
    ws_id = _workspace(db)
    with db.session() as s:
        s.add_all([
            AuditRun(target="https://a.example/", kind="url", workspace_id=ws_id, status="running"),
            AuditRun(target="https://b.example/", kind="url", workspace_id=ws_id, status="queued"),
            AuditRun(target="https://c.example/", kind="url", workspace_id=ws_id, status="done"),
            AuditRun(target="/srv/site", kind="folder", status="running"),  # a CLI run: not ours
        ])  # fmt: skip
    assert mark_interrupted(db) == 2
    with db.session() as s:
        states = {r.target: (r.status, r.error) for r in s.query(AuditRun)}
    assert states["https://a.example/"] == ("failed", "interrupted: the server stopped")
    assert states["https://b.example/"][0] == "failed"
    assert states["https://c.example/"] == ("done", None)
    assert states["/srv/site"] == ("running", None)


def test_cancel_a_running_audit_keeps_the_pages_done(aweb: WebApp) -> None:
    gate = Gate(home_free=True)  # the home page answers, the three pages it links to hang
    try:
        editor = aweb.as_token("editor")
        run_id = editor.post("/api/v1/audits", json={"url": gate.url}).json()["id"]
        end = time.monotonic() + 30
        while (body := editor.get(f"/api/v1/audits/{run_id}").json())["pages_done"] < 1:
            assert body["status"] in ("queued", "running") and time.monotonic() < end
            time.sleep(0.05)
        assert aweb.as_token("viewer").post(f"/api/v1/audits/{run_id}/cancel").status_code == 403
        r = editor.post(f"/api/v1/audits/{run_id}/cancel")
        assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
        # The crawl stops while its fetches still hang (the gate stays shut) and saves the home.
        while (body := editor.get(f"/api/v1/audits/{run_id}").json())["finished_at"] is None:
            assert time.monotonic() < end, body
            time.sleep(0.05)
        assert body["status"] == "cancelled" and body["pages"] == 1
        assert body["error"] == "cancelled by editor@acme.example"
        assert editor.post(f"/api/v1/audits/{run_id}/cancel").status_code == 409
        report = aweb.login("viewer@acme.example").get(f"/audits/{run_id}").text
        assert "cancelled by editor@acme.example after 1 page(s)" in report
        assert editor.delete(f"/api/v1/audits/{run_id}").status_code == 204  # no longer active
    finally:
        gate.open.set()
        gate.server.shutdown()


def test_a_cancelled_queued_run_never_starts(db: Database) -> None:
    ws_id = _workspace(db)
    gate = Gate()
    jobs = AuditJobs(db, private_settings(), max_running=1)
    try:
        first = jobs.start(ws_id, gate.url, max_pages=1)
        second = jobs.start(ws_id, gate.url, max_pages=1)
        end = time.monotonic() + 30
        while _status(db, first).status != "running":
            assert time.monotonic() < end
            time.sleep(0.05)
        with db.session() as s:
            run = s.get(AuditRun, second)
            assert run is not None and run.status == "queued"
            jobs.cancel(s, run, "owner@acme.example")
        gate.open.set()
        jobs.join(first, 30)
        jobs.join(second, 30)
        assert _status(db, first).status == "done"
        cancelled = _status(db, second)
        assert (cancelled.status, cancelled.pages) == ("cancelled", 0)
        assert cancelled.finished_at is not None
    finally:
        gate.open.set()
        gate.server.shutdown()
