"""Audit one page: extract, build the cards, run every enabled check, score."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sociable.audit.cards import build_cards, resolved
from sociable.audit.context import FetchInfo
from sociable.audit.extract import extract
from sociable.audit.findings import Finding, PageReport
from sociable.audit.meta import PageMeta
from sociable.audit.rules import CHECKS, NOT_CHECKED, PageContext
from sociable.audit.score import category_scores, page_score
from sociable.clock import system_clock
from sociable.rules import RuleFilter

log = logging.getLogger(__name__)


def not_html_type(fetch: FetchInfo | None) -> str | None:
    """The Content-Type when a fetch says the page is not HTML (else None)."""
    if fetch is None:
        return None
    ctype = (fetch.header("content-type") or "").split(";")[0].strip().lower()
    if not ctype or "html" in ctype:
        return None
    return ctype


def _broken(fetch: FetchInfo | None) -> str | None:
    if fetch is None:
        return None
    if fetch.error:
        return fetch.error
    if fetch.status is not None and fetch.status >= 400:
        return f"HTTP {fetch.status}"
    return None


class _Watched:
    """A FetchInfo that remembers whether a check read it (so the report can say which
    counted checks rest on facts only a fetch gives)."""

    __slots__ = ("_fetch", "read")

    def __init__(self, fetch: FetchInfo) -> None:
        self._fetch, self.read = fetch, False

    def __getattr__(self, name: str) -> Any:
        self.read = True
        return getattr(self._fetch, name)


def audit_page(
    html: bytes,
    url: str,
    fetch: FetchInfo | None = None,
    *,
    rule_filter: RuleFilter | None = None,
    networks: Sequence[str] = (),
    now: datetime | None = None,
    meta: PageMeta | None = None,
) -> PageReport:
    """The report for one page. ``fetch`` carries what only a fetch can tell (may be None).

    A page that failed to fetch (or is not HTML) is still reported: only the social-crawler
    checks run on it, and ``error`` says why. Pass ``meta`` when the caller already
    extracted the page (the crawler does, to find links), so it is not parsed twice.
    """
    page_url = (fetch.final_url or fetch.url) if fetch else url
    if meta is None:
        meta = extract(html, page_url, fetch.headers if fetch else None)
    cards = build_cards(meta, fetch)
    ctx = PageContext(
        meta=meta,
        fetch=fetch,
        cards=cards,
        resolved=resolved(meta),
        networks=tuple(n.lower() for n in networks),
        now=now or system_clock(),
    )
    ctype = not_html_type(fetch)
    error = (
        _broken(fetch)
        or (f"not an HTML page (Content-Type: {ctype})" if ctype else None)
        or (None if meta.is_html else "not an HTML page")
    )
    findings: list[Finding] = []
    outcomes: list[tuple[str, str, bool]] = []
    html_outcomes: list[tuple[str, str, bool]] = []  # checks that read the HTML alone
    from_fetch: list[str] = []
    not_checked: list[str] = []
    watched = _Watched(fetch) if fetch is not None else None
    if watched is not None:
        ctx.fetch = cast(FetchInfo, watched)
    for chk in CHECKS:
        rule = chk.rule
        if rule_filter is not None and not rule_filter.enabled(rule.code):
            continue
        if error and rule.category != "crawlers":
            continue
        if watched is not None:
            watched.read = False
        try:
            result = chk.fn(ctx)
        except Exception:  # a bug in one check must not stop the audit of a site
            log.exception("check %s failed on %s", rule.code, url)
            not_checked.append(rule.code)
            continue
        if result is None:
            continue
        if result is NOT_CHECKED:
            not_checked.append(rule.code)
            continue
        assert isinstance(result, list)
        outcome = (rule.category, rule.severity.value, not result)
        outcomes.append(outcome)
        if watched is not None and watched.read:
            from_fetch.append(rule.code)
        else:
            html_outcomes.append(outcome)
        for message, evidence in result:
            findings.append(
                Finding(
                    code=rule.code,
                    title=rule.title,
                    severity=rule.severity.value,
                    category=rule.category,
                    page=url,
                    message=message,
                    evidence=evidence,
                    fix=rule.fix,
                )
            )
    categories = category_scores(outcomes)
    return PageReport(
        url=url,
        score=page_score(categories),
        html_score=page_score(category_scores(html_outcomes)),
        score_from_fetch=from_fetch,
        categories=categories,
        resolved=ctx.resolved,
        cards={name: card.as_dict() for name, card in cards.items()},
        findings=findings,
        not_checked=not_checked,
        error=error,
        tags=meta.tags,
    )
