"""Site audits over the API: start one (a background job), read its report, delete it.

The queries here are shared with the audit pages (``sociable.web.pages.audits``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    status,
)
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sociable.audit.findings import CATEGORY_TITLES
from sociable.audit.history import Comparison, compare, previous_run
from sociable.errors import UserError
from sociable.rules import get_rule
from sociable.store.db import Database
from sociable.store.models import Role
from sociable.store.models.audit import AuditFinding, AuditPage, AuditRun
from sociable.web.api.schemas import HTTP_URL_PATTERN, Problem
from sociable.web.deps import Principal, principal, require, session_scope
from sociable.web.idempotency import IdempotencyKey, idempotency_key, idempotent
from sociable.web.jobs import ACTIVE, MAX_PAGES_LIMIT, audit_jobs

router = APIRouter(prefix="/audits", tags=["audits"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem},
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
}
MAX_ID = 2**31 - 1


class AuditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2048, pattern=HTTP_URL_PATTERN)
    max_pages: int | None = Field(None, ge=1, le=MAX_PAGES_LIMIT)


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    target: str
    status: str = Field(description="queued, running, done, failed or cancelled")
    started_at: datetime
    finished_at: datetime | None
    pages_done: int
    pages_queued: int
    site_score: int | None
    categories: dict[str, int]
    pages: int
    error_pages: int
    findings: int
    error: str | None


class RuleCount(BaseModel):
    code: str
    title: str
    severity: str
    category: str
    fix: str
    findings: int
    pages: int


class Change(BaseModel):
    previous_run: int
    site_score_delta: int | None
    new_findings: int
    fixed_findings: int
    categories: dict[str, dict[str, int | None]]


class AuditDetail(AuditOut):
    rules: list[RuleCount]
    change: Change | None = Field(description="Against the previous finished run of the target.")


class FindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    page_url: str
    code: str
    title: str
    severity: str
    category: str
    message: str
    evidence: str
    fix: str


class PageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    url: str
    score: int
    categories: dict[str, int]
    error: str | None
    resolved: dict[str, Any] | None
    cards: dict[str, Any] | None


# -- queries shared with the pages ---------------------------------------------------------


def get_run(session: Session, who: Principal, run_id: int) -> AuditRun:
    run = session.get(AuditRun, run_id)
    if run is None or run.workspace_id != who.workspace_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such audit")
    return run


def list_runs(
    session: Session, workspace_id: int, target: str | None = None, limit: int = 100
) -> list[AuditRun]:
    query = select(AuditRun).where(AuditRun.workspace_id == workspace_id)
    if target:
        query = query.where(AuditRun.target == target)
    return list(session.scalars(query.order_by(AuditRun.id.desc()).limit(limit)))


def _rule_text(code: str) -> tuple[str, str]:
    try:
        rule = get_rule(code)
    except (KeyError, ValueError, UserError):
        return code, ""
    return rule.title, rule.fix


def rule_counts(session: Session, run_id: int) -> list[RuleCount]:
    """Findings grouped by rule, with the rule's fix: errors first, then the commonest."""
    rows = session.execute(
        select(
            AuditFinding.code,
            func.min(AuditFinding.severity),
            func.min(AuditFinding.category),
            func.count(),
            func.count(func.distinct(AuditFinding.page_url)),
        )
        .where(AuditFinding.run_id == run_id)
        .group_by(AuditFinding.code)
    ).all()
    rank = {"error": 0, "warning": 1, "info": 2}
    out = []
    for code, severity, category, n, pages in rows:
        title, fix = _rule_text(code)
        out.append(RuleCount(
            code=code, title=title, severity=severity, category=category,
            fix=fix, findings=int(n), pages=int(pages),
        ))  # fmt: skip
    out.sort(key=lambda r: (rank.get(r.severity, 3), -r.findings, r.code))
    return out


