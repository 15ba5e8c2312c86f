"""A workspace with posts, snapshots, clicks and conversions, written through the real models.

The builder also keeps what it wrote as plain Python (:class:`Seeded`), so a test computes the
figures it expects from those rows itself, never by calling the code under test.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sociable.store.db import Database
from sociable.store.models import Account, Workspace
from sociable.store.models.analytics import SocialPost, dedupe_key
from sociable.store.models.collect import MetricSnapshot
from sociable.store.models.track import Click, Conversion, ShortLink

_ids = itertools.count(1)


@dataclass
class SeedPost:
    id: int
    account_id: int
    network: str
    handle: str
    posted_at: datetime
    labels: list[str]
    hashtags: list[str]
    content_type: str | None
    campaign: str | None
    segment: str | None
    post_id: int | None
    text: str
    url: str | None
    # measure -> latest value (what the post's snapshots say last)
    measures: dict[str, int] = field(default_factory=dict)


@dataclass
class Seeded:
    workspace_id: int
    accounts: dict[str, int] = field(default_factory=dict)  # "network:handle" -> id
    posts: list[SeedPost] = field(default_factory=list)
    # (account_id, measure, value, taken_at)
    account_readings: list[tuple[int, str, int, datetime]] = field(default_factory=list)


class Builder:
    def __init__(self, db: Database, timezone: str = "UTC", slug: str = "acme") -> None:
        self.db = db
        with db.session() as s:
            ws = Workspace(slug=slug, name=slug.title(), timezone=timezone)
            s.add(ws)
            s.flush()
            self.seeded = Seeded(ws.id)

    @property
    def workspace_id(self) -> int:
        return self.seeded.workspace_id

    def account(self, network: str, handle: str) -> int:
        key = f"{network}:{handle}"
        if key not in self.seeded.accounts:
            with self.db.session() as s:
                acc = Account(
                    workspace_id=self.workspace_id,
                    network=network,
                    handle=handle,
                    credentials=None,
                    status="imported",
                )
                s.add(acc)
                s.flush()
                self.seeded.accounts[key] = acc.id
        return self.seeded.accounts[key]

    def post(
        self,
        network: str,
        handle: str,
        posted_at: datetime,
        *,
        metrics: dict[str, int] | None = None,
        readings: list[tuple[str, int, datetime]] | None = None,
        labels: list[str] | None = None,
        hashtags: list[str] | None = None,
        content_type: str | None = None,
        campaign: str | None = None,
        segment: str | None = None,
        post_id: int | None = None,
        remote_id: str | None = None,
        text: str | None = None,
        url: str | None = None,
    ) -> SeedPost:
        """A post and its snapshots: ``metrics`` as one reading each an hour after posting
        (names are the network's own or measures), ``readings`` as (name, value, taken_at)."""
        account_id = self.account(network, handle)
        n = next(_ids)
        text = text if text is not None else f"post {n}"
        remote = remote_id if remote_id is not None else f"r{n}"
        with self.db.session() as s:
            row = SocialPost(
                workspace_id=self.workspace_id,
                account_id=account_id,
                network=network,
                remote_id=remote,
                dedupe_key=dedupe_key(remote, posted_at, text),
                post_id=post_id,
                posted_at=posted_at,
                text=text,
                content_type=content_type,
                hashtags=hashtags or [],
                labels=labels or [],
                campaign=campaign,
                segment=segment,
                url=url,
                source="import",
            )
            s.add(row)
            s.flush()
            all_readings = [
                (k, v, posted_at + timedelta(hours=1)) for k, v in (metrics or {}).items()
            ]
            all_readings += readings or []
            for name, value, at in all_readings:
                self._snapshot(
                    s, account_id, network, row.remote_id or row.dedupe_key, name, value, at
                )
            seed = SeedPost(
                row.id,
                account_id,
                network,
                handle,
                posted_at,
                list(labels or []),
                list(hashtags or []),
                content_type,
                campaign,
                segment,
                post_id,
                text,
                url,
                {name: value for name, value, _ in sorted(all_readings, key=lambda r: r[2])},
            )
        self.seeded.posts.append(seed)
        return seed

    def followers(
        self, network: str, handle: str, value: int, at: datetime, metric: str = "followers"
    ) -> None:
        account_id = self.account(network, handle)
        with self.db.session() as s:
            self._snapshot(s, account_id, network, None, metric, value, at)
        self.seeded.account_readings.append((account_id, "followers", value, at))

    def _snapshot(
        self,
        s: Session,
        account_id: int,
        network: str,
        remote_id: str | None,
        metric: str,
        value: int,
        at: datetime,
    ) -> None:
        s.add(
            MetricSnapshot(
                workspace_id=self.workspace_id,
                account_id=account_id,
                remote_id=remote_id,
                network=network,
                metric=metric,
                value=value,
                cumulative=True,
                api_version="test",
                taken_at=at,
                fresh_as_of=at,
            )
        )

    def link(
        self, code: str, *, post_id: int | None, network: str | None, campaign: str | None = None
    ) -> int:
        with self.db.session() as s:
            link = ShortLink(
                workspace_id=self.workspace_id,
                code=code,
                url="https://example.com/",
                destination="https://example.com/",
                campaign=campaign,
                network=network,
                post_id=post_id,
            )
            s.add(link)
            s.flush()
            return link.id

    def click(self, link_id: int, code: str, at: datetime, *, bot: bool = False) -> str:
        click_id = f"c{next(_ids)}"
        with self.db.session() as s:
            s.add(
                Click(
                    click_id=click_id,
                    link_id=link_id,
                    code=code,
                    at=at,
                    visitor="v",
                    is_bot=bot,
                )
            )
        return click_id

    def conversion(
        self, order_id: str, at: datetime, amount_minor: int, currency: str, click_ids: list[str]
    ) -> None:
        with self.db.session() as s:
            s.add(
                Conversion(
                    workspace_id=self.workspace_id,
                    order_id=order_id,
                    amount_minor=amount_minor,
                    currency=currency,
                    click_ids=click_ids,
                    source="postback",
                    at=at,
                )
            )


def utc(*args: Any) -> datetime:
    return datetime(*args, tzinfo=UTC)
