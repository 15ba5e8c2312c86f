"""Plain text: one block per page with its findings, the site summary at the end."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from sociable.audit.findings import PageReport
from sociable.audit.score import SiteScore


def write(reports: Iterable[PageReport], out: TextIO, site: SiteScore) -> None:
    for report in reports:
        site.add(report)
        out.write(f"{report.url}  score {report.score}/100")
        if report.error:
            out.write(f"  [error: {report.error}]")
        out.write("\n")
        if note := report.score_note():
            out.write(f"  score: {note}\n")
        for f in report.findings:
            out.write(f"  {f.code} {f.severity:<7} {f.message}\n")
            out.write(f"      evidence: {f.evidence}\n")
            out.write(f"      fix: {f.fix}\n")
        if report.not_checked:
            out.write(f"  not checked: {', '.join(report.not_checked)}\n")
    out.write(f"\nsite score {site.score}/100 over {site.pages} page(s)\n")
    for cat, score in site.categories.items():
        out.write(f"  {cat:<12} {score:>3}\n")
