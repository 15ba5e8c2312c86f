"""Findings and page reports: what the audit says about one page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# SMO rule groups (Bhargava's rules); the code's first digit picks the category.
CATEGORIES: dict[str, str] = {
    "1": "linkability",
    "2": "tagging",
    "3": "cards",
    "4": "inbound",
    "5": "travel",
    "6": "mashup",
    "7": "crawlers",
}
CATEGORY_TITLES: dict[str, str] = {
    "linkability": "Increase linkability",
    "tagging": "Make tagging and bookmarking easy",
    "cards": "Card completeness",
    "inbound": "Reward inbound links",
    "travel": "Help content travel",
    "mashup": "Encourage the mashup",
    "crawlers": "Social crawlers",
}


@dataclass(slots=True)
class Finding:
    code: str
    title: str
    severity: str  # error, warning, info
    category: str
    page: str
    message: str
    evidence: str
    fix: str

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "title": self.title,
            "severity": self.severity,
            "category": self.category,
            "message": self.message,
            "evidence": self.evidence,
            "fix": self.fix,
        }


@dataclass(slots=True)
class PageReport:
    url: str
    score: int
    categories: dict[str, int]
    resolved: dict[str, str | None]
    cards: dict[str, dict[str, Any]]
    findings: list[Finding] = field(default_factory=list)
    # Rule codes that needed a fact nobody supplied (e.g. image size for a static file).
    not_checked: list[str] = field(default_factory=list)
    # A per-page error (fetch failed, not HTML); the page is still reported.
    error: str | None = None
    tags: dict[str, list[str]] = field(default_factory=dict)
    # The same page scores the same from its HTML alone wherever it is audited (folder,
    # preview, live): ``html_score`` counts only the checks that read nothing but the HTML
    # and its URL; ``score_from_fetch`` names the counted checks that also read facts only
    # a fetch (or the folder's files) gives (status, robots.txt, image sizes, feeds...).
    html_score: int = 100
    score_from_fetch: list[str] = field(default_factory=list)

    def score_note(self) -> str | None:
        """Why this page's score may differ from its score elsewhere, or None if it cannot."""
        if not self.score_from_fetch or self.score == self.html_score:
            return None
        return (
            f"from the HTML alone {self.html_score}/100, the same in a folder audit, preview "
            f"and a live audit; the rest comes from facts only this run had, read by "
            f"{', '.join(self.score_from_fetch)}"
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "url": self.url,
            "score": self.score,
            "categories": self.categories,
            "resolved": self.resolved,
            "cards": self.cards,
            "findings": [f.as_dict() for f in self.findings],
            "not_checked": self.not_checked,
            "html_score": self.html_score,
            "score_from_fetch": self.score_from_fetch,
        }
        if self.error:
            out["error"] = self.error
        return out
