"""JUnit XML: one test case per page; it fails when the page has error or warning findings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO
from xml.sax.saxutils import escape, quoteattr

from sociable.audit.findings import PageReport
from sociable.audit.report.spool import drain, spool
from sociable.audit.score import SiteScore


def write(reports: Iterable[PageReport], out: TextIO, site: SiteScore) -> None:
    buffer = spool()
    failures = errors = 0
    for report in reports:
        site.add(report)
        name = quoteattr(report.url)
        buffer.write(f"  <testcase classname={quoteattr('sociable.audit')} name={name}>\n")
        serious = [f for f in report.findings if f.severity in ("error", "warning")]
        if report.error:
            errors += 1
            buffer.write(f"    <error message={quoteattr(report.error)}/>\n")
        elif serious:
            failures += 1
            summary = f"{len(serious)} finding(s), score {report.score}"
            body = "\n".join(f"{f.code} {f.severity}: {f.message} | fix: {f.fix}" for f in serious)
            buffer.write(f"    <failure message={quoteattr(summary)}>{escape(body)}</failure>\n")
        buffer.write("  </testcase>\n")
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')
    out.write(
        f'<testsuite name="sociable audit" tests="{site.pages}" failures="{failures}" '
        f'errors="{errors}">\n'
    )
    out.write(f'  <properties><property name="score" value="{site.score}"/></properties>\n')
    drain(buffer, out)
    out.write("</testsuite>\n</testsuites>\n")
