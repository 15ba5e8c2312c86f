"""Saving audit runs and comparing a run with the previous one of the same target.

:class:`RunRecorder` writes page rows and findings in batches as reports stream past, so a
100k-page run is saved with flat memory. :func:`compare` diffs two runs in SQL: a finding is
identified by (page, code) and counted, so "3 images too small" going to "1" is two fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlalchemy.orm import Session, aliased

from sociable.audit.findings import PageReport
from sociable.store.base import utcnow
from sociable.store.db import Database
from sociable.store.models.audit import AuditFinding, AuditPage, AuditRun

BATCH_PAGES = 200
LIST_LIMIT = 50


class RunRecorder:
    """Streams one run's pages and findings into the database."""

    def __init__(
        self,
        db: Database,
        target: str,
        kind: str,
        options: dict[str, Any] | None = None,
        *,
        keep_cards: bool = False,
        run_id: int | None = None,
    ) -> None:
        """``keep_cards`` also stores each page's cards and resolved fields (the web report
        draws them; the CLI leaves it off to keep big runs small). ``run_id`` adopts a run
        row saved beforehand (the web creates it queued, in the request's transaction)."""
        self.db = db
        self.keep_cards = keep_cards
        if run_id is not None:
            self.run_id = run_id
        else:
            with db.session() as session:
                run = AuditRun(
                    target=target,
                    kind=kind,
                    options=options or {},
                    started_at=utcnow(),
                    status="running",
                )
                session.add(run)
                session.flush()
                self.run_id = run.id
        self._pages: list[dict[str, Any]] = []
        self._findings: list[dict[str, Any]] = []
        self.pages = 0
        self.error_pages = 0
        self.findings = 0

    def add(self, report: PageReport) -> None:
        self.pages += 1
        self.error_pages += bool(report.error)
        self._pages.append(
            {
                "run_id": self.run_id,
                "url": report.url[:2048],
                "score": report.score,
                "categories": report.categories,
                "error": report.error[:2000] if report.error else None,
                "cards": report.cards if self.keep_cards else None,
                "resolved": report.resolved if self.keep_cards else None,
            }
        )
        for f in report.findings:
            self.findings += 1
            self._findings.append(
                {
                    "run_id": self.run_id,
                    "page_url": report.url[:2048],
                    "code": f.code,
                    "severity": f.severity,
                    "category": f.category,
                    "message": f.message,
                    "evidence": f.evidence,
                }
            )
        if len(self._pages) >= BATCH_PAGES:
            self._flush()

    def _flush(self) -> None:
        if not self._pages and not self._findings:
            return
        with self.db.session() as session:
            if self._pages:
                session.execute(insert(AuditPage), self._pages)
            if self._findings:
                session.execute(insert(AuditFinding), self._findings)
        self._pages, self._findings = [], []

    def finish(self, site_score: int, categories: dict[str, int]) -> int:
        self._flush()
        with self.db.session() as session:
            run = session.get(AuditRun, self.run_id)
            assert run is not None
            run.finished_at = utcnow()
            run.status = "done"
            run.site_score = site_score
            run.categories = dict(categories)
            run.pages, run.error_pages, run.findings = (
                self.pages,
                self.error_pages,
                self.findings,
            )
        return self.run_id

    def fail(self, error: str) -> None:
        """Keep what was saved so far and mark the run failed with a one-line reason."""
        self._end("failed", error)

    def cancelled(self) -> None:
        """Keep what was saved so far; the run was marked cancelled by whoever stopped it."""
        self._end("cancelled", None)

    def _end(self, status: str, error: str | None) -> None:
        self._flush()
        with self.db.session() as session:
            run = session.get(AuditRun, self.run_id)
            assert run is not None
            run.finished_at = utcnow()
            run.status = status
            if error is not None:
                run.error = error[:2000]
            run.pages, run.error_pages, run.findings = (
                self.pages,
                self.error_pages,
                self.findings,
            )


def previous_run(
    db: Database, target: str, before_id: int, *, workspace_id: int | None = None
) -> int | None:
    """The id of the latest finished run of ``target`` before run ``before_id``
    (in ``workspace_id`` only, when given: the web keeps brands apart)."""
    query = (
        select(AuditRun.id)
        .where(
            AuditRun.target == target,
            AuditRun.id < before_id,
            AuditRun.finished_at.is_not(None),
            AuditRun.status == "done",
        )
        .order_by(AuditRun.id.desc())
        .limit(1)
    )
    if workspace_id is not None:
        query = query.where(AuditRun.workspace_id == workspace_id)
    with db.read_session() as session:
        return session.scalar(query)


@dataclass
class FindingChange:
    page: str
    code: str
    severity: str
    message: str
    count: int  # how many more (new) or fewer (fixed) of this code on this page

    def as_dict(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "count": self.count,
        }


