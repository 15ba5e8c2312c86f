"""Login hardening, through real requests: the throttle per client and per account, the same
argon2 work for unknown emails, sessions that end on the server, the Secure cookie.

The test server is uvicorn with its proxy options as ``sociable serve`` sets them by
default (loopback is a trusted proxy), so ``X-Forwarded-For`` here stands for clients at
different addresses behind a proxy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy import select, update

from sociable import passwords
from sociable.cli.serve_cmd import proxy_options
from sociable.config import WebSettings
from sociable.store.db import Database, open_database
from sociable.store.models import User
from sociable.store.models.web import WebSession
from sociable.store.secrets import SecretBox
from sociable.web.throttle import LoginThrottle
from tests.web.conftest import PASSWORD, WebApp, csrf_from, start_web

ATTACKER = "203.0.113.66"
REAL_USER = "198.51.100.7"


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(web: WebApp) -> ManualClock:
    """The app's login throttle on a clock the test moves."""
    manual = ManualClock()
    web.app.state.login_throttle = LoginThrottle(clock=manual)
    return manual


def _client(web: WebApp, address: str) -> tuple[httpx.Client, str]:
    c = web.client()
    c.headers["X-Forwarded-For"] = address
    return c, csrf_from(c.get("/login").text)


def _login(c: httpx.Client, csrf: str, email: str, password: str) -> httpx.Response:
    return c.post("/login", data={"email": email, "password": password, "csrf_token": csrf})


def test_junk_emails_do_not_reset_a_clients_limit(web: WebApp) -> None:
    # 500 junk emails here, each a real request; tests/web/test_throttle.py sends the
    # throttle 10,000 and more, which over HTTP would take minutes on a shared machine.
    c, csrf = _client(web, ATTACKER)
    for _ in range(5):
        assert _login(c, csrf, "viewer@acme.example", "guess").status_code == 401
    junk = Counter(
        _login(c, csrf, f"junk{i}@spam.example", "guess").status_code for i in range(500)
    )
    assert junk == {401: 15, 429: 485}  # the client ran out of attempts, whatever the email
    refused = _login(c, csrf, "viewer@acme.example", PASSWORD)
    assert refused.status_code == 429 and "from your network" in refused.text
    other, other_csrf = _client(web, REAL_USER)  # another client is not held back
    assert _login(other, other_csrf, "editor@acme.example", PASSWORD).status_code == 303


def test_the_real_user_gets_in_while_an_attacker_hammers(web: WebApp, clock: ManualClock) -> None:
    attacker, a_csrf = _client(web, ATTACKER)
    codes = Counter(
        _login(attacker, a_csrf, "viewer@acme.example", f"guess{i}").status_code for i in range(100)
    )
    assert codes == {401: 5, 429: 95}  # five guesses checked, the rest refused unchecked
    real, r_csrf = _client(web, REAL_USER)
    held = _login(real, r_csrf, "viewer@acme.example", PASSWORD)
    assert held.status_code == 429 and "try again in" in held.text
    clock.now += int(held.headers["retry-after"])
    # The attacker keeps going, but its own client is out of attempts: the delay runs out.
    for i in range(50):
        assert _login(attacker, a_csrf, "viewer@acme.example", f"more{i}").status_code == 429
    assert _login(real, r_csrf, "viewer@acme.example", PASSWORD).status_code == 303
    assert real.get("/api/v1/me").json()["email"] == "viewer@acme.example"


def test_many_clients_share_one_accounts_delay(web: WebApp, clock: ManualClock) -> None:
    checked = Counter()
    for n in range(40):  # forty addresses, a few guesses each, all at once
        bot, csrf = _client(web, f"192.0.2.{n + 1}")
        for i in range(3):
            checked[_login(bot, csrf, "owner@acme.example", f"g{n}-{i}").status_code] += 1
    assert checked[401] == 5 and checked[429] == 115
    real, csrf = _client(web, REAL_USER)
    held = _login(real, csrf, "owner@acme.example", PASSWORD)
    assert held.status_code == 429
    clock.now += int(held.headers["retry-after"])
    assert _login(real, csrf, "owner@acme.example", PASSWORD).status_code == 303


