"""collect_once against the real mastodon-mock and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from mastodon_mock.testing.server import MockServer
from sqlalchemy import select

from sociable.collect.run import (
    ACCOUNT_METRICS,
    ACCOUNT_POSTS,
    LEASE,
    POST_METRICS,
    collect_once,
)
from sociable.config import CollectSettings
from sociable.publish.connectors.base import PostPage, PublishRequest
from sociable.publish.connectors.mastodon import MastodonConnector
from sociable.store.db import Database
from sociable.store.models.collect import CollectState, MetricSnapshot
from sociable.store.models.publish import PubState
from tests.publish.connectors.conftest import http
from tests.publish.connectors.test_mastodon import fault, mock, server
from tests.publish.factories import account, publication, workspace

__all__ = ["http", "mock", "server"]  # fixtures shared with the connector tests

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def post_as(srv: MockServer, token: str, text: str, **extra: Any) -> str:
    response = httpx.post(
        f"{srv.base_url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {token}"},
        json={"status": text, **extra},
    )
    response.raise_for_status()
    return str(response.json()["id"])


def favourite(srv: MockServer, token: str, status_id: str) -> None:
    httpx.post(
        f"{srv.base_url}/api/v1/statuses/{status_id}/favourite",
        headers={"Authorization": f"Bearer {token}"},
    ).raise_for_status()


def setup(db: Database, srv: MockServer, token: str = "alice_token") -> int:
    with db.session() as s:
        ws = workspace(s)
        acc = account(
            s,
            ws,
            network="mastodon",
            handle="@alice",
            credentials={"token": token},
            settings={"instance": srv.base_url},
        )
        return acc.id


def published(db: Database, account_id: int, remote_id: str, at: datetime) -> int:
    """A publication as the dispatcher leaves it after a send."""
    with db.session() as s:
        from sociable.store.models import Account

        acc = s.get(Account, account_id)
        assert acc is not None
        pub = publication(s, acc.workspace, acc, at)
        pub.state = PubState.PUBLISHED.value
        pub.remote_id = remote_id
        pub.published_at = at
        s.flush()
        return pub.id


def snapshots(db: Database) -> list[MetricSnapshot]:
    with db.read_session() as s:
        rows = list(s.scalars(select(MetricSnapshot).order_by(MetricSnapshot.id)))
        s.expunge_all()
        return rows


def states(db: Database, account_id: int) -> dict[str, CollectState]:
    with db.read_session() as s:
        rows = list(s.scalars(select(CollectState).where(CollectState.account_id == account_id)))
        s.expunge_all()
        return {r.kind: r for r in rows if r.kind != LEASE}


def value(rows: list[MetricSnapshot], remote_id: str | None, metric: str, at: datetime) -> int:
    (row,) = [
        r for r in rows if r.remote_id == remote_id and r.metric == metric and r.taken_at == at
    ]
    return row.value


def test_a_pass_snapshots_account_and_posts_and_never_overwrites(
    db: Database, mock: MockServer, http: httpx.Client
) -> None:
    account_id = setup(db, mock)
    ours = MastodonConnector({"token": "alice_token"}, {"instance": mock.base_url}, http).publish(
        PublishRequest(1, "through sociable", idempotency_key="c1")
    )
    pub_id = published(db, account_id, ours.remote_id, T0 - timedelta(hours=3))
    elsewhere = post_as(mock, "alice_token", "posted from the app")
    favourite(mock, "bob_token", ours.remote_id)
    favourite(mock, "carol_token", elsewhere)

    (run,) = collect_once(db, T0, http=http)
    assert run.errors == [] and set(run.jobs) == {ACCOUNT_METRICS, POST_METRICS, ACCOUNT_POSTS}
    first = snapshots(db)
    assert value(first, ours.remote_id, "favourites_count", T0) == 1
    assert value(first, elsewhere, "favourites_count", T0) == 1
    assert value(first, None, "statuses_count", T0) == 2
    by_post = {r.remote_id: r.publication_id for r in first}
    assert by_post[ours.remote_id] == pub_id and by_post[elsewhere] is None
    assert all(r.api_version == "v1" and r.fresh_as_of == T0 for r in first)

    # Again at the same time, and half an hour on: nothing is due, nothing is written.
    assert sum(r.snapshots for r in collect_once(db, T0, http=http)) == 0
    favourite(mock, "carol_token", ours.remote_id)
    assert sum(r.snapshots for r in collect_once(db, T0 + timedelta(minutes=30), http=http)) == 0

    # An hour on the young posts are read again (the account's counts wait a day).
    later = T0 + timedelta(hours=1)
    (run,) = collect_once(db, later, http=http)
    rows = snapshots(db)
    assert value(rows, ours.remote_id, "favourites_count", later) == 2
    assert value(rows, ours.remote_id, "favourites_count", T0) == 1  # the old reading stays
    assert not [r for r in rows if r.remote_id is None and r.taken_at == later]
    assert [(r.id, r.value) for r in first] == [(r.id, r.value) for r in rows[: len(first)]]


def test_a_snapshot_cannot_be_updated(db: Database, mock: MockServer, http: httpx.Client) -> None:
    setup(db, mock)
    collect_once(db, T0, http=http)
    with db.session() as s, pytest.raises(ValueError, match="never update"):
        row = s.scalars(select(MetricSnapshot)).first()
        assert row is not None
        row.value += 1
        s.flush()


def test_rate_limit_waits_as_told_then_resumes(
    db: Database, mock: MockServer, http: httpx.Client
) -> None:
    account_id = setup(db, mock)
    fault(mock, match={"path": "/api/v1/accounts/verify_credentials"}, effect={"type": "ratelimit"})
    (run,) = collect_once(db, T0, http=http)
    assert run.errors and "rate limited" in run.errors[0]
    assert run.next_due_at == T0 + timedelta(seconds=300)
    state = states(db, account_id)
    assert {s.next_due_at for s in state.values()} == {T0 + timedelta(seconds=300)}
    assert all("rate limited" in (s.last_error or "") for s in state.values())
    assert snapshots(db) == []
    httpx.delete(f"{mock.base_url}/api/v1/_mock/faults").raise_for_status()

    (run,) = collect_once(db, T0 + timedelta(seconds=200), http=http)
    assert run.jobs == [] and snapshots(db) == []  # still waiting: no call made
    (run,) = collect_once(db, T0 + timedelta(seconds=300), http=http)
    assert run.errors == [] and snapshots(db)
    assert all(s.last_error is None for s in states(db, account_id).values())


def test_a_bad_token_is_recorded_per_account(
    db: Database, mock: MockServer, http: httpx.Client
) -> None:
    account_id = setup(db, mock, token="revoked")
    (run,) = collect_once(db, T0, http=http, settings=CollectSettings(retry_minutes=15))
    assert run.errors and all("AuthExpired" in e for e in run.errors)
    state = states(db, account_id)[ACCOUNT_METRICS]
    assert "AuthExpired" in (state.last_error or "") and state.last_ok_at is None
    assert state.next_due_at == T0 + timedelta(minutes=15)


class SmallPages(MastodonConnector):
    """The real connector, two statuses a page, so a short timeline has several pages."""

    def account_posts(self, cursor: str | None = None, limit: int = 40) -> PostPage:
        return super().account_posts(cursor, limit=2)


def test_the_timeline_walk_resumes_from_its_cursor(
    db: Database, mock: MockServer, http: httpx.Client
) -> None:
    account_id = setup(db, mock)
    made = [post_as(mock, "alice_token", f"status {i}") for i in range(5)]
    settings = CollectSettings(timeline_pages=1)

    def seen() -> set[str]:
        return {r.remote_id for r in snapshots(db) if r.remote_id}

    cursors = []
    for _ in range(3):  # one page a pass: each pass starts where the last one stopped
        collect_once(db, T0, http=http, settings=settings, connector_for=lambda _n: SmallPages)
        cursors.append(states(db, account_id)[ACCOUNT_POSTS].cursor)
    assert seen() == set(made)
    assert cursors[0] is not None and cursors[1] not in (None, cursors[0]) and cursors[2] is None
    per_post = [r.remote_id for r in snapshots(db) if r.metric == "favourites_count"]
    assert len(per_post) == len(set(per_post)) == 5  # each read once, never twice


def test_write_only_networks_are_skipped(db: Database, http: httpx.Client) -> None:
    with db.session() as s:
        account(s, workspace(s))  # a webhook account
    assert collect_once(db, T0, http=http) == []


def test_an_account_held_by_another_collector_is_skipped_until_its_lease_ends(
    db: Database, mock: MockServer, http: httpx.Client
) -> None:
    account_id = setup(db, mock)
    with db.session() as s:  # another collector took the account at T0 and then died
        s.add(
            CollectState(
                account_id=account_id,
                kind=LEASE,
                cursor="theirs",
                next_due_at=T0 + timedelta(minutes=10),
                runs=0,
            )
        )
    (run,) = collect_once(db, T0 + timedelta(minutes=5), http=http)
    assert "another collector" in run.errors[0] and snapshots(db) == []
    (run,) = collect_once(db, T0 + timedelta(minutes=10), http=http)
    assert run.errors == [] and snapshots(db)
    with db.read_session() as s:
        lease = s.scalars(select(CollectState).where(CollectState.kind == LEASE)).one()
        assert lease.next_due_at is None  # released after the pass


def test_a_refused_metric_name_is_reported_and_the_rest_kept(
    db: Database, http: httpx.Client, respx_mock: Any
) -> None:
    with db.session() as s:
        acc = account(
            s,
            workspace(s),
            network="instagram",
            handle="@acme",
            credentials={"token": "tok"},
            settings={"ig_user_id": "1784"},
        )
        account_id = acc.id
    published(db, account_id, "17", T0 - timedelta(hours=2))
    v = "https://graph.facebook.com/v23.0"
    respx_mock.get(f"{v}/1784").respond(
        json={"id": "1784", "followers_count": 5, "follows_count": 1, "media_count": 2}
    )

    def insights(request: httpx.Request) -> httpx.Response:
        names = request.url.params["metric"].split(",")
        if "shares" in names:  # as if Meta had just dropped it
            return httpx.Response(400, json={"error": {"message": "(#100) metric", "code": 100}})
        return httpx.Response(
            200, json={"data": [{"name": n, "values": [{"value": 3}]} for n in names]}
        )

    respx_mock.get(f"{v}/17/insights").mock(side_effect=insights)
    respx_mock.get(f"{v}/1784/media").respond(
        json={"data": [{"id": "17", "caption": "ours", "timestamp": "2026-12-04T10:00:00+0000"}]}
    )
    (run,) = collect_once(db, T0, http=http)
    assert run.errors == [
        "instagram refused metric(s) shares: update sociable/collect/metrics.toml"
    ]
    metrics = {r.metric for r in snapshots(db) if r.remote_id == "17"}
    assert "reach" in metrics and "shares" not in metrics
    assert {r.metric for r in snapshots(db) if r.remote_id is None} == {
        "followers_count",
        "follows_count",
        "media_count",
    }


class Misreads(MastodonConnector):
    """The real connector with a bug in its reading of the account (a body it misreads)."""

    def account_metrics(self) -> Any:
        raise KeyError("followers_count")


def test_a_bug_in_one_account_is_recorded_and_the_others_still_read(
    db: Database, mock: MockServer, http: httpx.Client
) -> None:
    good = setup(db, mock)
    with db.session() as s:
        from sociable.store.models import Account, Workspace

        ws = s.scalars(select(Workspace)).one()
        broken = account(
            s,
            ws,
            network="broken",
            handle="@x",
            credentials={"token": "alice_token"},
            settings={"instance": mock.base_url},
        )
        broken_id = broken.id
        assert s.get(Account, good) is not None

    def pick(network: str) -> type[MastodonConnector]:
        return Misreads if network == "broken" else MastodonConnector

    runs = {r.account_id: r for r in collect_once(db, T0, http=http, connector_for=pick)}
    assert runs[good].errors == [] and runs[good].snapshots > 0
    assert any("KeyError" in e for e in runs[broken_id].errors)
    assert "KeyError" in (states(db, broken_id)[ACCOUNT_METRICS].last_error or "")
