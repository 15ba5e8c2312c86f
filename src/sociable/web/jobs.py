"""Site audits started from the browser: one thread per run, a few running at once.

The run row is saved in the request's transaction (status ``queued``), so every user sees it
at once; after the commit a thread is launched, which waits for a slot, crawls with
:func:`sociable.audit.run.iter_site`, saves pages through
:class:`~sociable.audit.history.RunRecorder` and writes its progress (pages done / queued) to
the row a few times a second, so a page refresh or another user's poll sees it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sociable.audit.crawl import CrawlOptions, normalise_url
from sociable.audit.files import audit_files
from sociable.audit.history import RunRecorder
from sociable.audit.run import AuditOptions, iter_site
from sociable.audit.score import SiteScore
from sociable.config import Settings, private_hosts_hint
from sociable.errors import UserError
from sociable.net import FetchError, NetPolicy, check_host
from sociable.store.base import utcnow
from sociable.store.db import Database
from sociable.store.models.audit import AuditRun

log = logging.getLogger(__name__)

MAX_RUNNING = 2
PROGRESS_EVERY = 0.5  # seconds between progress writes
MAX_PAGES_LIMIT = 5000
ACTIVE = ("queued", "running")


def check_start(url: str, allow_private: bool) -> str:
    """The normalised start URL; a private or unresolvable host is a UserError."""
    try:
        start = normalise_url(url)
    except ValueError as exc:
        raise UserError(f"not a URL to audit: {exc}", where="url") from None
    parts = urlsplit(start)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError("give an http(s) URL", where="url")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        policy = NetPolicy(
            allow_private=allow_private, allow_private_hint=private_hosts_hint("audit")
        )
        check_host(parts.hostname, port, policy)
    except FetchError as exc:
        raise UserError(str(exc), where="url") from None
    except (OSError, UnicodeError) as exc:
        raise UserError(f"cannot resolve {parts.hostname}: {exc}", where="url") from None
    return start


@dataclass(frozen=True)
class Pending:
    """A queued run, ready to launch once its row is committed."""

    run_id: int
    target: str
    options: AuditOptions


@dataclass
class _Progress:
    done: int = 0
    queued: int = 0
    written: float = 0.0


class AuditJobs:
    """Starts audits in background threads; at most ``max_running`` crawl at once."""

    def __init__(self, db: Database, settings: Settings, max_running: int = MAX_RUNNING) -> None:
        self.db = db
        self.settings = settings
        self._slots = threading.BoundedSemaphore(max_running)
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()

    def queue(
        self, session: Session, workspace_id: int, url: str, max_pages: int | None = None
    ) -> Pending:
        """Check ``url`` (SSRF guard) and add a queued run to ``session``; :meth:`launch`
        it once that transaction has committed (a background task, after the response)."""
        audit = self.settings.audit
        start = check_start(url, audit.allow_private)
        pages = min(max_pages or audit.max_pages, MAX_PAGES_LIMIT)
        run = AuditRun(
            target=start,
            kind="url",
            options={"max_pages": pages, "source": "web"},
            started_at=utcnow(),
            workspace_id=workspace_id,
            status="queued",
        )
        session.add(run)
        session.flush()
        crawl = CrawlOptions(
            max_pages=pages,
            concurrency=audit.concurrency,
            rate_limit=audit.rate_limit,
            allow_private=audit.allow_private,
            allow_private_hint=private_hosts_hint("audit"),
        )
        options = AuditOptions(crawl=crawl, networks=self.settings.workspace.networks)
        return Pending(run.id, start, options)

    def launch(self, pending: Pending) -> None:
        thread = threading.Thread(
            target=self._run, args=(pending,), name=f"audit-{pending.run_id}", daemon=True
        )
        with self._lock:
            self._threads[pending.run_id] = thread
        thread.start()

    def start(self, workspace_id: int, url: str, max_pages: int | None = None) -> int:
        """Queue and launch at once, in a transaction of its own (tests, scripts)."""
        with self.db.session() as session:
            pending = self.queue(session, workspace_id, url, max_pages)
        self.launch(pending)
        return pending.run_id

    def running(self) -> list[int]:
        with self._lock:
            return [rid for rid, t in self._threads.items() if t.is_alive()]

    def join(self, run_id: int, timeout: float | None = None) -> None:
        with self._lock:
            thread = self._threads.get(run_id)
        if thread is not None:
            thread.join(timeout)

    def cancel(self, session: Session, run: AuditRun, by: str) -> None:
        """Mark a queued or running run cancelled (in ``session``'s transaction). A queued run
        never starts; a running one stops within about a second, keeping the pages done."""
        if run.status not in ACTIVE:
            raise UserError(f"audit #{run.id} is {run.status}, not queued or running")
        if run.status == "queued":
            run.finished_at = utcnow()
        run.status = "cancelled"
        run.error = f"cancelled by {by}"[:2000]

    def _status(self, run_id: int) -> str | None:
        with self.db.session() as session:
            return session.scalar(select(AuditRun.status).where(AuditRun.id == run_id))

    def _write(self, run_id: int, **values: Any) -> None:
        with self.db.session() as session:
            session.execute(update(AuditRun).where(AuditRun.id == run_id).values(**values))

    def _run(self, pending: Pending) -> None:
        run_id, start, options = pending.run_id, pending.target, pending.options
        recorder = RunRecorder(self.db, start, "url", keep_cards=True, run_id=run_id)
        with self._slots:
            progress = _Progress()
            checked_at = 0.0
            try:
                with self.db.session() as session:  # unless it was cancelled while queued
                    started = session.execute(
                        update(AuditRun)
                        .where(AuditRun.id == run_id, AuditRun.status == "queued")
                        .values(status="running")
                    )
                if not started.rowcount:  # type: ignore[attr-defined]
                    return

                def on_progress(done: int, queued: int) -> None:
                    progress.done, progress.queued = done, queued

                def cancelled() -> bool:
                    """Read the run's status from the database at most every half second."""
                    nonlocal checked_at
                    now = time.monotonic()
                    if now - checked_at < PROGRESS_EVERY:
                        return False
                    checked_at = now
                    return self._status(run_id) != "running"

                site = SiteScore()
                for report in iter_site(
                    start, options, on_progress=on_progress, should_stop=cancelled
                ):
                    recorder.add(report)
                    site.add(report)
                    now = time.monotonic()
                    if now - progress.written >= PROGRESS_EVERY:
                        progress.written = now
                        self._write(
                            run_id,
                            pages_done=max(progress.done, recorder.pages),
                            pages_queued=max(progress.queued, recorder.pages),
                        )
                if self._status(run_id) == "cancelled":
                    recorder.cancelled()
                    self._write(run_id, pages_done=recorder.pages)
                    return
                recorder.finish(site.score, site.categories)
                self._write(run_id, pages_done=recorder.pages, pages_queued=recorder.pages)
            except Exception as exc:  # a run must end in a state the user can see
                log.warning("audit run %s failed: %s", run_id, exc)
                try:
                    recorder.fail(str(exc) or exc.__class__.__name__)
                except Exception:  # the database itself is gone; nothing more to do
                    log.exception("cannot record the failure of audit run %s", run_id)
            finally:
                with self._lock:
                    self._threads.pop(run_id, None)


_APP_LOCK = threading.Lock()


def audit_jobs(state: Any) -> AuditJobs:
    """The app's job runner (``app.state``), created on first use."""
    with _APP_LOCK:
        jobs = getattr(state, "audit_jobs", None)
        if jobs is None:
            jobs = AuditJobs(state.db, state.settings)
            state.audit_jobs = jobs
        return jobs


def audit_folder(
    db: Database,
    workspace_id: int,
    folder: Path,
    base_url: str,
    *,
    networks: Sequence[str] = (),
) -> int:
    """Audit a folder of HTML on the server into a workspace's history, synchronously.

    For seeding (the demo site shipped with the package); never reachable from a web form,
    which takes URLs only. The run id.
    """
    target = str(folder.resolve())
    with db.session() as session:
        run = AuditRun(
            target=target,
            kind="folder",
            options={"base_url": base_url, "source": "seed"},
            started_at=utcnow(),
            workspace_id=workspace_id,
            status="running",
        )
        session.add(run)
        session.flush()
        run_id = run.id
    recorder = RunRecorder(db, target, "folder", keep_cards=True, run_id=run_id)
    site = SiteScore()
    try:
        for report in audit_files(folder, base_url, networks=networks):
            recorder.add(report)
            site.add(report)
    except Exception as exc:
        recorder.fail(str(exc) or exc.__class__.__name__)
        raise
    recorder.finish(site.score, site.categories)
    with db.session() as session:
        session.execute(
            update(AuditRun)
            .where(AuditRun.id == run_id)
            .values(pages_done=recorder.pages, pages_queued=recorder.pages)
        )
    return run_id


def mark_interrupted(db: Database) -> int:
    """Fail the web runs a stopped server left queued or running; how many.

    Call it once when the (single) server process starts, before any audit is launched:
    their threads died with the old process, so nobody will finish them.
    """
    with db.session() as session:
        result = session.execute(
            update(AuditRun)
            .where(AuditRun.workspace_id.is_not(None), AuditRun.status.in_(("queued", "running")))
            .values(status="failed", error="interrupted: the server stopped", finished_at=utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)
