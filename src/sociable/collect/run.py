"""One collection pass: read what is due through each account's connector, keep dated snapshots.

Jobs per account (``collect_state.kind``):

- ``account_metrics``: the account's counts, every ``account_every_hours``;
- ``post_metrics``: our publications' metrics on the decaying schedule (``schedule``);
- ``account_posts``: the account's own timeline (posts made anywhere), a few pages a run,
  its cursor kept in ``collect_state`` so a walk cut short resumes where it stopped.

It knows no network: it calls the connectors' read methods and their typed errors. Network
calls run outside any transaction; each result is written in one short transaction with its
state, so a crash loses at most the reading in flight, and a re-run at the same time finds
nothing due (the snapshots themselves say when each post was last read).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sociable.analytics.posts import record_published, record_remote
from sociable.collect.schedule import HOUR, is_due
from sociable.config import CollectSettings
from sociable.publish.connectors.base import (
    AuthExpired,
    Connector,
    ConnectorError,
    NotSupported,
    RateLimited,
    Reading,
)
from sociable.publish.connectors.registry import UnknownNetwork, connector_class
from sociable.store.db import Database
from sociable.store.models import Account
from sociable.store.models.collect import CollectState, MetricSnapshot
from sociable.store.models.publish import Publication, PubState

log = logging.getLogger(__name__)

ACCOUNT_METRICS = "account_metrics"
POST_METRICS = "post_metrics"
ACCOUNT_POSTS = "account_posts"
KINDS = (ACCOUNT_METRICS, POST_METRICS, ACCOUNT_POSTS)
# Not a job: the row that says a collector is reading this account until ``next_due_at``,
# so two collectors (two workers, a worker and cron) never read one account twice at once.
LEASE = "lease"


@dataclass
class AccountRun:
    """What one pass did for one account: one line of ``sociable analytics collect``."""

    account_id: int
    label: str
    snapshots: int = 0
    posts: int = 0
    jobs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    next_due_at: datetime | None = None


def collect_once(
    db: Database,
    now: datetime,
    *,
    http: httpx.Client,
    settings: CollectSettings | None = None,
    connector_for: Callable[[str], type[Connector]] = connector_class,
    workspace_id: int | None = None,
) -> list[AccountRun]:
    """Read everything due at ``now`` for every active account that can be read."""
    settings = settings or CollectSettings()
    with db.read_session() as s:
        stmt = select(Account.id).where(Account.status == "active").order_by(Account.id)
        if workspace_id is not None:
            stmt = stmt.where(Account.workspace_id == workspace_id)
        ids = list(s.scalars(stmt))
    runs = []
    for account_id in ids:
        run = _collect_account(db, account_id, now, http, settings, connector_for)
        if run is not None:
            runs.append(run)
    return runs


def _collect_account(
    db: Database,
    account_id: int,
    now: datetime,
    http: httpx.Client,
    settings: CollectSettings,
    connector_for: Callable[[str], type[Connector]],
) -> AccountRun | None:
    with db.read_session() as s:
        account = s.get(Account, account_id)
        assert account is not None
        network, workspace = account.network, account.workspace_id
        label = f"{network}:{account.handle}"
        credentials = dict(account.credentials or {})
        config = dict(account.settings or {})
        states = {st.kind: st.next_due_at for st in _states(s, account_id)}
    try:
        cls = connector_for(network)
    except UnknownNetwork as exc:
        return AccountRun(account_id, label, errors=[str(exc)])
    caps = cls.capabilities
    able = [
        kind
        for kind, can in (
            (ACCOUNT_METRICS, caps.account_metrics),
            (POST_METRICS, caps.post_metrics),
            (ACCOUNT_POSTS, caps.account_posts and settings.timeline_pages > 0),
        )
        if can
    ]
    if not able:
        return None  # a write-only network (webhook, feed) or none read yet: nothing to do
    wanted = [k for k in able if (due := states.get(k)) is None or due <= now]
    run = AccountRun(account_id, label)
    if not wanted:
        run.next_due_at = min((d for d in states.values() if d is not None), default=None)
        return run
    token = _claim(db, account_id, now, timedelta(seconds=settings.lease_seconds))
    if token is None:
        run.errors.append("skipped: another collector is reading this account")
        return run
    try:
        conn = cls(dict(credentials), config, http)
        job = _Job(db, run, conn, account_id, workspace, network, now, settings, able)
        for kind in wanted:
            if not job.execute(kind):
                break  # rate limited: the whole account waits
        job.keep_credentials(credentials)
    finally:
        _release(db, account_id, token)
    with db.read_session() as s:
        run.next_due_at = min(
            (st.next_due_at for st in _states(s, account_id) if st.next_due_at is not None),
            default=None,
        )
    return run


def _states(s: Session, account_id: int) -> list[CollectState]:
    return list(
        s.scalars(
            select(CollectState).where(
                CollectState.account_id == account_id, CollectState.kind != LEASE
            )
        )
    )


def _claim(db: Database, account_id: int, now: datetime, lease: timedelta) -> str | None:
    """Take the account's lease (a compare-and-set on its ``lease`` row); None if taken."""
    token = secrets.token_hex(8)
    where = (CollectState.account_id == account_id, CollectState.kind == LEASE)
    with db.session() as s:
        taken = s.execute(
            update(CollectState)
            .where(
                *where,
                or_(CollectState.next_due_at.is_(None), CollectState.next_due_at <= now),
            )
            .values(cursor=token, next_due_at=now + lease, last_run_at=now)
        )
        if getattr(taken, "rowcount", 0) == 1:
            return token
        if s.scalars(select(CollectState.id).where(*where)).first() is not None:
            return None  # held by someone else
    try:
        with db.session() as s:
            s.add(
                CollectState(
                    account_id=account_id,
                    kind=LEASE,
                    cursor=token,
                    next_due_at=now + lease,
                    last_run_at=now,
                    runs=0,
                )
            )
    except IntegrityError:
        return None  # another collector inserted it first
    return token


