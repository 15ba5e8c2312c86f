"""A NUL byte sent to a page (query, path, form field) is a 4xx naming the field, never a 500.

PostgreSQL cannot hold NUL in text, so a NUL that reaches a query there is a server error;
the API refuses it at its edge, and the pages share that check. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.web.conftest import WebApp, csrf_from

GETS = (
    "/calendar?campaign=%00",
    "/calendar?label=a%00b&view=week",
    "/calendar?account=%00",
    "/links?window=7&by=%00",
    "/links/ab%00cd",
    "/reviews?state=%00",
    "/posts/1?tab=%00",
    "/compose?post=%00",
    "/audits?url=%00",
    "/calendar.ics?token=a%00b",
    "/invite/ab%00cd",
    "/r/ab%00cd",
)


def _post_id(web: WebApp) -> int:
    with web.as_token("owner") as c:
        assert c.post("/api/v1/accounts", json={"network": "x", "handle": "@acme"}).status_code
        when = (datetime.now(UTC) + timedelta(days=3)).isoformat()
        r = c.post("/api/v1/posts", json={"text": "Hello", "accounts": ["x"], "when": when})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def _refused(r: httpx.Response, field: str | None = None) -> None:
    assert r.status_code < 500, (r.request.url, r.status_code, r.text[:300])
    assert 400 <= r.status_code < 500, (r.request.url, r.status_code)
    if field is not None:
        assert field in r.text and "NUL" in r.text, r.text[:500]


@pytest.mark.parametrize("path", GETS)
def test_a_nul_in_a_page_query_or_path_is_a_4xx(web: WebApp, path: str) -> None:
    _post_id(web)
    r = web.login("owner@acme.example").get(path)
    _refused(r)


def test_a_nul_in_a_page_query_names_the_field(web: WebApp) -> None:
    c = web.login("owner@acme.example")
    _refused(c.get("/calendar?campaign=%00"), "campaign")


def test_a_nul_in_a_form_post_is_a_4xx_naming_the_field(web: WebApp) -> None:
    post_id = _post_id(web)
    with web.client() as anonymous:
        csrf = csrf_from(anonymous.get("/login").text)
        r = anonymous.post(
            "/login",
            data={"email": "owner@acme.example\x00", "password": "x", "csrf_token": csrf},
        )
        _refused(r, "email")
    if True:
        c = web.login("owner@acme.example")
        forms = [
            ("/compose", {"text": "Hi\x00there", "accounts": "x", "action": "save"}, "text"),
            (f"/posts/{post_id}/comment", {"body": "looks \x00 good"}, "body"),
            (f"/posts/{post_id}/decide", {"decision": "approve\x00"}, "decision"),
            ("/links", {"url": "https://acme.example/\x00"}, "url"),
            ("/links", {"url": "https://acme.example/", "campaign": "a\x00"}, "campaign"),
            ("/calendar/feeds", {"name\x00": "x"}, "name"),
            ("/settings/invite", {"email": "a\x00@acme.example", "role": "editor"}, "email"),
            ("/audits", {"url": "https://acme.example/\x00"}, "url"),
        ]
        for path, data, field in forms:
            _refused(c.post(path, data=data), field)
        # A multipart form (the composer's, with a file) is checked the same way; the
        # file's bytes may hold NUL (images do), its name may not.
        files = {"upload": ("bike.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png")}
        r = c.post("/compose", data={"text": "Hi\x00", "action": "upload"}, files=files)
        _refused(r, "text")
        # httpx would escape a NUL in a file name; a hand-made body carries it as sent.
        body = (
            b'--b\r\nContent-Disposition: form-data; name="action"\r\n\r\nupload\r\n'
            b'--b\r\nContent-Disposition: form-data; name="upload"; filename="bi\x00ke.png"'
            b"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\r\n--b--\r\n"
        )
        r = c.post(
            "/compose", content=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
        )
        _refused(r, "upload")
