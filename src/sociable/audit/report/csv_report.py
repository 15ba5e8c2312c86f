"""CSV: one row per finding (a page without findings gets one row with no code)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from sociable.audit.findings import PageReport
from sociable.audit.score import SiteScore

HEADER = ["url", "score", "code", "severity", "category", "title", "message", "evidence", "fix"]


def _safe(value: str) -> str:
    # Spreadsheet formula injection: a cell starting with = + - @ is run as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def write(reports: Iterable[PageReport], out: TextIO, site: SiteScore) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    for report in reports:
        site.add(report)
        if not report.findings:
            w.writerow([report.url, report.score, "", "", "", "", report.error or "", "", ""])
        for f in report.findings:
            w.writerow(
                [report.url, report.score, f.code, f.severity, f.category]
                + [_safe(v) for v in (f.title, f.message, f.evidence, f.fix)]
            )
