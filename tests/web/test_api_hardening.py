"""Bad input at the API's edge: server paths as media, NUL bytes, odd links, odd times.

Each answer is a 4xx whose ``detail`` (one string, the documented Problem) names the field;
none is a 500, and none tells whether a file exists outside the workspace's media folder.
Runs on SQLite and PostgreSQL (PostgreSQL cannot store NUL, so it is where that bites).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from sociable.store.models import MediaAsset
from sociable.store.models.publish import Post
from tests.web.conftest import WebApp


def _when() -> str:
    return (datetime.now(UTC) + timedelta(days=3)).isoformat()


def _post(c: httpx.Client, **fields: object) -> httpx.Response:
    body = {"text": "Spring is here", "accounts": ["x"], "when": _when(), **fields}
    return c.post("/api/v1/posts", json=body)


def _posts(web: WebApp) -> int:
    with web.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Post)) or 0)


@pytest.fixture
def owner(web: WebApp) -> httpx.Client:
    c = web.as_token("owner")
    assert c.post("/api/v1/accounts", json={"network": "x", "handle": "@acme"}).status_code == 201
    return c


def _folder(web: WebApp) -> Path:
    assert web.media_dir is not None
    folder = web.media_dir / f"workspace-{web.workspace_id}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_media_outside_the_workspace_folder_is_refused_without_telling_if_it_exists(
    web: WebApp, owner: httpx.Client, tmp_path: Path
) -> None:
    secret = tmp_path / "credentials.key"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n" + b"k" * 64)
    folder = _folder(web)
    (folder / "escape.png").symlink_to(secret)  # inside by name, outside once resolved
    other = web.media_dir / f"workspace-{web.other_workspace_id}"  # type: ignore[operator]
    other.mkdir(parents=True)
    Image.new("RGB", (64, 64)).save(other / "theirs.png")
    details = {}
    for raw in (
        "/etc/passwd",
        str(secret),
        str(tmp_path / "no-such-file.png"),
        "../../../../etc/passwd",
        f"../workspace-{web.other_workspace_id}/theirs.png",
        "escape.png",
        "a\x00b.png",
    ):
        r = _post(owner, media=[raw])
        assert r.status_code in (400, 422), (raw, r.text)
        detail = r.json()["detail"]
        assert isinstance(detail, str) and "media" in detail
        details[raw] = detail.replace(raw, "RAW")
    # Existing and missing files outside get the same words: nothing to probe with.
    outside = {d for raw, d in details.items() if "\x00" not in raw}
    assert len(outside) == 1, outside
    assert "asset:ID" in outside.pop()
    assert _posts(web) == 0


def test_a_bad_media_file_is_named_without_the_server_path(
    web: WebApp, owner: httpx.Client
) -> None:
    folder = _folder(web)
    (folder / "empty.png").write_bytes(b"")
    r = _post(owner, media=["empty.png"])
    assert r.status_code in (400, 422), r.text
    assert "empty.png" in r.text and str(folder.resolve()) not in r.text
    assert str(web.media_dir) not in r.text
    assert _posts(web) == 0


def test_media_in_the_workspace_folder_or_an_uploaded_asset_is_taken(
    web: WebApp, owner: httpx.Client
) -> None:
    folder = _folder(web)
    Image.new("RGB", (1200, 675), (10, 90, 200)).save(folder / "bike.png")
    r = _post(owner, media=["bike.png"], alt=["A blue bike"])
    assert r.status_code == 201, r.text
    first = r.json()
    # The answer shows the reference a client can send back, never the server's path ...
    assert first["media"][0]["path"] == "bike.png" and first["media"][0]["alt"] == "A blue bike"
    assert str(web.media_dir) not in r.text and str(folder.resolve()) not in r.text
    # ... while the stored path stays the real file, for the connectors.
    with web.db.session() as s:
        stored = s.get(Post, first["id"])
        assert stored is not None and stored.media is not None
        assert stored.media[0]["path"] == str((folder / "bike.png").resolve())

    with web.db.session() as s:
        mine = MediaAsset(
            workspace_id=web.workspace_id,
            path=str((folder / "bike.png").resolve()),
            mime_type="image/png",
            size_bytes=(folder / "bike.png").stat().st_size,
            sha256="0" * 64,
        )
        theirs = MediaAsset(
            workspace_id=web.other_workspace_id,
            path=str((folder / "bike.png").resolve()),
            mime_type="image/png",
            size_bytes=1,
            sha256="1" * 64,
        )
        s.add_all([mine, theirs])
        s.flush()
        mine_id, theirs_id = mine.id, theirs.id
    r = _post(owner, media=[f"asset:{mine_id}"])
    assert r.status_code == 201, r.text
    assert r.json()["media"][0]["path"] == f"asset:{mine_id}"
    # Once the file is an uploaded asset, every answer names it so: one post, a list, a read.
    assert owner.get(f"/api/v1/posts/{first['id']}").json()["media"][0]["path"] == (
        f"asset:{mine_id}"
    )
    listed = owner.get("/api/v1/posts").json()
    assert [m["path"] for p in listed for m in p["media"]] == [f"asset:{mine_id}"] * 2
    assert str(folder.resolve()) not in owner.get("/api/v1/posts").text
    # What the answer shows is what the API takes back.
    again = _post(owner, media=[m["path"] for m in first["media"]])
    assert again.status_code == 201, again.text
    r = _post(owner, media=[f"asset:{theirs_id}"])
    assert r.status_code == 400 and "no such uploaded asset" in r.json()["detail"]


def test_a_422_is_the_documented_problem_naming_the_field(web: WebApp, owner: httpx.Client) -> None:
    r = owner.post("/api/v1/posts", json={"accounts": ["x"]})
    assert r.status_code == 422
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"].startswith("text:")
    assert body["errors"][0]["field"] == "text"
    r = owner.post("/api/v1/posts", json={"text": "hi", "accounts": ["x"], "media": [1]})
    assert r.status_code == 422 and "media[0]" in r.json()["detail"]
    spec = owner.get("/api/v1/openapi.json").json()
    ref = spec["paths"]["/api/v1/posts"]["post"]["responses"]["422"]["content"]
    assert ref["application/json"]["schema"]["$ref"].endswith("/Problem")


def test_a_nul_byte_is_a_400_naming_the_field_in_body_or_query(
    web: WebApp, owner: httpx.Client
) -> None:
    r = owner.post("/api/v1/tokens", json={"name": "ci\x00bot"})
    assert r.status_code == 400 and r.json()["detail"].startswith("name:"), r.text
    r = _post(owner, campaign="spring\x00")
    assert r.status_code == 400 and r.json()["detail"].startswith("campaign:"), r.text
    r = _post(owner, text="Hello\x00world", labels=["a", "b\x00"])
    assert r.status_code == 400 and r.json()["detail"].startswith("text:"), r.text
    r = _post(owner, labels=["a", "b\x00"])
    assert r.status_code == 400 and r.json()["detail"].startswith("labels[1]:"), r.text
    r = owner.post(
        "/api/v1/accounts", json={"network": "x", "handle": "@b", "settings": {"k\x00": 1}}
    )
    assert r.status_code == 400 and r.json()["detail"].startswith("settings.k:"), r.text
    r = owner.get("/api/v1/posts", params={"campaign": "a\x00"})
    assert r.status_code == 400 and "query campaign" in r.json()["detail"], r.text
    assert _posts(web) == 0


@pytest.mark.parametrize(
    "link", ["http://[::1", "javascript:alert(document.cookie)", "data:text/html,hi", "//x.example"]
)
def test_a_link_is_an_http_url_or_a_400_naming_link(
    web: WebApp, owner: httpx.Client, link: str
) -> None:
    r = _post(owner, link=link)
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith("post: link:")
    assert _posts(web) == 0


def test_the_composer_live_check_answers_a_broken_link_with_a_finding(
    web: WebApp, owner: httpx.Client
) -> None:
    (account,) = owner.get("/api/v1/accounts").json()
    c = web.login("editor@acme.example")
    data = {"account": [str(account["id"])], "text": "Hello", "link": "http://[::1"}
    r = c.post("/compose/check", data=data)
    assert r.status_code == 200, r.text
    assert "POST405" in r.text


def test_a_time_is_iso_8601_text_not_a_number(owner: httpx.Client) -> None:
    for value in ("0.5", "1700000000"):
        r = owner.get("/api/v1/publications", params={"start": value})
        assert r.status_code == 422 and "query start" in r.json()["detail"], r.text
    assert owner.get("/api/v1/publications", params={"start": "2030-01-01T00:00Z"}).is_success


def test_a_boolean_is_a_json_boolean(web: WebApp, owner: httpx.Client) -> None:
    for value in (0, 1, "true"):
        r = _post(owner, draft=value, when=None)
        assert r.status_code == 422 and r.json()["detail"].startswith("draft:"), r.text
    assert _posts(web) == 0


def test_405_lists_every_method_of_the_path(owner: httpx.Client) -> None:
    r = owner.request("OPTIONS", "/api/v1/posts")
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) == {"GET", "POST"}
    r = owner.request("OPTIONS", "/api/v1/accounts/1")
    assert {"GET", "PATCH", "DELETE"} <= set(r.headers["allow"].split(", "))


#: ECMA-262's WhiteSpace and LineTerminator: what ``\s`` means in a JSON Schema pattern.
ECMA_SPACE = set("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {
    chr(c) for c in range(0x2000, 0x200B)
}
PYTHON_SPACE = {chr(c) for c in range(0x3100) if re.fullmatch(r"\s", chr(c))} | {"\ufeff"}


def test_no_whitespace_patterns_mean_the_same_to_python_and_to_json_schema(
    owner: httpx.Client,
) -> None:
    """The server checks patterns with Python's ``re``; clients read them as ECMA regexes.

    Each character either dialect calls whitespace must be refused by the pattern as the
    server runs it, or a client would send what the schema allows and get a 422.
    """
    spec = owner.get("/api/v1/openapi.json").json()["components"]["schemas"]
    patterns = {
        "email": spec["InvitationIn"]["properties"]["email"]["pattern"],
        "url": spec["sociable__web__api__links__LinkIn"]["properties"]["url"]["pattern"],
    }
    for space in sorted(ECMA_SPACE | PYTHON_SPACE):
        assert not re.fullmatch(patterns["email"], f"a{space}@b.example"), hex(ord(space))
        assert not re.fullmatch(patterns["url"], f"https://b.example/{space}"), hex(ord(space))
    assert re.fullmatch(patterns["email"], "ana@acme.example")
    assert re.fullmatch(patterns["url"], "https://acme.example/bike?utm_source=x")