@dataclass
class Comparison:
    run_id: int
    previous_id: int
    previous_at: datetime
    site_score: int | None
    previous_score: int | None
    categories: dict[str, tuple[int | None, int | None]]  # category -> (before, after)
    new_count: int = 0
    fixed_count: int = 0
    new: list[FindingChange] = field(default_factory=list)
    fixed: list[FindingChange] = field(default_factory=list)
    # (url, before, after) for pages whose score moved, worst drop first.
    pages_changed: list[tuple[str, int, int]] = field(default_factory=list)
    pages_added: int = 0
    pages_removed: int = 0

    @property
    def score_delta(self) -> int | None:
        if self.site_score is None or self.previous_score is None:
            return None
        return self.site_score - self.previous_score

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "previous_run": self.previous_id,
            "previous_at": self.previous_at.isoformat(),
            "site_score": {
                "before": self.previous_score,
                "after": self.site_score,
                "delta": self.score_delta,
            },
            "categories": {
                cat: {
                    "before": b,
                    "after": a,
                    "delta": None if a is None or b is None else a - b,
                }
                for cat, (b, a) in self.categories.items()
            },
            "new_findings": self.new_count,
            "fixed_findings": self.fixed_count,
            "new": [c.as_dict() for c in self.new],
            "fixed": [c.as_dict() for c in self.fixed],
            "pages_changed": [
                {"url": u, "before": b, "after": a, "delta": a - b}
                for u, b, a in self.pages_changed
            ],
            "pages_added": self.pages_added,
            "pages_removed": self.pages_removed,
        }


def _changes(
    session: Session, run_id: int, other_id: int, limit: int
) -> tuple[int, list[FindingChange]]:
    """(page, code) groups with more findings in ``run_id`` than in ``other_id``."""
    mine = (
        select(
            AuditFinding.page_url.label("page"),
            AuditFinding.code.label("code"),
            func.count().label("n"),
            func.min(AuditFinding.severity).label("severity"),
            func.min(AuditFinding.message).label("message"),
        )
        .where(AuditFinding.run_id == run_id)
        .group_by(AuditFinding.page_url, AuditFinding.code)
        .subquery()
    )
    theirs = (
        select(
            AuditFinding.page_url.label("page"),
            AuditFinding.code.label("code"),
            func.count().label("n"),
        )
        .where(AuditFinding.run_id == other_id)
        .group_by(AuditFinding.page_url, AuditFinding.code)
        .subquery()
    )
    extra = mine.c.n - func.coalesce(theirs.c.n, 0)
    joined = mine.outerjoin(
        theirs, and_(theirs.c.page == mine.c.page, theirs.c.code == mine.c.code)
    )
    total = session.scalar(
        select(func.coalesce(func.sum(extra), 0)).select_from(joined).where(extra > 0)
    )
    rows = session.execute(
        select(mine.c.page, mine.c.code, mine.c.severity, mine.c.message, extra)
        .select_from(joined)
        .where(extra > 0)
        .order_by(mine.c.severity, mine.c.code, mine.c.page)
        .limit(limit)
    ).all()
    return int(total or 0), [FindingChange(p, c, s, m, int(n)) for p, c, s, m, n in rows]


def compare(db: Database, run_id: int, previous_id: int, limit: int = LIST_LIMIT) -> Comparison:
    """What got better or worse from run ``previous_id`` to run ``run_id``."""
    with db.read_session() as session:  # a GET draws it: never wait for a writer
        now = session.get(AuditRun, run_id)
        before = session.get(AuditRun, previous_id)
        if now is None or before is None:
            raise ValueError(f"no audit run {run_id if now is None else previous_id}")
        cats = sorted(set(now.categories) | set(before.categories))
        result = Comparison(
            run_id=run_id,
            previous_id=previous_id,
            previous_at=before.started_at,
            site_score=now.site_score,
            previous_score=before.site_score,
            categories={c: (before.categories.get(c), now.categories.get(c)) for c in cats},
        )
        result.new_count, result.new = _changes(session, run_id, previous_id, limit)
        result.fixed_count, result.fixed = _changes(session, previous_id, run_id, limit)
        old, new = aliased(AuditPage), aliased(AuditPage)
        delta = new.score - old.score
        rows = session.execute(
            select(new.url, old.score, new.score)
            .join(old, and_(old.url == new.url, old.run_id == previous_id))
            .where(new.run_id == run_id, delta != 0)
            .order_by(delta, new.url)
            .limit(limit)
        ).all()
        result.pages_changed = [(u, int(b), int(a)) for u, b, a in rows]
        matched = session.scalar(
            select(func.count())
            .select_from(new)
            .join(old, and_(old.url == new.url, old.run_id == previous_id))
            .where(new.run_id == run_id)
        )
        result.pages_added = now.pages - int(matched or 0)
        result.pages_removed = before.pages - int(matched or 0)
    return result
