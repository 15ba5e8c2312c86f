"""collect_once through each newly read network's real connector, against respx fakes of the
documented API shapes (the ones in tests/publish/connectors/test_<network>_read.py), on a
real database: account and post snapshots are written, our publication is linked, timeline
posts are recorded with their content type, and every snapshot's metric maps to a measure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import respx
from sqlalchemy import select

from sociable.analytics.measures import MEASURES
from sociable.collect.metrics import measure_of
from sociable.collect.run import collect_once
from sociable.store.db import Database
from sociable.store.models.analytics import SocialPost
from sociable.store.models.collect import MetricSnapshot
from tests.collect.test_collect import published, snapshots
from tests.publish.connectors.conftest import http
from tests.publish.connectors.test_facebook_read import PAGE, page_fake
from tests.publish.connectors.test_facebook_read import install as install_facebook
from tests.publish.connectors.test_linkedin_read import ORG, FakeLinkedIn
from tests.publish.connectors.test_reddit_read import FakeReddit, fake_posts
from tests.publish.connectors.test_threads_read import install as install_threads
from tests.publish.connectors.test_threads_read import threads_fake
from tests.publish.connectors.test_tumblr_read import BLOG, FakeTumblr
from tests.publish.connectors.test_x_read import ME, FakeX
from tests.publish.factories import account, workspace

__all__ = ["http"]  # the loopback-allowed client fixture


def add_account(
    db: Database, network: str, credentials: dict[str, Any], settings: dict[str, Any]
) -> int:
    with db.session() as s:
        return account(
            s,
            workspace(s),
            network=network,
            handle=f"@acme-{network}",
            credentials=credentials,
            settings=settings,
        ).id


def measures(rows: list[MetricSnapshot], network: str, *, account_scope: bool) -> set[str | None]:
    return {measure_of(network, r.metric) for r in rows if (r.remote_id is None) == account_scope}


def kinds(db: Database, account_id: int) -> dict[str, str | None]:
    with db.read_session() as s:
        rows = s.scalars(select(SocialPost).where(SocialPost.account_id == account_id))
        return {str(p.remote_id): p.content_type for p in rows}


def check_pass(
    db: Database,
    network: str,
    account_id: int,
    now: datetime,
    http: httpx.Client,
    ours: str,
    pub_id: int,
    followers: str = "followers",
) -> list[MetricSnapshot]:
    (run,) = collect_once(db, now, http=http)
    assert run.errors == [], run.errors
    rows = snapshots(db)
    assert rows and all(r.network == network and r.taken_at == now for r in rows)
    assert followers in measures(rows, network, account_scope=True)
    post_measures = measures(rows, network, account_scope=False)
    assert post_measures and post_measures - {None} <= set(MEASURES)
    assert {r.publication_id for r in rows if r.remote_id == ours} == {pub_id}
    return rows


def test_x(db: Database, http: httpx.Client, respx_mock: respx.MockRouter) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    x = FakeX(now)
    for i in range(7):
        x.add(str(300 + i), timedelta(hours=2 + i), likes=i)
    x.install(respx_mock)
    account_id = add_account(db, "x", {"token": "tok"}, {"user_id": ME})
    pub_id = published(db, account_id, "300", now - timedelta(hours=2))
    rows = check_pass(db, "x", account_id, now, http, "300", pub_id)
    assert {"likes", "impressions", "clicks"} <= measures(rows, "x", account_scope=False)
    assert set(kinds(db, account_id).values()) == {"text"} and len(kinds(db, account_id)) == 7


def test_linkedin(db: Database, http: httpx.Client, respx_mock: respx.MockRouter) -> None:
    fake = FakeLinkedIn()
    fake.install(respx_mock, followers=880)
    now = datetime.fromtimestamp(1764800000, UTC) + timedelta(hours=1)
    account_id = add_account(db, "linkedin", {"token": "tok"}, {"author": ORG})
    pub_id = published(db, account_id, "urn:li:share:700", now - timedelta(hours=1))
    rows = check_pass(db, "linkedin", account_id, now, http, "urn:li:share:700", pub_id)
    assert [r.value for r in rows if r.metric == "firstDegreeSize"] == [880]
    assert kinds(db, account_id)["urn:li:share:702"] == "carousel"


def test_facebook(db: Database, http: httpx.Client, respx_mock: respx.MockRouter) -> None:
    fake = page_fake(posts=4)
    install_facebook(respx_mock, fake)
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    account_id = add_account(db, "facebook", {"token": "page-tok"}, {"page_id": PAGE})
    ours = f"{PAGE}_500"
    pub_id = published(db, account_id, ours, now - timedelta(hours=3))
    rows = check_pass(db, "facebook", account_id, now, http, ours, pub_id)
    assert {"views", "reach", "clicks"} <= measures(rows, "facebook", account_scope=False)
    assert kinds(db, account_id)[f"{PAGE}_498"] == "video"


def test_threads(db: Database, http: httpx.Client, respx_mock: respx.MockRouter) -> None:
    fake = threads_fake(posts=3)
    install_threads(respx_mock, fake, followers=91)
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    account_id = add_account(db, "threads", {"token": "th-tok"}, {})
    pub_id = published(db, account_id, "9000", now - timedelta(hours=5))
    rows = check_pass(db, "threads", account_id, now, http, "9000", pub_id)
    assert [r.value for r in rows if r.remote_id is None] == [91]
    assert {"views", "likes", "comments", "shares", "quotes"} <= measures(
        rows, "threads", account_scope=False
    )
    assert kinds(db, account_id)["8998"] == "carousel"


def test_reddit(db: Database, http: httpx.Client, respx_mock: respx.MockRouter) -> None:
    FakeReddit(fake_posts()).install(respx_mock)
    now = datetime.fromtimestamp(1764800000, UTC)
    account_id = add_account(db, "reddit", {"token": "tok"}, {"username": "acme"})
    pub_id = published(db, account_id, "t3_p1", now - timedelta(hours=1))
    rows = check_pass(db, "reddit", account_id, now, http, "t3_p1", pub_id)
    ratio = {r.value for r in rows if r.metric == "upvote_ratio"}
    assert ratio == {870} and measure_of("reddit", "upvote_ratio") is None
    assert kinds(db, account_id)["t3_p4"] == "carousel"


def test_tumblr(db: Database, http: httpx.Client, respx_mock: respx.MockRouter) -> None:
    FakeTumblr().install(respx_mock)
    now = datetime.fromtimestamp(1764800000, UTC)
    account_id = add_account(db, "tumblr", {"token": "tok"}, {"blog": BLOG})
    pub_id = published(db, account_id, "7001", now - timedelta(hours=1))
    rows = check_pass(db, "tumblr", account_id, now, http, "7001", pub_id)
    assert measures(rows, "tumblr", account_scope=False) == {"engagements"}
    assert kinds(db, account_id)["7005"] == "video"