class CountingHasher(PasswordHasher):
    verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher.from_parameters(CHEAPEST)
    monkeypatch.setattr(passwords, "_hasher", counting)
    return counting


def test_an_unknown_email_costs_the_same_argon2_work(web: WebApp, hasher: CountingHasher) -> None:
    with web.db.session() as s:
        s.execute(update(User).where(User.email == "editor@acme.example").values(is_active=False))
    c, csrf = _client(web, REAL_USER)
    for email in ("nobody@acme.example", "viewer@acme.example", "editor@acme.example"):
        before = hasher.verified
        r = _login(c, csrf, email, "wrong password")
        assert r.status_code == 401 and "Wrong email or password" in r.text
        assert hasher.verified - before == 1, email
    # The deactivated user's right password is checked too, and refused like the others.
    before = hasher.verified
    assert _login(c, csrf, "editor@acme.example", PASSWORD).status_code == 401
    assert hasher.verified - before == 1


def test_logout_makes_the_old_cookie_useless(web: WebApp) -> None:
    c = web.login("owner@acme.example")
    elsewhere = web.login("owner@acme.example")  # the same person on another browser
    stolen = dict(c.cookies)
    c.post("/logout")
    replay = web.client()
    replay.cookies.update(stolen)
    assert replay.get("/api/v1/me").status_code == 401
    assert replay.get("/").status_code == 303  # to the login page
    assert elsewhere.get("/api/v1/me").status_code == 200  # only that session ended
    with web.db.session() as s:
        rows = s.scalars(select(WebSession).where(WebSession.user_id == web.users["owner"]))
        assert sorted(row.ended_at is None for row in rows) == [False, True]


def _cookie(r: httpx.Response) -> str:
    return r.headers.get("set-cookie", "").lower()


def test_the_cookie_is_secure_when_the_proxy_says_https(web: WebApp) -> None:
    plain = web.client().get("/login")
    assert "sociable_session=" in _cookie(plain) and "secure" not in _cookie(plain)  # dev works
    behind_tls = web.client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "sociable_session=" in _cookie(behind_tls) and "; secure" in _cookie(behind_tls)


@pytest.fixture
def untrusting(db: Database, secret_box: SecretBox) -> Iterator[WebApp]:
    """Served with ``[web] trusted_proxies = []`` through the options ``serve`` passes."""
    yield from start_web(db, **proxy_options(WebSettings(trusted_proxies=[])))


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(untrusting: WebApp) -> None:
    c = untrusting.client()
    r = c.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in _cookie(r)
    csrf = csrf_from(r.text)
    codes = Counter()
    for n in range(30):  # a new X-Forwarded-For each time does not make a new client
        c.headers["X-Forwarded-For"] = f"192.0.2.{n + 1}"
        codes[_login(c, csrf, f"junk{n}@spam.example", "guess").status_code] += 1
    assert codes == {401: 20, 429: 10}


@pytest.fixture
def always_secure(db: Database, secret_box: SecretBox) -> Iterator[WebApp]:
    yield from start_web(db, secure_cookies=True)


def test_secure_cookies_can_be_forced(always_secure: WebApp) -> None:
    assert "; secure" in _cookie(always_secure.client().get("/login"))


def test_users_logout_ends_every_session_of_a_person(  # type: ignore[no-untyped-def]
    cli, database_url: str, secret_box: SecretBox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    base = ("--database-url", database_url)
    assert cli(*base, "init", "--name", "Boss Co").code == 0  # migrations, 0015 included
    monkeypatch.setenv("SOCIABLE_PASSWORD", PASSWORD)
    assert cli(*base, "users", "add", "boss@boss.example", "--role", "owner").code == 0
    db = open_database(database_url)
    try:
        for web in start_web(db):
            laptop, phone = (web.login("boss@boss.example") for _ in range(2))
            other = web.login("editor@acme.example")
            done = cli(*base, "users", "logout", "Boss@boss.example")
            assert done.code == 0 and "2 web session(s) ended" in done.out
            assert laptop.get("/api/v1/me").status_code == 401
            assert phone.get("/api/v1/me").status_code == 401
            assert other.get("/api/v1/me").status_code == 200
            stranger = cli(*base, "users", "logout", "nobody@acme.example")
            assert stranger.code == 2 and "not a member" in stranger.err
    finally:
        db.dispose()