def finding_rows(
    session: Session,
    run_id: int,
    *,
    code: str | None = None,
    page_url: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[FindingOut]:
    query = select(AuditFinding).where(AuditFinding.run_id == run_id)
    if code:
        query = query.where(AuditFinding.code == code)
    if page_url:
        query = query.where(AuditFinding.page_url == page_url)
    rows = session.scalars(
        query.order_by(AuditFinding.page_url, AuditFinding.id).limit(limit).offset(offset)
    )
    out = []
    for f in rows:
        title, fix = _rule_text(f.code)
        out.append(FindingOut(
            page_url=f.page_url, code=f.code, title=title, severity=f.severity,
            category=f.category, message=f.message, evidence=f.evidence, fix=fix,
        ))  # fmt: skip
    return out


def page_rows(
    session: Session, run_id: int, *, limit: int = 20, offset: int = 0
) -> list[AuditPage]:
    """Pages worst first (the ones to fix)."""
    return list(
        session.scalars(
            select(AuditPage)
            .where(AuditPage.run_id == run_id)
            .order_by(AuditPage.score, AuditPage.url)
            .limit(limit)
            .offset(offset)
        )
    )


def comparison(db: Database, run: AuditRun) -> Comparison | None:
    """What changed since the previous finished run of the same target in the workspace."""
    if run.status != "done":
        return None
    before = previous_run(db, run.target, run.id, workspace_id=run.workspace_id)
    return None if before is None else compare(db, run.id, before, limit=20)


def change_of(diff: Comparison | None) -> Change | None:
    if diff is None:
        return None
    data = diff.as_dict()
    return Change(
        previous_run=diff.previous_id,
        site_score_delta=diff.score_delta,
        new_findings=diff.new_count,
        fixed_findings=diff.fixed_count,
        categories=data["categories"],
    )


def category_title(name: str) -> str:
    return CATEGORY_TITLES.get(name, name)


# -- routes --------------------------------------------------------------------------------


@router.get("", response_model=list[AuditOut], responses=ERRORS)
def list_audits(
    target: str | None = Query(None, max_length=2048),
    limit: int = Query(100, ge=1, le=500),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> list[AuditRun]:
    return list_runs(session, who.workspace_id, target, limit)


@router.post(
    "", status_code=201, response_model=AuditOut, responses={**ERRORS, 422: {"model": Problem}}
)
def start_audit(
    body: AuditIn,
    request: Request,
    tasks: BackgroundTasks,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
    idem: IdempotencyKey | None = Depends(idempotency_key),
) -> JSONResponse:
    """Start a site audit in the background; poll GET /audits/{id} for its progress."""
    jobs = audit_jobs(request.app.state)

    def create() -> AuditOut:
        pending = jobs.queue(session, who.workspace_id, body.url, body.max_pages)
        tasks.add_task(jobs.launch, pending)  # after the commit, so the thread sees the row
        return AuditOut.model_validate(session.get(AuditRun, pending.run_id))

    return idempotent(request, session, who, idem, create)


@router.get("/{audit_id}", response_model=AuditDetail, responses=ERRORS)
def get_audit(
    audit_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> AuditDetail:
    run = get_run(session, who, audit_id)
    base = AuditOut.model_validate(run).model_dump()
    diff = comparison(request.app.state.db, run)
    return AuditDetail(**base, rules=rule_counts(session, run.id), change=change_of(diff))


@router.delete("/{audit_id}", status_code=204, response_class=Response,
               responses={**ERRORS, 409: {"model": Problem}})  # fmt: skip
def delete_audit(
    audit_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    run = get_run(session, who, audit_id)
    if run.status in ACTIVE:
        raise HTTPException(status.HTTP_409_CONFLICT, "the audit is still running")
    session.delete(run)
    return Response(status_code=204)


@router.post(
    "/{audit_id}/cancel", response_model=AuditOut, responses={**ERRORS, 409: {"model": Problem}}
)
def cancel_audit(
    audit_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> AuditRun:
    """Stop a queued or running audit (409 otherwise); the pages audited so far are kept."""
    run = get_run(session, who, audit_id)
    try:
        audit_jobs(request.app.state).cancel(session, run, who.email)
    except UserError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    session.flush()
    return run


@router.post(
    "/{audit_id}/rerun",
    status_code=201,
    response_model=AuditOut,
    responses={**ERRORS, 422: {"model": Problem}},
)
def rerun_audit(
    audit_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    tasks: BackgroundTasks,
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
    idem: IdempotencyKey | None = Depends(idempotency_key),
) -> JSONResponse:
    """Audit the same target again (the new run is compared with this one's)."""
    run = get_run(session, who, audit_id)
    target, pages = run.target, run.options.get("max_pages")
    jobs = audit_jobs(request.app.state)

    def create() -> AuditOut:
        limit = pages if isinstance(pages, int) else None
        pending = jobs.queue(session, who.workspace_id, target, limit)
        tasks.add_task(jobs.launch, pending)
        return AuditOut.model_validate(session.get(AuditRun, pending.run_id))

    return idempotent(request, session, who, idem, create)


@router.get("/{audit_id}/findings", response_model=list[FindingOut], responses=ERRORS)
def list_findings(
    audit_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    code: str | None = Query(None, max_length=16),
    page_url: str | None = Query(None, max_length=2048),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10_000_000),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> list[FindingOut]:
    run = get_run(session, who, audit_id)
    return finding_rows(session, run.id, code=code, page_url=page_url, limit=limit, offset=offset)


@router.get("/{audit_id}/pages", response_model=list[PageOut], responses=ERRORS)
def list_pages(
    audit_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    limit: int = Query(20, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10_000_000),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> list[AuditPage]:
    """Pages worst first, each with its cards per network and its resolved fields."""
    run = get_run(session, who, audit_id)
    return page_rows(session, run.id, limit=limit, offset=offset)
