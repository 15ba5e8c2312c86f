"""The composer over HTTP: live checks, link cards, media upload and fit, every save action."""

from __future__ import annotations

import http.server
import io
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from sociable import net
from sociable.publish.queue import set_account_slots
from sociable.store.models import Account, MediaAsset
from sociable.store.models.publish import Post, Publication
from sociable.web import linkpreview
from tests.web.conftest import WebApp


@pytest.fixture(autouse=True)
def _media_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Uploads land in ``media/`` beside the config (the current folder here): a temp one."""
    monkeypatch.chdir(tmp_path)


def add_accounts(web: WebApp) -> dict[str, int]:
    ids = {}
    with web.as_token("owner") as c:
        for body in (
            {"network": "x", "handle": "@acme"},
            {
                "network": "mastodon",
                "handle": "@acme@m.example",
                "settings": {"instance": "https://m.example"},
            },
        ):
            r = c.post("/api/v1/accounts", json=body)
            assert r.status_code == 201, r.text
            ids[body["network"]] = r.json()["id"]
    return ids


def form(ids: dict[str, int], **fields: str) -> dict[str, Any]:
    return {"account": [str(i) for i in ids.values()], **fields}


def _local(minutes: int) -> str:
    at = datetime.now(UTC) + timedelta(minutes=minutes)
    return at.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def _count(web: WebApp, model: type) -> int:
    with web.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_live_check_shows_counts_findings_and_variants(web: WebApp) -> None:
    ids = add_accounts(web)
    c = web.login("editor@acme.example")
    r = c.post("/compose/check", data=form(ids, text="word " * 70))
    assert r.status_code == 200
    html = r.text
    assert 'role="tab"' in html and "x:@acme" in html and "mastodon:@acme@m.example" in html
    assert "POST101" in html  # 350 characters: over X's 280, fine on Mastodon's 500
    assert re.search(r'data-count="350"', html)
    assert "of 280" in html and "of 500" in html
    # The adapted X variant is a thread (X has threads): "split into a thread" note.
    assert "thread" in html


def test_live_check_needs_an_editor_and_csrf(web: WebApp) -> None:
    ids = add_accounts(web)
    assert web.client().post("/compose/check", data=form(ids, text="hi")).status_code in (
        303,
        401,
    )
    viewer = web.login("viewer@acme.example")
    assert viewer.post("/compose/check", data=form(ids, text="hi")).status_code == 403
    editor = web.login("editor@acme.example")
    del editor.headers["X-CSRF-Token"]
    assert editor.post("/compose/check", data=form(ids, text="hi")).status_code == 403


def test_schedule_creates_a_post_per_account_in_the_workspace_zone(web: WebApp) -> None:
    ids = add_accounts(web)
    c = web.login("editor@acme.example")
    when = _local(120)
    r = c.post(
        "/compose",
        data=form(
            ids,
            text="Fresh beans today #coffee",
            when=when,
            action="schedule",
            labels="launch, beans",
        ),
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith("/calendar?view=week&date=")
    with web.db.session() as s:
        post = s.scalars(select(Post)).one()
        assert post.labels == ["launch", "beans"] and post.approval == "approved"
        post_id = post.id
        pubs = s.scalars(select(Publication)).all()
        assert len(pubs) == 2
        local = {
            p.due_at.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M") for p in pubs
        }
        assert local == {when}
    # The confirmation reads in the workspace's zone and locale (French: "jeu. 5 mars 2026").
    flash = c.get(r.headers["location"]).text
    weekday = r"(lun|mar|mer|jeu|ven|sam|dim)\."
    assert re.search(
        rf"Post {post_id} scheduled for {weekday} \d{{1,2}} \w+\.? \d{{4}} {when[-5:]} "
        r"\(Europe/Paris\)\.",
        flash,
    ), flash


def test_errors_are_shown_next_to_the_field_and_nothing_is_created(web: WebApp) -> None:
    ids = add_accounts(web)
    c = web.login("editor@acme.example")
    r = c.post("/compose", data=form(ids, text="word " * 70, when=_local(60), action="schedule"))
    assert r.status_code == 400
    assert 'id="text-error"' in r.text and "POST101" in r.text
    assert "word word" in r.text  # what was typed comes back
    r = c.post("/compose", data=form(ids, text="hello", action="schedule"))
    assert r.status_code == 400 and 'id="when-error"' in r.text
    r = c.post("/compose", data=form(ids, text="hello", when=_local(-60), action="schedule"))
    assert r.status_code == 400 and "in the past" in r.text
    r = c.post("/compose", data={"text": "hello", "action": "draft"})
    assert r.status_code == 400 and 'id="accounts-error"' in r.text
    assert _count(web, Post) == 0 and _count(web, Publication) == 0


def test_draft_queue_and_review_actions(web: WebApp) -> None:
    ids = add_accounts(web)
    c = web.login("editor@acme.example")
    r = c.post("/compose", data=form(ids, text="A draft", when=_local(60), action="draft"))
    assert r.status_code == 303 and r.headers["location"].startswith("/posts/")
    r = c.post("/compose", data=form(ids, text="For review", when=_local(180), action="review"))
    assert r.status_code == 303
    queued = {"account": str(ids["x"]), "text": "Queued", "action": "queue"}
    r = c.post("/compose", data=queued)
    # No posting slots on the account yet: said next to the form, nothing stored.
    assert r.status_code == 400 and "slot" in r.text.lower()
    with web.db.session() as s:
        account = s.get(Account, ids["x"])
        assert account is not None
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        set_account_slots(account, [f"{d} 09:00" for d in days], "Europe/Paris")
    r = c.post("/compose", data=queued)
    assert r.status_code == 303, r.text
    with web.db.session() as s:
        by_text = {p.source_text: p for p in s.scalars(select(Post))}
        assert by_text["A draft"].approval == "draft"
        assert by_text["For review"].approval == "in_review"
        assert not by_text["For review"].variants[0].publications
        (pub,) = by_text["Queued"].variants[0].publications
        local = pub.due_at.astimezone(ZoneInfo("Europe/Paris"))
        assert (local.hour, local.minute) == (9, 0)
        assert pub.due_at > datetime.now(UTC)


class _Page(http.server.BaseHTTPRequestHandler):
    body = (
        b"<html><head><title>Beans</title>"
        b'<meta property="og:title" content="Fresh beans, roasted today">'
        b'<meta property="og:description" content="Our new single origin.">'
        b'<meta property="og:image" content="https://cdn.example/beans.jpg">'
        b'<meta name="twitter:card" content="summary_large_image">'
        b"</head><body>Beans</body></html>"
    )

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    linkpreview.clear_cache()
    monkeypatch.setattr(
        linkpreview, "policy", lambda settings: net.NetPolicy(allow_private=True, timeout=5)
    )
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/beans"
    finally:
        server.shutdown()
        linkpreview.clear_cache()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_link_card_per_network_from_the_linked_page(web: WebApp, page_url: str) -> None:
    ids = add_accounts(web)
    c = web.login("editor@acme.example")
    r = c.post("/compose/check", data=form(ids, text="New beans", link=page_url))
    assert r.status_code == 200
    assert r.text.count('class="link-card"') == 2
    assert "Fresh beans, roasted today" in r.text


def test_link_cards_refuse_private_addresses_by_default(web: WebApp) -> None:
    linkpreview.clear_cache()
    ids = add_accounts(web)
    c = web.login("editor@acme.example")
    r = c.post("/compose/check", data=form(ids, text="Hi", link="http://127.0.0.1:9/x"))
    assert r.status_code == 200
    assert "Link preview unavailable" in r.text and "refused" in r.text


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def test_upload_check_and_fit_media(web: WebApp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add_accounts(web)
    with web.as_token("owner") as owner:
        r = owner.post("/api/v1/accounts", json={"network": "instagram", "handle": "acme"})
        assert r.status_code == 201, r.text
        insta = r.json()["id"]
    c = web.login("editor@acme.example")
    data = {"account": str(insta), "text": "A tall picture", "action": "upload"}
    # 100 x 2000 PNG: Instagram takes JPEG only, at least 320 px wide, 4:5 to 1.91:1
    files = {"upload": ("tall.png", _png(100, 2000), "image/png")}
    r = c.post("/compose", data=data, files=files)
    assert r.status_code == 200, r.text
    asset_id = re.search(r'name="media_id" value="(\d+)"', r.text)
    assert asset_id
    assert "POST305" in r.text and "POST302" in r.text
    fit = re.search(r'value="(fit:\d+:instagram)"', r.text)
    assert fit, "a one-click fit button for Instagram"
    data = {
        "account": str(insta),
        "text": "A tall picture",
        "media_id": asset_id.group(1),
        f"alt_{asset_id.group(1)}": "Tall",
        "action": fit.group(1),
    }
    r = c.post("/compose", data=data)
    assert r.status_code == 200, r.text
    new_id = re.search(r'name="media_id" value="(\d+)"', r.text)
    assert new_id and new_id.group(1) != asset_id.group(1)
    assert not re.search(r'value="fit:\d+:instagram"', r.text)
    assert "POST305" not in r.text and "POST302" not in r.text
    with web.db.session() as s:
        fitted = s.get(MediaAsset, int(new_id.group(1)))
        assert fitted is not None and fitted.width and fitted.height
        assert fitted.mime_type == "image/jpeg"
        assert 0.8 <= fitted.width / fitted.height <= 1.91


def test_upload_refuses_unknown_types(web: WebApp) -> None:
    ids = add_accounts(web)
    c = web.login("editor@acme.example")
    r = c.post(
        "/compose",
        data={"account": str(ids["x"]), "text": "x", "action": "upload"},
        files={"upload": ("evil.exe", b"MZ", "application/octet-stream")},
    )
    assert r.status_code == 400 and 'id="media-error"' in r.text
    assert _count(web, MediaAsset) == 0


def test_compose_page_renders_for_editors_only(web: WebApp) -> None:
    add_accounts(web)
    assert web.login("editor@acme.example").get("/compose").status_code == 200
    viewer = web.login("viewer@acme.example")
    assert viewer.get("/compose").status_code == 403
    # a browser gets a page that says why, with the way back; scripts keep the JSON
    page = viewer.get("/compose", headers={"accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "needs the editor role" in page.text and 'href="/"' in page.text
    assert viewer.get("/compose").json()["detail"].startswith("needs the editor role")
    r = httpx.get(f"{web.base}/compose", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_edit_a_post_sent_back_for_changes_and_send_it_again(web: WebApp) -> None:
    ids = add_accounts(web)
    editor = web.login("editor@acme.example")
    r = editor.post("/compose", data=form(ids, text="First try", action="review"))
    assert r.status_code == 303
    post_id = int(r.headers["location"].rsplit("/", 1)[1])
    with web.as_token("owner") as owner:
        r = owner.post(
            f"/api/v1/posts/{post_id}/review",
            json={"decision": "request_changes", "comment": "Say when"},
        )
        assert r.status_code == 200
    page = editor.get("/compose", params={"post": post_id})
    assert page.status_code == 200 and "First try" in page.text
    assert f'name="post_id" value="{post_id}"' in page.text
    assert 'value="schedule"' not in page.text  # an owner schedules by approving
    # Accounts stay: dropping one is refused, nothing changes.
    r = editor.post(
        "/compose",
        data={
            "account": str(ids["x"]),
            "text": "Second try",
            "post_id": str(post_id),
            "action": "review",
        },
    )
    assert r.status_code == 400 and 'id="accounts-error"' in r.text
    r = editor.post(
        "/compose",
        data=form(ids, text="Second try: Monday 9:00", post_id=str(post_id), action="review"),
    )
    assert r.status_code == 303, r.text
    with web.db.session() as s:
        post = s.get(Post, post_id)
        assert post is not None and post.approval == "in_review"
        assert post.source_text == "Second try: Monday 9:00"
        assert {v.text for v in post.variants} == {"Second try: Monday 9:00"}
    # In review now: not editable until decided.
    assert editor.get("/compose", params={"post": post_id}).status_code == 400


def _account(web: WebApp, network: str, handle: str, **settings: str) -> int:
    with web.as_token("owner") as owner:
        body: dict[str, Any] = {"network": network, "handle": handle}
        if settings:
            body["settings"] = settings
        r = owner.post("/api/v1/accounts", json=body)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def _texts(html: str, selector: str) -> list[str]:
    from selectolax.lexbor import LexborHTMLParser

    return [n.text(strip=True) for n in LexborHTMLParser(html).css(selector)]


def test_live_check_lints_the_variant_and_shows_the_source_apart(web: WebApp) -> None:
    insta = _account(web, "instagram", "acme")
    c = web.login("editor@acme.example")
    text = "Our spring roast is in, come taste it? #a1 #b2 #c3 #d4 #e5 #f6 #g7"
    r = c.post("/compose/check", data={"account": str(insta), "text": text})
    assert r.status_code == 200
    [variant] = _texts(r.text, ".variant-text")
    assert variant.count("#") == 5  # adapt keeps Instagram's 5
    checked = " ".join(_texts(r.text, ".variant-findings li"))
    written = " ".join(_texts(r.text, ".source-findings li"))
    assert "POST201" not in checked and "7 hashtags; Instagram allows at most 5" in written
    # A text-only post cannot go to Instagram: that is about what goes out.
    assert "POST108" in checked and "POST108" not in written
    assert 'class="tab has-errors"' in r.text


def test_what_a_feed_account_cannot_do_is_refused_when_composing(web: WebApp) -> None:
    feed = _account(web, "feed", "news")
    c = web.login("editor@acme.example")
    data = {"account": str(feed), "text": "Spring menu, come by?", "first_comment": "More soon"}
    r = c.post("/compose/check", data=data)
    assert r.status_code == 200
    assert _texts(r.text, ".refusals li") == ["feed cannot add a first comment"]
    r = c.post("/compose", data={**data, "action": "draft"})
    assert r.status_code == 400
    assert 'id="first_comment-error"' in r.text and "cannot add a first comment" in r.text
    assert _count(web, Post) == 0 and _count(web, Publication) == 0
    del data["first_comment"]
    assert c.post("/compose", data={**data, "action": "draft"}).status_code == 303


def test_the_composer_names_a_bad_file_without_its_server_path(web: WebApp) -> None:
    ids = add_accounts(web)
    c = web.login("editor@acme.example")
    broken = b"\x89PNG\r\n\x1a\n" + b"0" * 64  # a PNG signature and nothing readable
    data = {"account": str(ids["x"]), "text": "A broken picture", "action": "upload"}
    r = c.post("/compose", data=data, files={"upload": ("broken.png", broken, "image/png")})
    assert r.status_code == 200, r.text
    asset_id = re.search(r'name="media_id" value="(\d+)"', r.text)
    assert asset_id, r.text
    with web.db.session() as s:
        asset = s.get(MediaAsset, int(asset_id.group(1)))
        assert asset is not None
        folder = str(Path(asset.path).parent)
    pages = [r.text]
    data |= {"media_id": asset_id.group(1), "action": f"fit:{asset_id.group(1)}:x"}
    pages.append(c.post("/compose", data=data).text)
    pages.append(c.post("/compose/check", data=data).text)
    for page in pages:
        assert folder not in page and str(Path(folder).resolve()) not in page
    assert "POST301" in pages[0] and Path(asset.path).name in pages[1]
