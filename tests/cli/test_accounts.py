"""`sociable accounts add|list|check|remove` on SQLite and PostgreSQL, as a person runs them."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import respx
from mastodon_mock.testing.server import MockServer
from sqlalchemy import create_engine, select, text

from sociable.store.db import open_database
from sociable.store.models import Account


@dataclass
class Ws:
    cli: Callable[..., Any]
    url: str
    config: Path

    def run(self, *args: str) -> Any:
        return self.cli("--database-url", self.url, "--config", str(self.config), *args)

    def accounts(self) -> list[Account]:
        from sociable.store.secrets import SecretBox, use_box

        key = (self.config.parent / ".sociable.key").read_bytes().strip()
        use_box(SecretBox(key))
        db = open_database(self.url)
        try:
            with db.session() as s:
                rows = list(s.scalars(select(Account).order_by(Account.id)))
                for r in rows:
                    _ = r.credentials
                s.expunge_all()
                return rows
        finally:
            db.dispose()

    def raw_credentials(self) -> list[bytes]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return [bytes(r[0]) for r in conn.execute(text("SELECT credentials FROM account"))]
        finally:
            engine.dispose()


@pytest.fixture
def ws(cli, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Ws:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = cli("--database-url", database_url, "init", "w", "--name", "Acme")
    assert result.code == 0, result.err
    return Ws(cli, database_url, tmp_path / "w" / "sociable.toml")


@pytest.fixture(scope="module")
def mastodon() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


class Receiver(BaseHTTPRequestHandler):
    hits: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        Receiver.hits.append(dict(self.headers))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Receiver.hits = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


SECRET = "whsec-very-secret-123"


def test_add_webhook_list_check_remove(ws: Ws, receiver: str) -> None:
    added = ws.run(
        "accounts", "add", "webhook", "--name", "zap", "--url", receiver, "--secret", SECRET
    )
    assert added.code == 0, added.err
    assert "added #1 webhook:zap" in added.out
    listed = ws.run("accounts", "list")
    assert "zap" in listed.out and receiver in listed.out
    as_json = json.loads(ws.run("accounts", "list", "--format", "json").out)
    assert as_json[0]["network"] == "webhook" and as_json[0]["settings"] == {"url": receiver}
    checked = ws.run("accounts", "check", "--allow-private")
    assert checked.code == 0, checked.out + checked.err
    assert checked.out.startswith("ok") and "#1 webhook:zap" in checked.out
    assert Receiver.hits and Receiver.hits[0]["X-Sociable-Signature"].startswith("sha256=")
    for result in (added, listed, checked):
        assert SECRET not in result.out + result.err
    [account] = ws.accounts()
    assert account.credentials == {"secret": SECRET}
    assert all(SECRET.encode() not in raw for raw in ws.raw_credentials())  # encrypted at rest
    removed = ws.run("accounts", "remove", "webhook:zap")
    assert removed.code == 0 and "removed #1 webhook:zap" in removed.out
    assert ws.accounts() == []


def test_check_without_allow_private_refuses_loopback(ws: Ws, receiver: str) -> None:
    ws.run("accounts", "add", "webhook", "--name", "z", "--url", receiver, "--secret", SECRET)
    result = ws.run("accounts", "check", "1")
    assert result.code == 1
    assert result.out.startswith("failed") and "loopback" in result.out
    assert not Receiver.hits


def test_mastodon_add_with_check_then_a_revoked_token_fails(ws: Ws, mastodon: MockServer) -> None:
    result = ws.run(
        "accounts",
        "add",
        "mastodon",
        "--instance",
        mastodon.base_url,
        "--token",
        "alice_token",
        "--check",
        "--allow-private",
    )
    assert result.code == 0, result.err
    [account] = ws.accounts()
    assert account.settings["instance"] == mastodon.base_url
    assert account.display_name == "@alice" and account.credentials == {"token": "alice_token"}
    bad = ws.run(
        "accounts",
        "add",
        "mastodon",
        "--name",
        "other",
        "--instance",
        mastodon.base_url,
        "--token",
        "revoked",
        "--check",
        "--allow-private",
    )
    assert bad.code == 2 and "check failed, nothing saved" in bad.err
    assert "revoked" not in bad.err  # the token itself is never echoed
    assert len(ws.accounts()) == 1
    ok = ws.run("accounts", "check", "--allow-private")
    assert ok.code == 0 and "ok" in ok.out and "@alice" in ok.out


def test_check_reports_each_failure_with_its_reason(ws: Ws, mastodon: MockServer) -> None:
    ws.run("accounts", "add", "mastodon", "--instance", mastodon.base_url, "--token", "nope")
    ws.run(
        "accounts",
        "add",
        "mastodon",
        "--name",
        "b",
        "--instance",
        mastodon.base_url,
        "--token",
        "bob_token",
    )
    result = ws.run("accounts", "check", "--allow-private")
    assert result.code == 1
    lines = result.out.strip().splitlines()
    assert lines[0].startswith("failed") and "AuthExpired" in lines[0]
    assert lines[1].startswith("ok") and "@bob" in lines[1]
    assert [a.status for a in ws.accounts()] == ["failed", "active"]


def test_bluesky_check_keeps_the_session_encrypted(ws: Ws) -> None:
    added = ws.run(
        "accounts",
        "add",
        "bluesky",
        "--handle",
        "acme.test",
        "--app-password",
        "app-pass-1234",
        "--service",
        "https://pds.example",
    )
    assert added.code == 0, added.err
    with respx.mock(assert_all_called=True) as router:
        router.post("https://pds.example/xrpc/com.atproto.server.createSession").respond(
            json={
                "accessJwt": "acc-jwt",
                "refreshJwt": "ref-jwt",
                "did": "did:plc:x",
                "handle": "acme.test",
            }
        )
        router.get("https://pds.example/xrpc/com.atproto.server.getSession").respond(
            json={"did": "did:plc:x", "handle": "acme.test"}
        )
        # --allow-private: the SSRF guard would otherwise resolve the fake host first
        result = ws.run("accounts", "check", "bluesky:@acme.test", "--allow-private")
    assert result.code == 0, result.out + result.err
    assert "@acme.test" in result.out and "acc-jwt" not in result.out
    [account] = ws.accounts()
    assert account.credentials is not None and account.credentials["refresh_jwt"] == "ref-jwt"
    assert all(
        b"ref-jwt" not in raw and b"app-pass-1234" not in raw for raw in ws.raw_credentials()
    )


def test_expired_x_token_is_refreshed_by_check(ws: Ws) -> None:
    ws.run(
        "accounts",
        "add",
        "x",
        "--name",
        "@acme",
        "--token",
        "old",
        "--refresh-token",
        "r1",
        "--client-id",
        "cid",
    )
    with respx.mock() as router:
        router.get("https://api.x.com/2/users/me").mock(
            side_effect=[
                httpx.Response(
                    401, json={"title": "Unauthorized", "detail": "Unauthorized", "status": 401}
                ),
                httpx.Response(
                    200, json={"data": {"id": "42", "name": "Acme", "username": "acme"}}
                ),
            ]
        )
        router.post("https://api.x.com/2/oauth2/token").respond(
            json={"access_token": "new", "refresh_token": "r2", "expires_in": 7200}
        )
        result = ws.run("accounts", "check", "--allow-private")
    assert result.code == 0, result.out + result.err
    assert "token refreshed" in result.out
    [account] = ws.accounts()
    assert account.credentials is not None
    assert account.credentials["token"] == "new" and account.credentials["refresh_token"] == "r2"
    assert account.settings["user_id"] == "42" and account.token_expires_at is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["webhook", "--name", "z", "--secret", "s"], "--url is required for a webhook account"),
        (["webhook", "--name", "z", "--url", "ftp://x", "--secret", "s"], "not an http(s) URL"),
        (["myspace", "--token", "t"], "unknown network 'myspace'"),
        (["linkedin", "--token", "t", "--author", "acme"], "urn:li:person"),
        (["facebook", "--token", "t"], "--page-id is required"),
        (["mastodon", "--instance", "https://m.example"], "--token is required"),
        (["x", "--token", "t", "--name", "a", "--set", "oops"], "expected KEY=VALUE"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_saves_nothing(
    ws: Ws, args: list[str], message: str
) -> None:
    result = ws.run("accounts", "add", *args)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert ws.accounts() == []


def test_duplicate_and_unknown_refs(ws: Ws) -> None:
    args = (
        "accounts",
        "add",
        "reddit",
        "--token",
        "t",
        "--subreddit",
        "r/acme",
        "--set",
        "min_interval=60",
    )
    assert ws.run(*args).code == 0
    again = ws.run(*args)
    assert again.code == 2 and "already connected as #1" in again.err
    [account] = ws.accounts()
    assert account.handle == "r/acme" and account.settings == {
        "subreddit": "acme",
        "min_interval": "60",
    }
    missing = ws.run("accounts", "remove", "99")
    assert missing.code == 2 and "reddit:r/acme" in missing.err
    assert ws.run("accounts", "check", "nobody").code == 2


def test_remove_refuses_while_publications_are_due(ws: Ws, receiver: str) -> None:
    from datetime import UTC, datetime, timedelta

    from sociable.store.models import Workspace
    from tests.publish.factories import publication

    ws.run("accounts", "add", "webhook", "--name", "z", "--url", receiver, "--secret", SECRET)
    db = open_database(ws.url)
    try:
        with db.session() as s:
            account = s.scalars(select(Account)).one()
            workspace = s.scalars(select(Workspace)).one()
            publication(s, workspace, account, datetime.now(UTC) + timedelta(days=1))
    finally:
        db.dispose()
    refused = ws.run("accounts", "remove", "1")
    assert refused.code == 2 and "1 publication(s) not yet done" in refused.err
    assert len(ws.accounts()) == 1
    forced = ws.run("accounts", "remove", "1", "--force")
    assert forced.code == 0 and ws.accounts() == []


def test_empty_workspace(ws: Ws) -> None:
    result = ws.run("accounts", "check")
    assert result.code == 0 and "no accounts yet" in result.out
