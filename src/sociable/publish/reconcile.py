"""Resolve ``unknown`` publications by asking the network, never by a blind retry.

- A network that de-duplicates a retried request (Mastodon's Idempotency-Key) or lets us
  choose the post's id (Bluesky's record key) is simply sent again with the same key.
- Otherwise :meth:`Connector.reconcile` reads the account's recent posts and matches our
  content fingerprint: found -> ``published``; surely absent -> back to ``scheduled``.
- A connector that cannot tell (a plain webhook) leaves it ``unknown`` with the reason, for a
  person to decide; it is not checked again automatically.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select, update

from sociable.publish.connectors.base import ConnectorError
from sociable.publish.dispatcher import Dispatcher, Job
from sociable.publish.states import StaleTransition, transition
from sociable.store.models.publish import Publication, PubState

log = logging.getLogger(__name__)
S = PubState


def hold_unknowns(d: Dispatcher, limit: int) -> list[tuple[int, str]]:
    """Take up to ``limit`` unknowns whose check is due, so no other worker checks them now."""
    now = d.clock()
    with d.db.session() as s:
        d._begin_write(s)
        rows = s.execute(
            d._locking(
                select(Publication.id, Publication.claim_token)
                .where(Publication.state == S.UNKNOWN.value, Publication.next_attempt_at <= now)
                .order_by(Publication.next_attempt_at)
                .limit(limit)
            )
        ).all()
        if rows:
            s.execute(
                update(Publication)
                .where(Publication.id.in_([r.id for r in rows]))
                .values(next_attempt_at=now + d.lease, checks=Publication.checks + 1)
                .execution_options(synchronize_session=False)
            )
    return [(r.id, r.claim_token or "") for r in rows]


def _note(d: Dispatcher, job: Job, message: str, *, again_in: float | None) -> None:
    """Keep the publication unknown, say why, and when (or whether) to check again."""
    now = d.clock()
    pub = job.publication
    reason = f"{pub.reason or 'outcome unknown'} | {message}"[-2000:]
    with d.db.session() as s:
        s.execute(
            update(Publication)
            .where(Publication.id == pub.id, Publication.state == S.UNKNOWN.value)
            .values(
                reason=reason,
                next_attempt_at=None if again_in is None else now + timedelta(seconds=again_in),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )


def reconcile_job(d: Dispatcher, job: Job) -> str:
    """One unknown publication to its resolution (or a later check); the state it is in."""
    pub = job.publication
    if job.problem or job.connector is None or job.request is None:
        _note(d, job, f"cannot check: {job.problem}", again_in=None)
        return S.UNKNOWN.value
    if pub.checks > d.settings.max_attempts:
        _note(d, job, f"gave up after {pub.checks - 1} checks", again_in=None)
        return S.UNKNOWN.value
    if job.caps.idempotency_key or job.caps.client_record_key:
        # The network itself makes the retry safe: same key, at most one post.
        return d.send(job, from_state=S.UNKNOWN)
    try:
        found = job.connector.reconcile(job.request)
    except NotImplementedError as exc:
        _note(d, job, str(exc) or f"{job.network} cannot be checked", again_in=None)
        return S.UNKNOWN.value
    except ConnectorError as exc:
        if pub.checks >= d.settings.max_attempts:
            _note(d, job, f"gave up checking after {pub.checks} tries: {exc}", again_in=None)
        else:
            _note(d, job, f"check failed: {exc}", again_in=d.backoff(pub.checks))
        return S.UNKNOWN.value
    except Exception as exc:
        log.exception("publication %s: reconcile failed", pub.id)
        _note(d, job, f"check failed unexpectedly: {exc!r}", again_in=None)
        return S.UNKNOWN.value
    if found is not None:
        return d._published(job, found)
    with d.db.session() as s:
        transition(
            s,
            pub,
            S.SCHEDULED,
            worker=d.worker_id,
            error="reconciled: the network does not have it; queued again with the same key",
            expect_token=job.token,
            clock=d.clock,
            next_attempt_at=d.clock(),
            lease_until=None,
        )
    return S.SCHEDULED.value


def reconcile_due(d: Dispatcher, limit: int = 50) -> int:
    """Check every unknown whose time has come; how many were checked."""
    held = hold_unknowns(d, limit)
    if not held:
        return 0
    for job in d.load(held):
        try:
            reconcile_job(d, job)
        except StaleTransition as exc:
            log.info("publication %s: %s", job.publication.id, exc)
    return len(held)
