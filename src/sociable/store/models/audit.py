"""Audit history: each ``sociable audit`` run, its pages' scores and its findings.

Findings are stored flat (one row per finding) so ``--compare`` can diff two runs in SQL
without loading either into memory; the (run, page, code) index makes that diff an index join.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sociable.store.base import Base, UTCDateTime, utcnow


class AuditRun(Base):
    """One audit of one target (a site URL, a folder or a file)."""

    __tablename__ = "audit_run"
    __table_args__ = (Index("ix_audit_run_target_started", "target", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The normalised URL or the absolute path; runs of the same target are compared.
    target: Mapped[str] = mapped_column(String(2048))
    kind: Mapped[str] = mapped_column(String(16))  # url, folder, file
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    site_score: Mapped[int | None] = mapped_column(Integer)
    categories: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    error_pages: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    # The options the run used (select/ignore, max pages ...), for the record.
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)

    @property
    def shown_target(self) -> str:
        """What to call the target on a page: a folder audited as a site shows the site's
        URL, not the server's file path."""
        base = (self.options or {}).get("base_url")
        return str(base) if self.kind != "url" and base else self.target

    # Runs started from the web belong to a workspace and report progress while they run;
    # CLI runs have no workspace and are saved as "done" when they finish.
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="done", server_default="done")
    pages_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pages_queued: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(String(2000))


class AuditPage(Base):
    """One page's score in one run."""

    __tablename__ = "audit_page"
    __table_args__ = (Index("ix_audit_page_run_url", "run_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("audit_run.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2048))
    score: Mapped[int] = mapped_column(Integer)
    categories: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(String(2000))
    # What each network's card shows and the resolved title/description/image (web report).
    cards: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    resolved: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AuditFinding(Base):
    """One finding on one page in one run."""

    __tablename__ = "audit_finding"
    __table_args__ = (Index("ix_audit_finding_run_page_code", "run_id", "page_url", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("audit_run.id", ondelete="CASCADE"))
    page_url: Mapped[str] = mapped_column(String(2048))
    code: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
