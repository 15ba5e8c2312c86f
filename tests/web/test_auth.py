"""Logging in, sessions, CSRF, roles on every route, tokens, invitations, switching."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sociable.store.models.web import ApiToken
from tests.web.conftest import PASSWORD, WebApp, csrf_from


def _api_routes(web: WebApp) -> list[tuple[str, str]]:
    schema = web.client().get("/api/v1/openapi.json").json()
    return [
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method in ops
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_api_route_needs_authentication(web: WebApp) -> None:
    routes = _api_routes(web)
    assert len(routes) >= 8
    with web.client() as c:
        for method, path in routes:
            url = path.replace("{account_id}", "1").replace("{token_id}", "1")
            r = c.request(method, url, json={})
            assert r.status_code == 401, f"{method} {path} answered {r.status_code}"


def test_bad_token_is_401(web: WebApp) -> None:
    with web.client() as c:
        r = c.get("/api/v1/me", headers={"Authorization": "Bearer soc_nope"})
        assert r.status_code == 401


@pytest.mark.parametrize(
    ("role", "list_code", "create_code"),
    [("viewer", 200, 403), ("editor", 200, 403), ("owner", 200, 201)],
)
def test_account_routes_by_role(web: WebApp, role: str, list_code: int, create_code: int) -> None:
    with web.as_token(role) as c:
        assert c.get("/api/v1/accounts").status_code == list_code
        body = {"network": "mastodon", "handle": f"@{role}@m.example", "credentials": {"t": "x"}}
        assert c.post("/api/v1/accounts", json=body).status_code == create_code


def test_secrets_never_come_back(web: WebApp) -> None:
    secret = "s3cr3t-token-value-123"
    with web.as_token("owner") as c:
        created = c.post(
            "/api/v1/accounts",
            json={
                "network": "mastodon",
                "handle": "@a@m.example",
                "credentials": {"token": secret},
            },
        )
        assert created.status_code == 201
        assert created.json()["has_credentials"] is True
        for r in (
            created,
            c.get("/api/v1/accounts"),
            c.get(f"/api/v1/accounts/{created.json()['id']}"),
        ):
            assert secret not in r.text
            assert "credentials" not in r.json() if isinstance(r.json(), dict) else True


def test_account_crud_and_workspace_isolation(web: WebApp) -> None:
    with web.as_token("owner") as c:
        acct = c.post("/api/v1/accounts", json={"network": "x", "handle": "@acme"}).json()
        dup = c.post("/api/v1/accounts", json={"network": "x", "handle": "@acme"})
        assert dup.status_code == 409
        patched = c.patch(f"/api/v1/accounts/{acct['id']}", json={"display_name": "Acme Inc"})
        assert patched.json()["display_name"] == "Acme Inc"
        assert c.delete(f"/api/v1/accounts/{acct['id']}").status_code == 204
        assert c.get(f"/api/v1/accounts/{acct['id']}").status_code == 404


def test_idempotency_key_replays_and_detects_misuse(web: WebApp) -> None:
    with web.as_token("owner") as c:
        headers = {"Idempotency-Key": "create-acme-x-1"}
        body = {"network": "x", "handle": "@idem"}
        first = c.post("/api/v1/accounts", json=body, headers=headers)
        again = c.post("/api/v1/accounts", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        assert again.headers.get("idempotent-replay") == "true"
        assert len([a for a in c.get("/api/v1/accounts").json() if a["handle"] == "@idem"]) == 1
        other = c.post("/api/v1/accounts", json={"network": "x", "handle": "@b"}, headers=headers)
        assert other.status_code == 422


def test_login_logout_and_wrong_password(web: WebApp) -> None:
    with web.client() as c:
        assert c.get("/").status_code == 303  # to the login page
        csrf = csrf_from(c.get("/login").text)
        bad = c.post(
            "/login", data={"email": "owner@acme.example", "password": "nope", "csrf_token": csrf}
        )
        assert bad.status_code == 401 and "Wrong email or password" in bad.text
        ok = c.post(
            "/login", data={"email": "owner@acme.example", "password": PASSWORD, "csrf_token": csrf}
        )
        assert ok.status_code == 303
        home = c.get("/")
        assert home.status_code == 200 and "Acme" in home.text
        assert c.get("/api/v1/me").json()["role"] == "owner"
        c.post("/logout", data={"csrf_token": csrf_from(home.text)})
        assert c.get("/api/v1/me").status_code == 401


def test_login_without_csrf_is_refused(web: WebApp) -> None:
    with web.client() as c:
        r = c.post("/login", data={"email": "owner@acme.example", "password": PASSWORD})
        assert r.status_code == 403


def test_session_writes_need_csrf(web: WebApp) -> None:
    c = web.login("owner@acme.example")
    token = c.headers.pop("X-CSRF-Token")
    body = {"network": "x", "handle": "@csrf"}
    assert c.post("/api/v1/accounts", json=body).status_code == 403
    assert (
        c.post("/api/v1/accounts", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    )
    assert c.post("/api/v1/accounts", json=body, headers={"X-CSRF-Token": token}).status_code == 201


def test_login_is_throttled(web: WebApp) -> None:
    with web.client() as c:
        csrf = csrf_from(c.get("/login").text)
        for _ in range(5):
            c.post(
                "/login", data={"email": "viewer@acme.example", "password": "x", "csrf_token": csrf}
            )
        r = c.post(
            "/login",
            data={"email": "viewer@acme.example", "password": PASSWORD, "csrf_token": csrf},
        )
        assert r.status_code == 429


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example"])
def test_no_open_redirect_after_login(web: WebApp, target: str) -> None:
    with web.client() as c:
        csrf = csrf_from(c.get("/login").text)
        r = c.post(
            "/login",
            data={
                "email": "editor@acme.example",
                "password": PASSWORD,
                "csrf_token": csrf,
                "next": target,
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/"


def test_invitation_flow(web: WebApp) -> None:
    with web.as_token("owner") as owner:
        inv = owner.post(
            "/api/v1/invitations", json={"email": "new@acme.example", "role": "viewer"}
        )
        assert inv.status_code == 201
        url = inv.json()["accept_url"]
    with web.as_token("editor") as editor:
        assert (
            editor.post("/api/v1/invitations", json={"email": "x@acme.example"}).status_code == 403
        )
    with web.client() as c:
        page = c.get(url)
        assert page.status_code == 200 and "viewer" in page.text
        r = c.post(url, data={"password": "a long password", "csrf_token": csrf_from(page.text)})
        assert r.status_code == 303
        assert c.get("/api/v1/me").json()["role"] == "viewer"
        again = c.get(url)
        assert again.status_code == 404  # one-time


def test_workspace_switcher(web: WebApp) -> None:
    c = web.login("owner@acme.example")
    assert c.get("/api/v1/me").json()["workspace_id"] == web.workspace_id
    names = [w["name"] for w in c.get("/api/v1/workspaces").json()]
    assert names == ["Acme", "Other brand"]
    r = c.post("/workspace", data={"workspace_id": web.other_workspace_id})
    assert r.status_code == 303
    me = c.get("/api/v1/me").json()
    assert me["workspace_id"] == web.other_workspace_id and me["role"] == "viewer"
    # Now a viewer there: writes are refused.
    assert c.post("/api/v1/accounts", json={"network": "x", "handle": "@o"}).status_code == 403


def test_cannot_switch_into_a_foreign_workspace(web: WebApp) -> None:
    c = web.login("editor@acme.example")
    assert c.post("/workspace", data={"workspace_id": web.other_workspace_id}).status_code == 403


def test_tokens_can_be_revoked(web: WebApp) -> None:
    with web.as_token("editor") as c:
        made = c.post("/api/v1/tokens", json={"name": "ci"}).json()
        assert made["token"].startswith("soc_")
    fresh = web.client()
    fresh.headers["Authorization"] = f"Bearer {made['token']}"
    assert fresh.get("/api/v1/me").status_code == 200
    with web.as_token("editor") as c:
        assert c.delete(f"/api/v1/tokens/{made['id']}").status_code == 204
        listed = c.get("/api/v1/tokens").json()
        assert all("token" not in t for t in listed)
    assert fresh.get("/api/v1/me").status_code == 401


def test_security_headers(web: WebApp) -> None:
    with web.client() as c:
        r = c.get("/login")
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        cookie = r.headers.get("set-cookie", "")
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_invitation_to_an_existing_account_needs_its_password(web: WebApp) -> None:
    """The link alone must not log its holder in as a person who already has an account."""
    with web.as_token("owner") as owner:
        inv = owner.post(
            "/api/v1/invitations", json={"email": "editor@acme.example", "role": "owner"}
        )
        url = inv.json()["accept_url"]
    with web.client() as c:
        page = c.get(url)
        r = c.post(
            url, data={"password": "an attacker's guess", "csrf_token": csrf_from(page.text)}
        )
        assert r.status_code == 400 and "already has a Sociable account" in r.text
        assert c.get("/api/v1/me").status_code == 401
        page = c.get(url)  # still pending: the rightful person can use it
        r = c.post(url, data={"password": PASSWORD, "csrf_token": csrf_from(page.text)})
        assert r.status_code == 303
        assert c.get("/api/v1/me").json()["role"] == "owner"


def test_settings_dates_read_in_the_workspace_zone_and_locale(web: WebApp) -> None:
    """A token made at 23:30 UTC on New Year's Eve was made on 1 January in Paris."""
    with web.db.session() as s:
        for token in s.scalars(select(ApiToken).where(ApiToken.user_id == web.users["owner"])):
            token.created_at = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    page = web.login("owner@acme.example").get("/settings").text
    assert "Created (Europe/Paris)" in page and ">1 janv. 2027</time>" in page
    assert ">2026-12-31</td>" not in page
