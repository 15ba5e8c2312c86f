"""The dispatcher: claim due publications, check them, send them, record what happened.

Exactly once rests on three rules:

1. **Atomic claim with a lease.** PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` and one
   UPDATE to ``claimed`` with a fresh claim token; SQLite: the same inside ``BEGIN IMMEDIATE``
   (one writer at a time). Any number of workers, on any number of machines.
2. **``sending`` is committed before the request leaves.** So after a crash the database
   knows whether a request may have gone out. A lease that runs out in ``claimed`` puts the
   publication back in the queue; one that runs out in ``sending`` makes it ``unknown``.
3. **An unclear outcome is never retried blindly.** A timeout after sending, a 5xx, an
   unexpected exception: ``unknown``, resolved by :mod:`sociable.publish.reconcile`.

Every finishing write is a compare-and-set on the claim token, so a worker that lost its
lease can never overwrite what a later claim did.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import LargeBinary, or_, select, type_coerce, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from sociable import net
from sociable.clock import Clock, system_clock
from sociable.config import PublishSettings, TrackSettings, private_hosts_hint
from sociable.content.utm import is_http_url
from sociable.errors import ConfigError, UserError
from sociable.publish.connectors.base import (
    AuthExpired,
    Capabilities,
    Connector,
    ConnectorError,
    OutcomeUnknown,
    PublishRequest,
    PublishResult,
    RateLimited,
    Rejected,
    Transient,
)
from sociable.publish.connectors.registry import connector_class
from sociable.publish.preflight import (
    Linter,
    PreflightError,
    build_request,
    content_lint,
    preflight,
)
from sociable.publish.shortlinks import route_links
from sociable.publish.states import (
    InvalidTransition,
    StaleTransition,
    record_published,
    transition,
    transition_batch,
    transition_many,
)
from sociable.store.db import Database, dialect_insert
from sociable.store.models import Account
from sociable.store.models.publish import (
    AccountThrottle,
    Post,
    Publication,
    PublishPolicy,
    PubState,
    Variant,
    WorkerHeartbeat,
)
from sociable.store.secrets import EncryptedJSON

log = logging.getLogger(__name__)

S = PubState
CLAIMABLE = (S.SCHEDULED.value, S.FAILED_RETRYABLE.value)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


ACCOUNT_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class AccountView:
    """What a job needs of an account, read once per batch (credentials decrypted)."""

    id: int
    network: str
    handle: str
    settings: dict[str, Any]
    status: str
    token_expires_at: datetime | None
    credentials: dict[str, Any]


@dataclass
class Job:
    """One claimed publication with everything needed to send it, loaded once."""

    publication: Publication
    token: str
    network: str = ""
    account_id: int | None = None
    account_label: str = ""
    connector: Connector | None = None
    caps: Capabilities = field(default_factory=Capabilities)
    request: PublishRequest | None = None
    problem: str | None = None  # a reason to fail before sending
    late_minutes: int = 60
    token_expires_at: datetime | None = None
    min_interval: float = 0.0


@dataclass
class Attempt:
    """What one request did: a result or the error, and when we learned it."""

    job: Job
    result: PublishResult | None
    error: BaseException | None
    at: datetime


@dataclass
class PassStats:
    """What one pass of the worker did."""

    recovered: int = 0
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    reconciled: int = 0

    def count(self, state: str) -> None:
        self.outcomes[state] = self.outcomes.get(state, 0) + 1

    @property
    def busy(self) -> bool:
        return bool(self.recovered or self.claimed or self.reconciled)


class Dispatcher:
    """One worker's view of the queue. Thread-safe: jobs run on a small thread pool."""

    def __init__(
        self,
        db: Database,
        settings: PublishSettings | None = None,
        *,
        worker_id: str | None = None,
        clock: Clock = system_clock,
        http: httpx.Client | None = None,
        linter: Linter = content_lint,
        connector_for: Callable[[str], type[Connector]] = connector_class,
        rng: random.Random | None = None,
        track: TrackSettings | None = None,
    ) -> None:
        """``track``: route each post's links through short links (see publish.shortlinks)."""
        self.db = db
        self.track = track
        self.settings = settings or PublishSettings()
        if self.settings.lease_seconds <= self.settings.http_timeout_seconds:
            raise ConfigError(
                "publish.lease_seconds must be longer than publish.http_timeout_seconds "
                "(a lease must outlive the request it covers)"
            )
        self.worker_id = worker_id or default_worker_id()
        self.clock = clock
        self.linter = linter
        self.connector_for = connector_for
        self.rng = rng or random.Random()
        self._own_http = http is None
        self._account_cache: dict[int, tuple[AccountView, str | None, float]] = {}
        timeout = self.settings.http_timeout_seconds
        self.http = http or net.client(
            net.NetPolicy(
                allow_private=self.settings.allow_private,
                allow_private_hint=private_hosts_hint("publish"),
                timeout=timeout,
                connect_timeout=min(5.0, timeout),
            ),
            limits=httpx.Limits(max_connections=max(10, self.settings.concurrency * 2)),
        )
        workers = self.settings.concurrency
        self._pool = ThreadPoolExecutor(workers, "dispatch") if workers > 1 else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._own_http:
            self.http.close()

    # -- transactions ----------------------------------------------------------------------

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)

    def _begin_write(self, session: Session) -> None:
        """SQLite: take the write lock now, so a claim is one writer's, start to end.

        ``Database.session`` begins every SQLite transaction with ``BEGIN IMMEDIATE``; this
        starts it (takes the lock) before the first read."""
        if self.db.dialect == "sqlite":
            session.connection()

    def _locking(self, stmt: Any, *of: Any) -> Any:
        if self.db.dialect == "postgresql":
            return stmt.with_for_update(skip_locked=True, of=of or None)
        return stmt

    # -- heartbeat and lease recovery ------------------------------------------------------

    def heartbeat(self, *, processed: int = 0, stopped: bool = False) -> None:
        now = self.clock()
        with self.db.session() as s:
            values: dict[str, Any] = {"last_poll": now}
            if stopped:
                values["stopped_at"] = now
            result = s.execute(
                update(WorkerHeartbeat)
                .where(WorkerHeartbeat.worker_id == self.worker_id)
                .values(processed=WorkerHeartbeat.processed + processed, **values)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                s.add(
                    WorkerHeartbeat(
                        worker_id=self.worker_id,
                        host=socket.gethostname(),
                        pid=os.getpid(),
                        started_at=now,
                        last_poll=now,
                        processed=processed,
                    )
                )

    def start(self) -> None:
        """Register (or re-register) this worker: a restarted one starts a fresh record."""
        now = self.clock()
        with self.db.session() as s:
            row = s.get(WorkerHeartbeat, self.worker_id)
            if row is None:
                s.add(
                    WorkerHeartbeat(
                        worker_id=self.worker_id,
                        host=socket.gethostname(),
                        pid=os.getpid(),
                        started_at=now,
                        last_poll=now,
                        processed=0,
                    )
                )
            else:
                row.host, row.pid, row.started_at, row.last_poll = (
                    socket.gethostname(),
                    os.getpid(),
                    now,
                    now,
                )
                row.stopped_at = None

    def recover_expired(self, limit: int = 500) -> int:
        """Leases that ran out: ``claimed`` back to the queue, ``sending`` to ``unknown``."""
        now = self.clock()
        with self.db.session() as s:
            self._begin_write(s)
            rows = s.execute(
                self._locking(
                    select(Publication.id, Publication.state, Publication.worker)
                    .where(
                        Publication.state.in_((S.CLAIMED.value, S.SENDING.value)),
                        Publication.lease_until < now,
                    )
                    .order_by(Publication.lease_until)
                    .limit(limit)
                )
            ).all()
            claimed = [
                (r.id, r.state, f"lease of {r.worker} ran out before sending; queued again")
                for r in rows
                if r.state == S.CLAIMED.value
            ]
            sending = [
                (
                    r.id,
                    r.state,
                    f"lease of {r.worker} ran out while sending (worker died or hung): "
                    "the network may or may not have the post",
                )
                for r in rows
                if r.state == S.SENDING.value
            ]
            transition_many(
                s,
                claimed,
                S.SCHEDULED,
                worker=self.worker_id,
                clock=self.clock,
                lease_until=None,
                claim_token=None,
            )
            transition_many(
                s,
                sending,
                S.UNKNOWN,
                worker=self.worker_id,
                clock=self.clock,
                lease_until=None,
                next_attempt_at=now,
            )
        if rows:
            log.warning("recovered %d expired leases", len(rows))
        return len(rows)

    # -- claim -----------------------------------------------------------------------------

    def claim(self, limit: int | None = None) -> list[tuple[int, str]]:
        """Claim up to ``limit`` due publications; returns ``(id, claim token)`` pairs."""
        limit = limit or self.settings.batch_size
        now = self.clock()
        token = uuid.uuid4().hex
        with self.db.session() as s:
            self._begin_write(s)
            stmt = (
                select(Publication.id, Publication.state, Publication.account_id)
                .outerjoin(AccountThrottle, AccountThrottle.account_id == Publication.account_id)
                .where(
                    Publication.state.in_(CLAIMABLE),
                    Publication.next_attempt_at <= now,
                    or_(AccountThrottle.until.is_(None), AccountThrottle.until <= now),
                )
                .order_by(Publication.next_attempt_at, Publication.id)
                .limit(limit)
            )
            rows = s.execute(self._locking(stmt, Publication)).all()
            if not rows:
                return []
            paced = self._paced_accounts(s, {r.account_id for r in rows if r.account_id})
            chosen, seen = [], set()
            for row in rows:
                if row.account_id in paced:
                    if row.account_id in seen:
                        continue  # one at a time for an account with a minimum interval
                    seen.add(row.account_id)
                chosen.append((row.id, row.state, None))
            transition_many(
                s,
                chosen,
                S.CLAIMED,
                worker=self.worker_id,
                clock=self.clock,
                claim_token=token,
                claimed_at=now,
                lease_until=now + self.lease,
            )
        return [(pub_id, token) for pub_id, _state, _error in chosen]

    def _paced_accounts(self, s: Session, account_ids: set[int]) -> set[int]:
        if not account_ids:
            return set()
        rows = s.execute(
            select(Account.id, Account.settings).where(Account.id.in_(account_ids))
        ).all()
        return {r.id for r in rows if _min_interval(r.settings) > 0}

    # -- load ------------------------------------------------------------------------------

    def load(self, claims: Iterable[tuple[int, str]]) -> list[Job]:
        """Everything the jobs need, read once; a problem becomes the job's failure reason."""
        tokens = dict(claims)
        if not tokens:
            return []
        jobs: list[Job] = []
        with self.db.session() as s:
            pubs = (
                s.scalars(
                    select(Publication)
                    .where(Publication.id.in_(tokens))
                    .options(joinedload(Publication.variant).joinedload(Variant.post))
                    .order_by(Publication.id)
                )
                .unique()
                .all()
            )
            workspaces = {p.workspace_id for p in pubs}
            policies: dict[int, int] = {
                row.workspace_id: row.late_minutes
                for row in s.execute(
                    select(PublishPolicy.workspace_id, PublishPolicy.late_minutes).where(
                        PublishPolicy.workspace_id.in_(workspaces)
                    )
                )
            }
            accounts = self._accounts(
                s,
                {
                    account_id
                    for p in pubs
                    if (account_id := p.variant.account_id or p.account_id) is not None
                },
            )
            for pub in pubs:
                job = Job(publication=pub, token=tokens[pub.id])
                job.late_minutes = int(policies.get(pub.workspace_id, self.settings.late_minutes))
                self._prepare(job, pub.variant, pub.variant.post, accounts)
                if self.track is not None and job.request is not None and job.problem is None:
                    job.request = route_links(
                        s,
                        job.request,
                        track=self.track,
                        workspace_id=pub.workspace_id,
                        network=job.network,
                        campaign=pub.variant.post.campaign,
                        post_id=pub.variant.post.id,
                    )
                jobs.append(job)
            s.expunge_all()
        return jobs

    def _accounts(self, s: Session, ids: set[int]) -> dict[int, tuple[AccountView, str | None]]:
        """The accounts of a batch: one query, cached a few seconds, decrypted one by one.

        A row whose credentials cannot be decrypted becomes that account's problem, not an
        error for the whole batch.
        """
        now = time.monotonic()
        out: dict[int, tuple[AccountView, str | None]] = {}
        missing = set()
        for account_id in ids:
            hit = self._account_cache.get(account_id)
            if hit is not None and now - hit[2] < ACCOUNT_CACHE_SECONDS:
                out[account_id] = (hit[0], hit[1])
            else:
                missing.add(account_id)
        if missing:
            rows = s.execute(
                select(
                    Account.id,
                    Account.network,
                    Account.handle,
                    Account.settings,
                    Account.status,
                    Account.token_expires_at,
                    type_coerce(Account.credentials, LargeBinary).label("sealed"),
                ).where(Account.id.in_(missing))
            ).all()
            codec = EncryptedJSON()
            for row in rows:
                problem = None
                credentials: dict[str, Any] = {}
                try:
                    opened = codec.process_result_value(row.sealed, self.db.engine.dialect)
                    credentials = dict(opened or {})
                except ConfigError as exc:
                    problem = f"credentials of account {row.network}:{row.handle}: {exc}"
                view = AccountView(
                    id=row.id,
                    network=row.network,
                    handle=row.handle,
                    settings=dict(row.settings or {}),
                    status=row.status,
                    token_expires_at=row.token_expires_at,
                    credentials=credentials,
                )
                self._account_cache[row.id] = (view, problem, now)
                out[row.id] = (view, problem)
        return out

    def _prepare(
        self,
        job: Job,
        variant: Variant,
        post: Post,
        accounts: dict[int, tuple[AccountView, str | None]],
    ) -> None:
        pub = job.publication
        account_id = variant.account_id or pub.account_id
        found = accounts.get(account_id) if account_id is not None else None
        if found is None:
            job.problem = "the account for this publication was deleted"
            return
        account, problem = found
        job.account_id = account.id
        job.network = account.network
        job.account_label = f"{account.network}:{account.handle}"
        job.token_expires_at = account.token_expires_at
        job.min_interval = _min_interval(account.settings)
        if problem:
            job.problem = problem
            return
        if account.status not in ("active", "ok"):
            job.problem = f"account {job.account_label} is {account.status}: reconnect it"
            return
        try:
            cls = self.connector_for(account.network)
        except UserError as exc:
            job.problem = str(exc)
            return
        job.caps = cls.capabilities
        job.connector = cls(dict(account.credentials), dict(account.settings), self.http)
        try:
            job.request = build_request(pub, variant, post)
        except PreflightError as exc:
            job.problem = str(exc)

    # -- run -------------------------------------------------------------------------------

    def dispatch(self, stats: PassStats | None = None) -> int:
        """Claim one batch and run it to the end; the number claimed."""
        stats = stats or PassStats()
        claims = self.claim()
        stats.claimed += len(claims)
        if not claims:
            return 0
        jobs = self.load(claims)
        if self._pool is None or len(jobs) == 1:
            results = [self.run_job(job) for job in jobs]
        else:
            results = list(self._pool.map(self.run_job, jobs))
        for state in results:
            stats.count(state)
        return len(claims)

    def drain(
        self,
        stats: PassStats,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        between: Callable[[], None] = lambda: None,
    ) -> int:
        """Claim and send until nothing is due, keeping every thread busy.

        Claims are topped up as sends finish (never more than two per thread waiting), so one
        slow request holds up one thread, not a whole batch, and a claimed publication waits
        only briefly for a thread, well inside its lease.
        """
        if self._pool is None:
            total = 0
            while not should_stop():
                n = self.dispatch(stats)
                total += n
                between()
                if n == 0:
                    break
            return total
        pool = self._pool
        limit = self.settings.concurrency
        in_flight: set[Future[Attempt]] = set()
        total, exhausted_at = 0, -1.0
        while True:
            recheck = exhausted_at < 0 or time.monotonic() - exhausted_at > 0.2
            # Top up by whole batches (half the threads free), not one by one: a claim costs
            # the same few round trips for 1 row or 32.
            if recheck and not should_stop() and len(in_flight) <= limit // 2:
                want = min(self.settings.batch_size, limit - len(in_flight))
                claims = self.claim(want)
                stats.claimed += len(claims)
                total += len(claims)
                exhausted_at = time.monotonic() if len(claims) < want else -1.0
                ready = []
                for job in self.load(claims):
                    finished = self._checked(job)
                    if finished is None:
                        ready.append(job)
                    else:
                        stats.count(finished)
                in_flight |= {pool.submit(self.attempt, job) for job in self.mark_sending(ready)}
            if not in_flight:
                break
            done, in_flight = wait(in_flight, timeout=0.2, return_when=FIRST_COMPLETED)
            if done and in_flight:
                # Gather what finishes right after, to record it in the same transaction.
                more, in_flight = wait(in_flight, timeout=0.01)
                done |= more
            if done:
                for state in self.record_many([future.result() for future in done]):
                    stats.count(state)
            between()
        return total

    def _checked(self, job: Job) -> str | None:
        """:meth:`_before_send` for the batched path: a stale claim is simply dropped."""
        if job.publication.claim_token != job.token:
            return "lost"
        try:
            return self._before_send(job)
        except (StaleTransition, InvalidTransition) as exc:
            log.info("publication %s: %s", job.publication.id, exc)
            return "lost"

    def run_job(self, job: Job) -> str:
        """Take one claimed publication to its next state; the state it ends in."""
        if job.publication.claim_token != job.token:
            log.info("publication %s: claimed by someone else since", job.publication.id)
            return "lost"
        try:
            return self._run_job(job)
        except (StaleTransition, InvalidTransition) as exc:
            log.info("publication %s: %s", job.publication.id, exc)
            return "lost"

    def _run_job(self, job: Job) -> str:
        finished = self._before_send(job)
        return finished if finished is not None else self.send(job)

    def _before_send(self, job: Job) -> str | None:
        """Every check before a request; the state it ended in, or None to send it."""
        pub = job.publication
        now = self.clock()
        try:
            if job.problem or job.connector is None or job.request is None:
                return self._finish(job, S.FAILED, error=job.problem or "cannot be sent")
            late = now - pub.due_at
            if late > timedelta(minutes=job.late_minutes):
                minutes = int(late.total_seconds() // 60)
                previous = f"; last error: {pub.reason}" if pub.reason else ""
                return self._finish(
                    job,
                    S.MISSED,
                    error=f"{minutes} min late, over the workspace's limit of "
                    f"{job.late_minutes} min{previous}",
                )
            try:
                preflight(job.network, job.caps, job.request, self.linter)
            except PreflightError as exc:
                return self._finish(job, S.FAILED, error=f"{job.network} would reject it: {exc}")
            try:
                self._ensure_fresh_token(job)
            except AuthExpired as exc:
                return self._finish(job, S.FAILED, error=f"{exc}: reconnect the account")
            except (RateLimited, Transient, OutcomeUnknown) as exc:
                return self._retry_or_fail(job, exc, S.CLAIMED)
            except Rejected as exc:
                return self._finish(job, S.FAILED, error=f"token refresh refused: {exc}")
        except StaleTransition:
            raise
        except Exception as exc:  # a bug must not leave the publication claimed forever
            log.exception("publication %s failed before sending", pub.id)
            return self._finish(job, S.FAILED, error=f"internal error before sending: {exc!r}")
        return None

    def send(self, job: Job, *, from_state: PubState = S.CLAIMED) -> str:
        """Commit ``sending``, make the request, commit the outcome."""
        pub = job.publication
        assert job.connector is not None and job.request is not None
        now = self.clock()
        with self.db.session() as s:
            transition(
                s,
                pub,
                S.SENDING,
                worker=self.worker_id,
                expect_token=job.token,
                clock=self.clock,
                lease_until=now + self.lease,
                sent_at=now,
                attempts=pub.attempts + 1,
            )
        return self.record(self.attempt(job))

    def attempt(self, job: Job) -> Attempt:
        """The request itself (no state change): once, or twice after a token refresh."""
        assert job.connector is not None and job.request is not None
        refreshed = False
        while True:
            try:
                result = job.connector.publish(job.request)
            except AuthExpired as exc:
                if job.caps.token_refresh and not refreshed:
                    refreshed = True
                    try:
                        self._refresh(job, force=True)
                        continue  # a 401 created nothing: safe to send again
                    except ConnectorError as refresh_error:
                        exc = AuthExpired(f"{exc}; refresh failed: {refresh_error}")
                return Attempt(job, None, exc, self.clock())
            except Exception as exc:
                return Attempt(job, None, exc, self.clock())
            return Attempt(job, result, None, self.clock())

    def record(self, attempt: Attempt) -> str:
        """Commit what one request did (see :meth:`record_many` for the batched path)."""
        job, exc = attempt.job, attempt.error
        if exc is None:
            assert attempt.result is not None
            return self._published(job, attempt.result, at=attempt.at)
        if isinstance(exc, AuthExpired):
            return self._finish(
                job, S.FAILED, error=f"{exc}: reconnect the account", from_state=S.SENDING
            )
        if isinstance(exc, RateLimited | Transient):
            return self._retry_or_fail(job, exc, S.SENDING)
        if isinstance(exc, Rejected):
            return self._finish(job, S.FAILED, error=str(exc), from_state=S.SENDING)
        if isinstance(exc, OutcomeUnknown):
            return self._unknown(job, str(exc))
        log.error(
            "publication %s: unexpected error while sending",
            job.publication.id,
            exc_info=exc,
        )
        return self._unknown(job, f"unexpected error while sending: {exc!r}")

    def mark_sending(self, jobs: list[Job]) -> list[Job]:
        """One transaction: every job of one claim to ``sending``; the ones still ours."""
        if not jobs:
            return []
        now = self.clock()
        with self.db.session() as s:
            moved = set(
                transition_batch(
                    s,
                    [j.publication.id for j in jobs],
                    S.CLAIMED,
                    S.SENDING,
                    token=jobs[0].token,
                    worker=self.worker_id,
                    clock=self.clock,
                    lease_until=now + self.lease,
                    sent_at=now,
                    attempts=Publication.attempts + 1,
                )
            )
        out = []
        for job in jobs:
            if job.publication.id in moved:
                set_committed_value(job.publication, "state", S.SENDING.value)
                set_committed_value(job.publication, "attempts", job.publication.attempts + 1)
                out.append(job)
        return out

    def record_many(self, attempts: list[Attempt]) -> list[str]:
        """Commit a group of outcomes: every success in one transaction, the rest one by one."""
        ok = [a for a in attempts if a.error is None and a.result is not None]
        states = [self.record(a) for a in attempts if a.error is not None or a.result is None]
        if not ok:
            return states
        by_id = {a.job.publication.id: a for a in ok}
        with self.db.session() as s:
            self._begin_write(s)
            # Lock the rows, keep those still ours; then nobody can move them until commit.
            rows = s.execute(
                self._locking(
                    select(Publication.id, Publication.state, Publication.claim_token).where(
                        Publication.id.in_(by_id)
                    ),
                    Publication,
                )
            ).all()
            recorded = {
                r.id
                for r in rows
                if r.state == S.SENDING.value and r.claim_token == by_id[r.id].job.token
            }
            if recorded:
                record_published(
                    s,
                    [
                        (pub_id, self._published_fields(by_id[pub_id].result, by_id[pub_id].at))  # type: ignore[arg-type]
                        for pub_id in sorted(recorded)
                    ],
                    worker=self.worker_id,
                )
                posts = {by_id[i].job.publication.variant.post_id for i in recorded}
                s.execute(
                    update(Post)
                    .where(Post.id.in_(posts))
                    .values(
                        last_published_at=self.clock(), evergreen_count=Post.evergreen_count + 1
                    )
                )
            for pub_id in recorded:
                job = by_id[pub_id].job
                if job.min_interval > 0 and job.account_id is not None:
                    self._throttle(
                        s,
                        job.account_id,
                        by_id[pub_id].at + timedelta(seconds=job.min_interval),
                        "pacing",
                    )
        for a in ok:
            if a.job.publication.id in recorded:
                set_committed_value(a.job.publication, "state", S.PUBLISHED.value)
                states.append(S.PUBLISHED.value)
            else:
                assert a.result is not None
                try:  # reaped to unknown meanwhile: the slow path knows how to say published
                    states.append(self._published(a.job, a.result, at=a.at))
                except (StaleTransition, InvalidTransition) as exc:
                    log.info("publication %s: %s", a.job.publication.id, exc)
                    states.append("lost")
        return states

    # -- outcomes --------------------------------------------------------------------------

    @staticmethod
    def _published_fields(result: PublishResult, at: datetime) -> dict[str, Any]:
        return {
            "remote_id": result.remote_id[:512],
            "url": result.url if is_http_url(result.url) else None,
            "published_at": at,
            "lease_until": None,
            "next_attempt_at": None,
        }

    def _published(self, job: Job, result: PublishResult, *, at: datetime | None = None) -> str:
        now = at or self.clock()
        pub = job.publication
        fields = self._published_fields(result, now)
        with self.db.session() as s:
            try:
                transition(
                    s,
                    pub,
                    S.PUBLISHED,
                    worker=self.worker_id,
                    expect_token=job.token,
                    clock=self.clock,
                    **fields,
                )
            except StaleTransition:
                # The lease ran out mid-request and the reaper said ``unknown``: we know better.
                self._reload(s, pub)
                if pub.state != S.UNKNOWN.value or pub.claim_token != job.token:
                    raise
                transition(
                    s,
                    pub,
                    S.PUBLISHED,
                    worker=self.worker_id,
                    expect_token=job.token,
                    clock=self.clock,
                    **fields,
                )
            s.execute(
                update(Post)
                .where(Post.id == pub.variant.post_id)
                .values(last_published_at=now, evergreen_count=Post.evergreen_count + 1)
            )
            if job.min_interval > 0 and job.account_id is not None:
                self._throttle(
                    s, job.account_id, now + timedelta(seconds=job.min_interval), "pacing"
                )
        return S.PUBLISHED.value

    def _reload(self, s: Session, pub: Publication) -> None:
        row = s.execute(
            select(Publication.state, Publication.claim_token).where(Publication.id == pub.id)
        ).one()
        from sqlalchemy.orm.attributes import set_committed_value

        set_committed_value(pub, "state", row.state)
        set_committed_value(pub, "claim_token", row.claim_token)

    def _unknown(self, job: Job, error: str) -> str:
        now = self.clock()
        return self._finish(
            job,
            S.UNKNOWN,
            error=error,
            from_state=S.SENDING,
            lease_until=None,
            next_attempt_at=now + timedelta(seconds=self.settings.backoff_base_seconds),
        )

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        base = self.settings.backoff_base_seconds * (2 ** max(0, attempts - 1))
        delay = min(self.settings.backoff_max_seconds, base)
        return delay / 2 + self.rng.uniform(0, delay / 2)

    def _retry_or_fail(self, job: Job, exc: ConnectorError, from_state: PubState) -> str:
        pub = job.publication
        now = self.clock()
        attempts = pub.attempts
        delay = self.backoff(max(1, attempts))
        if isinstance(exc, RateLimited):
            if exc.retry_after is not None:
                delay = max(float(exc.retry_after), 1.0)
            if job.account_id is not None:
                with self.db.session() as s:
                    self._throttle(
                        s, job.account_id, now + timedelta(seconds=delay), f"rate limited: {exc}"
                    )
        if attempts >= self.settings.max_attempts:
            return self._finish(
                job,
                S.FAILED,
                error=f"gave up after {attempts} attempts: {exc}",
                from_state=from_state,
            )
        return self._finish(
            job,
            S.FAILED_RETRYABLE,
            error=str(exc),
            from_state=from_state,
            lease_until=None,
            next_attempt_at=now + timedelta(seconds=delay),
        )

    def _finish(
        self,
        job: Job,
        to: PubState,
        *,
        error: str | None,
        from_state: PubState = S.CLAIMED,
        **fields: Any,
    ) -> str:
        pub = job.publication
        fields.setdefault("lease_until", None)
        if to in (S.FAILED, S.MISSED):
            fields.setdefault("next_attempt_at", None)
        with self.db.session() as s:
            try:
                transition(
                    s,
                    pub,
                    to,
                    worker=self.worker_id,
                    error=error,
                    expect_token=job.token,
                    clock=self.clock,
                    **fields,
                )
            except StaleTransition:
                if to != S.FAILED:
                    raise
                self._reload(s, pub)
                if pub.state != S.UNKNOWN.value or pub.claim_token != job.token:
                    raise
                # The reaper said unknown, but the network told us no: that is certain.
                transition(
                    s, pub, to, worker=self.worker_id, error=error, clock=self.clock, **fields
                )
        if to != S.PUBLISHED:
            log.info("publication %s -> %s: %s", pub.id, to.value, error)
        return to.value

    def _throttle(self, s: Session, account_id: int, until: datetime, reason: str) -> None:
        """No claims for ``account_id`` before ``until`` (extends, never shortens)."""
        stmt = dialect_insert(self.db.dialect, AccountThrottle)
        stmt = stmt.values(account_id=account_id, until=until, reason=reason[:500])
        stmt = stmt.on_conflict_do_update(
            index_elements=[AccountThrottle.account_id],
            set_={"until": stmt.excluded.until, "reason": stmt.excluded.reason},
            where=AccountThrottle.until < stmt.excluded.until,
        )
        s.execute(stmt)

    # -- tokens ----------------------------------------------------------------------------

    def _ensure_fresh_token(self, job: Job) -> None:
        if not job.caps.token_refresh or job.token_expires_at is None:
            return
        margin = timedelta(seconds=self.settings.refresh_margin_seconds)
        if job.token_expires_at - self.clock() > margin:
            return
        self._refresh(job, force=False)

    def _refresh(self, job: Job, *, force: bool) -> None:
        """Refresh under the account's row lock so two workers never race a rotating token."""
        assert job.connector is not None and job.account_id is not None
        margin = timedelta(seconds=self.settings.refresh_margin_seconds)
        with self.db.session() as s:
            self._begin_write(s)
            stmt = select(Account).where(Account.id == job.account_id)
            if self.db.dialect == "postgresql":
                stmt = stmt.with_for_update()
            account = s.scalars(stmt).one()
            fresh = account.token_expires_at is not None and (
                account.token_expires_at - self.clock() > margin
            )
            if fresh and (not force or account.token_expires_at != job.token_expires_at):
                job.connector.credentials = dict(account.credentials or {})
                job.token_expires_at = account.token_expires_at
                return  # another worker refreshed it meanwhile
            new = job.connector.refresh()
            if new is None:
                raise AuthExpired(f"the token of {job.account_label} expired and cannot refresh")
            account.credentials = new
            account.token_expires_at = _expiry(new, account.token_expires_at)
            self._account_cache.pop(account.id, None)
            job.connector.credentials = dict(new)
            job.token_expires_at = account.token_expires_at


def _min_interval(settings: dict[str, Any] | None) -> float:
    try:
        return float((settings or {}).get("min_interval_seconds") or 0)
    except (TypeError, ValueError):
        return 0.0


def _expiry(credentials: dict[str, Any], previous: datetime | None) -> datetime | None:
    """``expires_at`` from refreshed credentials: ISO 8601 or Unix seconds."""
    from datetime import UTC

    value = credentials.get("expires_at")
    if value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC)
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return previous
    return when if when.tzinfo else when.replace(tzinfo=UTC)
