"""Audit pages: start a site audit, watch it run, read its report and its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from sociable.audit.report.html_report import NETWORK_NAMES, card_html
from sociable.errors import UserError
from sociable.store.models import Role
from sociable.web.api.audits import (
    ACTIVE,
    MAX_ID,
    category_title,
    comparison,
    finding_rows,
    get_run,
    list_runs,
    page_rows,
    rule_counts,
)
from sociable.web.deps import Principal, principal, require, session_scope
from sociable.web.jobs import MAX_PAGES_LIMIT, audit_jobs
from sociable.web.pages.render import render

router = APIRouter()
PAGES_PER_VIEW = 10
RULE_SAMPLES = 10  # pages listed under each rule (the API pages through all of them)


def _grade(score: int | None) -> str:
    if score is None:
        return "none"
    return "good" if score >= 90 else "ok" if score >= 50 else "bad"


def _list(
    request: Request, who: Principal, session: Session, *, error: str | None = None,
    url: str = "", status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    runs = list_runs(session, who.workspace_id, limit=200)
    # The latest run of each target, and how its score moved since the one before it.
    targets: dict[str, list[int | None]] = {}
    for run in runs:
        if run.status == "done":
            targets.setdefault(run.shown_target, []).append(run.site_score)
    return render(
        request,
        "audits.html",
        who=who,
        session=session,
        runs=runs,
        targets=targets,
        grade=_grade,
        error=error,
        url=url,
        max_pages=min(request.app.state.settings.audit.max_pages, MAX_PAGES_LIMIT),
        max_limit=MAX_PAGES_LIMIT,
        can_write=who.at_least(Role.EDITOR),
        status_code=status_code,
    )


@router.get("/audits", response_class=HTMLResponse)
def audits_page(
    request: Request,
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    return _list(request, who, session)


@router.post("/audits", response_class=HTMLResponse)
def start_audit_page(
    request: Request,
    url: str = Form(..., max_length=2048),
    max_pages: int | None = Form(None, ge=1, le=MAX_PAGES_LIMIT),
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> Response:
    jobs = audit_jobs(request.app.state)
    try:
        pending = jobs.queue(session, who.workspace_id, url.strip(), max_pages)
    except UserError as exc:
        return _list(request, who, session, error=str(exc), url=url, status_code=400)
    return RedirectResponse(
        f"/audits/{pending.run_id}",
        status_code=303,
        background=BackgroundTask(jobs.launch, pending),
    )


@router.get("/audits/{run_id}", response_class=HTMLResponse)
def audit_report_page(
    request: Request,
    run_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    p: int = Query(1, ge=1, le=100_000),
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    run = get_run(session, who, run_id)
    pages = page_rows(session, run.id, limit=PAGES_PER_VIEW, offset=(p - 1) * PAGES_PER_VIEW)
    findings = {
        page.url: finding_rows(session, run.id, page_url=page.url, limit=200) for page in pages
    }
    rules = rule_counts(session, run.id)
    history = [r for r in list_runs(session, who.workspace_id, run.target, limit=20)]
    response = render(
        request,
        "audit_report.html",
        who=who,
        session=session,
        run=run,
        active=run.status in ACTIVE,
        rules=rules,
        by_rule={
            r.code: finding_rows(session, run.id, code=r.code, limit=RULE_SAMPLES) for r in rules
        },
        diff=comparison(request.app.state.db, run),
        pages=pages,
        findings=findings,
        page_no=p,
        page_count=max(1, -(-run.pages // PAGES_PER_VIEW)),
        history=history,
        grade=_grade,
        category_title=category_title,
        card_html=card_html,
        network_names=NETWORK_NAMES,
        can_write=who.at_least(Role.EDITOR),
    )
    # The cards show each page's own images, which may be plain http (a staging site).
    from sociable.web.app import CSP  # the app imports the pages

    response.headers["Content-Security-Policy"] = CSP.replace(
        "img-src 'self' data: https:", "img-src 'self' data: https: http:"
    )
    return response


@router.get("/audits/{run_id}/progress", response_class=HTMLResponse)
def audit_progress(
    request: Request,
    run_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    who: Principal = Depends(principal),
    session: Session = Depends(session_scope, scope="function"),
) -> HTMLResponse:
    """The progress box HTMX polls; once the run ends, HTMX reloads the page (the report)."""
    run = get_run(session, who, run_id)
    can_write = who.at_least(Role.EDITOR)
    response = render(
        request, "_audit_progress.html", who=who, session=session, run=run, can_write=can_write
    )
    if run.status not in ACTIVE and request.headers.get("hx-request"):
        response.headers["HX-Refresh"] = "true"
    return response


@router.post("/audits/{run_id}/rerun")
def rerun_page(
    request: Request,
    run_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    run = get_run(session, who, run_id)
    pages = run.options.get("max_pages")
    jobs = audit_jobs(request.app.state)
    try:
        pending = jobs.queue(
            session, who.workspace_id, run.target, pages if isinstance(pages, int) else None
        )
    except UserError as exc:
        request.session["flash"] = str(exc)
        return RedirectResponse(f"/audits/{run_id}", status_code=303)
    return RedirectResponse(
        f"/audits/{pending.run_id}",
        status_code=303,
        background=BackgroundTask(jobs.launch, pending),
    )


@router.post("/audits/{run_id}/cancel")
def cancel_page(
    request: Request,
    run_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    run = get_run(session, who, run_id)
    try:
        audit_jobs(request.app.state).cancel(session, run, who.email)
    except UserError as exc:
        request.session["flash"] = str(exc)
    else:
        request.session["flash"] = f"Cancelled audit #{run_id}; the pages done so far are kept."
    return RedirectResponse(f"/audits/{run_id}", status_code=303)


@router.post("/audits/{run_id}/delete")
def delete_page(
    request: Request,
    run_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    who: Principal = Depends(require(Role.EDITOR)),
    session: Session = Depends(session_scope, scope="function"),
) -> RedirectResponse:
    run = get_run(session, who, run_id)
    if run.status in ACTIVE:
        raise HTTPException(status.HTTP_409_CONFLICT, "the audit is still running")
    session.delete(run)
    request.session["flash"] = f"Deleted audit #{run_id}."
    return RedirectResponse("/audits", status_code=303)