def _release(db: Database, account_id: int, token: str) -> None:
    with db.session() as s:
        s.execute(
            update(CollectState)
            .where(
                CollectState.account_id == account_id,
                CollectState.kind == LEASE,
                CollectState.cursor == token,
            )
            .values(next_due_at=None, cursor=None)
        )


@dataclass
class _Job:
    db: Database
    run: AccountRun
    conn: Connector
    account_id: int
    workspace_id: int
    network: str
    now: datetime
    settings: CollectSettings
    kinds: list[str]

    @property
    def max_age(self) -> timedelta:
        return timedelta(days=self.settings.max_age_days)

    def execute(self, kind: str) -> bool:
        """Run one job; False when the account is rate limited (stop for now)."""
        self.run.jobs.append(kind)
        try:
            try:
                self._do(kind)
            except AuthExpired:
                if self._refreshed():
                    self._do(kind)
                else:
                    raise
        except RateLimited as exc:
            wait = exc.retry_after if exc.retry_after is not None else self._retry()
            until = self.now + timedelta(seconds=max(wait, 1.0))
            message = f"{kind}: rate limited until {until.isoformat(timespec='seconds')}"
            self.run.errors.append(message)
            for other in self.kinds:
                self._state(other, error=f"rate limited: {exc}", next_due_at=until)
            return False
        except NotSupported as exc:
            self.run.errors.append(f"{kind}: {exc}")
            self._state(kind, error=f"not supported: {exc}", next_due_at=self.now + 30 * _DAY)
        except Exception as exc:  # one account's surprise (a bug, a body we misread) is
            # recorded on that account and never stops the pass for the others
            if not isinstance(exc, ConnectorError):
                log.warning("collect %s for %s failed", kind, self.run.label, exc_info=True)
            self.run.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            self._state(
                kind, error=f"{type(exc).__name__}: {exc}", next_due_at=self.now + self._retry_td()
            )
        return True

    def _retry(self) -> float:
        return self.settings.retry_minutes * 60.0

    def _retry_td(self) -> timedelta:
        return timedelta(seconds=self._retry())

    def _refreshed(self) -> bool:
        if not self.conn.capabilities.token_refresh:
            return False
        try:
            new = self.conn.refresh()
        except ConnectorError:
            return False
        if new is None:
            return False
        self.conn.credentials = dict(new)
        return True

    def keep_credentials(self, before: dict[str, Any]) -> None:
        """A connector that logged in or refreshed (Bluesky's session) keeps its session."""
        if self.conn.credentials != before:
            with self.db.session() as s:
                account = s.get(Account, self.account_id)
                if account is not None:
                    account.credentials = dict(self.conn.credentials)

    # -- the jobs ----------------------------------------------------------------------------

    def _do(self, kind: str) -> None:
        if kind == ACCOUNT_METRICS:
            reading = self.conn.account_metrics()
            with self.db.session() as s:
                self._write(s, [reading], {})
                self._state(
                    kind,
                    session=s,
                    next_due_at=self.now + timedelta(hours=self.settings.account_every_hours),
                )
        elif kind == POST_METRICS:
            due = self._due_publications()
            readings = self.conn.post_metrics(list(due)) if due else []
            with self.db.session() as s:
                record_published(s, self.workspace_id, self.account_id)
                self._write(s, readings, due)
                # the shortest gap is an hour: what was read now is due again in one at the
                # soonest, and a post published meanwhile waits at most that long
                self._state(kind, session=s, next_due_at=self.now + HOUR)
            self.run.posts += len(readings)
        elif kind == ACCOUNT_POSTS:
            self._walk_timeline()

    def _last_taken(self, s: Session) -> dict[str, datetime]:
        rows = s.execute(
            select(MetricSnapshot.remote_id, func.max(MetricSnapshot.taken_at))
            .where(
                MetricSnapshot.account_id == self.account_id,
                MetricSnapshot.remote_id.is_not(None),
            )
            .group_by(MetricSnapshot.remote_id)
        )
        return {str(remote): when for remote, when in rows}

    def _due_publications(self) -> dict[str, int]:
        """remote id -> publication id, for our published posts due a reading now."""
        with self.db.read_session() as s:
            pubs = s.execute(
                select(Publication.id, Publication.remote_id, Publication.published_at).where(
                    Publication.account_id == self.account_id,
                    Publication.state == PubState.PUBLISHED.value,
                    Publication.remote_id.is_not(None),
                    Publication.published_at >= self.now - self.max_age,
                )
            ).all()
            last = self._last_taken(s)
        return {
            str(remote): pub_id
            for pub_id, remote, published in pubs
            if published is not None
            and is_due(published, last.get(str(remote)), self.now, self.max_age)
        }

    def _ours(self, s: Session, remote_ids: list[str]) -> dict[str, int]:
        if not remote_ids:
            return {}
        rows = s.execute(
            select(Publication.remote_id, Publication.id).where(
                Publication.account_id == self.account_id, Publication.remote_id.in_(remote_ids)
            )
        )
        return {str(remote): pub_id for remote, pub_id in rows}

    def _walk_timeline(self) -> None:
        """Up to ``timeline_pages`` pages, newest first, from the saved cursor if a walk was
        cut short; stops at posts older than ``max_age``. Each page is written with its cursor."""
        with self.db.read_session() as s:
            state = s.scalars(
                select(CollectState).where(
                    CollectState.account_id == self.account_id,
                    CollectState.kind == ACCOUNT_POSTS,
                )
            ).first()
            cursor = state.cursor if state is not None else None
        for _ in range(self.settings.timeline_pages):
            page = self.conn.account_posts(cursor)
            born = {p.remote_id: p.created_at for p in page.posts}
            too_old = any(
                when is not None and self.now - when >= self.max_age for when in born.values()
            )
            with self.db.session() as s:
                last = self._last_taken(s)
                keep = [
                    r
                    for r in page.readings
                    if r.remote_id is not None
                    and (when := born.get(r.remote_id)) is not None
                    and is_due(when, last.get(r.remote_id), self.now, self.max_age)
                ]
                ours = self._ours(s, [p.remote_id for p in page.posts])
                record_remote(s, self.workspace_id, self.account_id, self.network, page.posts, ours)
                self._write(s, keep, ours)
                cursor = None if too_old else page.cursor
                # a walk cut short goes on at the next pass; a finished one starts again
                # from the newest post in an hour
                self._state(
                    ACCOUNT_POSTS,
                    session=s,
                    cursor=cursor,
                    set_cursor=True,
                    next_due_at=None if cursor else self.now + HOUR,
                )
            self.run.posts += len(keep)
            if cursor is None:
                break

    # -- writing -----------------------------------------------------------------------------

    def _write(self, s: Session, readings: list[Reading], pubs: dict[str, int]) -> None:
        totals = self.conn.capabilities.account_metrics_are_totals
        refused = sorted({name for r in readings for name in r.refused})
        if refused:  # the rest was read; say which names need an edit of metrics.toml
            self.run.errors.append(
                f"{self.network} refused metric(s) {', '.join(refused)}: "
                "update sociable/collect/metrics.toml"
            )
        for reading in readings:
            for name, value in sorted(reading.values.items()):
                s.add(
                    MetricSnapshot(
                        workspace_id=self.workspace_id,
                        account_id=self.account_id,
                        publication_id=pubs.get(reading.remote_id) if reading.remote_id else None,
                        remote_id=reading.remote_id,
                        network=self.network,
                        metric=name,
                        value=value,
                        # post counts are always "so far"; account counts as the flag says
                        cumulative=True if reading.remote_id else totals,
                        api_version=reading.api_version,
                        taken_at=self.now,
                        fresh_as_of=reading.fresh_as_of or self.now,
                    )
                )
                self.run.snapshots += 1

    def _state(
        self,
        kind: str,
        *,
        session: Session | None = None,
        error: str | None = None,
        next_due_at: datetime | None = None,
        cursor: str | None = None,
        set_cursor: bool = False,
    ) -> None:
        if session is None:
            with self.db.session() as s:
                self._state(
                    kind,
                    session=s,
                    error=error,
                    next_due_at=next_due_at,
                    cursor=cursor,
                    set_cursor=set_cursor,
                )
            return
        s = session
        state = s.scalars(
            select(CollectState).where(
                CollectState.account_id == self.account_id, CollectState.kind == kind
            )
        ).first()
        assert kind != LEASE
        if state is None:
            state = CollectState(account_id=self.account_id, kind=kind, runs=0)
            s.add(state)
        state.last_run_at = self.now
        state.runs = (state.runs or 0) + 1
        state.last_error = error
        if error is None:
            state.last_ok_at = self.now
        state.next_due_at = next_due_at
        if set_cursor:
            state.cursor = cursor


_DAY = timedelta(days=1)
