"""Idempotent replays keep no secret and expire; a token's last_used_at is written sparingly.

Issue #11 part 4: replays of POST /tokens, /webhooks and /invitations stored the whole
answer (token, webhook secret, invite URL) in idempotency_record forever, and a replay
handed a token out again after it was revoked.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi import HTTPException
from sqlalchemy import select, update

from sociable.store.db import Database
from sociable.store.models import Role, Workspace
from sociable.store.models.web import ApiToken, IdempotencyRecord
from sociable.web.deps import Principal
from sociable.web.idempotency import KEEP_FOR, IdempotencyKey, Purger, idempotent
from sociable.workspaces import add_member
from tests.web.conftest import WebApp

SECRET_ROUTES = [
    ("/api/v1/tokens", {"name": "ci"}, "token"),
    ("/api/v1/webhooks", {"url": "https://hooks.example/in"}, "secret"),
    ("/api/v1/invitations", {"email": "new@acme.example", "role": "viewer"}, "accept_url"),
]


def _stored(web: WebApp) -> list[str]:
    with web.db.session() as s:
        return [repr(r.response_body) for r in s.scalars(select(IdempotencyRecord))]


@pytest.mark.parametrize(("path", "body", "field"), SECRET_ROUTES)
def test_a_replay_never_stores_nor_returns_the_secret(
    web: WebApp, path: str, body: dict[str, str], field: str
) -> None:
    headers = {"Idempotency-Key": "once"}
    with web.as_token("owner") as c:
        first = c.post(path, json=body, headers=headers)
        assert first.status_code == 201, first.text
        secret = first.json()[field]
        assert secret
        stored = _stored(web)
        assert len(stored) == 1  # the key is remembered (a retry creates nothing new) ...
        assert secret not in stored[0]  # ... but not the secret
        again = c.post(path, json=body, headers=headers)
        assert again.status_code == 409
        assert secret not in again.text
        assert f"id {first.json()['id']}" in again.json()["detail"]  # what to remove


def test_a_revoked_token_is_not_handed_out_again(web: WebApp) -> None:
    headers = {"Idempotency-Key": "ci-token"}
    with web.as_token("editor") as c:
        made = c.post("/api/v1/tokens", json={"name": "ci"}, headers=headers).json()
        assert c.delete(f"/api/v1/tokens/{made['id']}").status_code == 204
        replay = c.post("/api/v1/tokens", json={"name": "ci"}, headers=headers)
    assert made["token"] not in replay.text
    assert replay.status_code == 409


def _age(web: WebApp, by: timedelta) -> None:
    with web.db.session() as s:
        s.execute(update(IdempotencyRecord).values(created_at=datetime.now(UTC) - by))


def test_replay_records_expire(web: WebApp) -> None:
    headers = {"Idempotency-Key": "link-1"}
    body = {"url": "https://shop.example/a"}
    with web.as_token("editor") as c:
        first = c.post("/api/v1/links", json=body, headers=headers).json()
        _age(web, KEEP_FOR - timedelta(minutes=5))
        replay = c.post("/api/v1/links", json=body, headers=headers)
        assert replay.headers.get("idempotent-replay") == "true"
        assert replay.json()["code"] == first["code"]
        _age(web, KEEP_FOR + timedelta(minutes=5))
        fresh = c.post("/api/v1/links", json=body, headers=headers)
    assert fresh.status_code == 201 and "idempotent-replay" not in fresh.headers
    assert fresh.json()["code"] != first["code"]  # the old record no longer answers
    assert len(_stored(web)) == 1


def test_expired_records_of_everyone_are_swept(web: WebApp) -> None:
    with web.as_token("viewer") as c:  # a viewer's keyed request is refused: nothing stored
        assert c.post("/api/v1/links", json={"url": "https://a.example/"}).status_code == 403
    with web.db.session() as s:
        s.add(
            IdempotencyRecord(
                user_id=web.users["viewer"],
                key="old",
                request_hash="0" * 64,
                status_code=201,
                response_body={"id": 1},
                created_at=datetime.now(UTC) - KEEP_FOR - timedelta(hours=1),
            )
        )
    with web.as_token("editor") as c:
        made = c.post(
            "/api/v1/links", json={"url": "https://a.example/"}, headers={"Idempotency-Key": "n"}
        )
        assert made.status_code == 201
    with web.db.session() as s:
        owners = sorted(s.scalars(select(IdempotencyRecord.user_id)))
    assert owners == [web.users["editor"]]


def test_last_used_at_is_written_at_most_once_a_minute(web: WebApp) -> None:
    def last_used() -> datetime | None:
        with web.db.session() as s:
            row = s.get(ApiToken, token_id)
            assert row is not None
            return row.last_used_at

    with web.as_token("viewer") as c:
        token_id = next(t["id"] for t in c.get("/api/v1/tokens").json())
        deadline = time.monotonic() + 10  # written after the response, in its own transaction
        while (first := last_used()) is None:
            assert time.monotonic() < deadline, "last_used_at never written"
            time.sleep(0.05)
        for _ in range(5):
            assert c.get("/api/v1/me").status_code == 200
        time.sleep(0.5)  # time for a (wrong) write after the responses
        assert last_used() == first


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_same_key_twice_at_once_is_a_409_not_a_500(db: Database) -> None:
    """PostgreSQL: the second request does not see the first one's record (not committed
    yet) and fails on the unique key when it stores its own. (On SQLite writers run one at
    a time, so the second one finds the record and replays it.)"""
    with db.session() as s:
        workspace = Workspace(slug="w", name="W")
        s.add(workspace)
        s.flush()
        user = add_member(s, workspace, "a@w.example", "a long password", Role.OWNER)
        who = Principal(user.id, user.email, workspace.id, Role.OWNER, "token")
    state = SimpleNamespace(idempotency_purger=Purger())
    request = SimpleNamespace(app=SimpleNamespace(state=state))
    idem = IdempotencyKey("twice", "0" * 64)

    def create() -> dict[str, int]:  # meanwhile, the first request commits its record
        with db.session() as other:
            other.add(
                IdempotencyRecord(
                    user_id=who.user_id, key="twice", request_hash="0" * 64, status_code=201
                )
            )
        return {"id": 1}

    with pytest.raises(HTTPException) as raised, db.session() as s:
        idempotent(request, s, who, idem, create)  # type: ignore[arg-type]
    assert raised.value.status_code == 409
