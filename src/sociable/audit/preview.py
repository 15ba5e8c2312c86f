"""One page's previews as a plain dict: what ``sociable preview`` prints and
``sociable.preview(html, url)`` returns."""

from __future__ import annotations

from typing import Any

from sociable.audit.context import FetchInfo
from sociable.audit.engine import audit_page
from sociable.audit.findings import PageReport
from sociable.rules import RuleFilter


def preview(
    html: bytes | str,
    url: str,
    fetch: FetchInfo | None = None,
    *,
    rule_filter: RuleFilter | None = None,
    networks: tuple[str, ...] = (),
) -> dict[str, Any]:
    """``{"resolved", "tags", "cards", "findings"}`` for one page (plus score and errors)."""
    data = html.encode("utf-8") if isinstance(html, str) else html
    report = audit_page(data, url, fetch, rule_filter=rule_filter, networks=networks)
    return from_report(report)


def from_report(report: PageReport) -> dict[str, Any]:
    """The preview dict of an already audited page (e.g. one fetched by the crawler)."""
    out: dict[str, Any] = {
        "url": report.url,
        "resolved": report.resolved,
        "tags": report.tags,
        "cards": report.cards,
        "findings": [f.as_dict() for f in report.findings],
        "score": report.score,
        "categories": report.categories,
        "not_checked": report.not_checked,
        "html_score": report.html_score,
        "score_from_fetch": report.score_from_fetch,
    }
    if report.error:
        out["error"] = report.error
    return out
