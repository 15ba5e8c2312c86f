"""Report writers: text, json, html, sarif, junit, csv.

Every writer consumes an iterator of PageReports once (streaming: memory stays flat), adds
each report to the SiteScore it is given, and writes to a text stream. Formats that put the
site summary first (json, html, junit) spool the page parts to a temporary file meanwhile.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TextIO

from sociable.audit.findings import PageReport
from sociable.audit.score import SiteScore
from sociable.errors import UserError

Writer = Callable[[Iterable[PageReport], TextIO, SiteScore], None]
FORMATS = ("text", "json", "html", "sarif", "junit", "csv")


MODULES = {
    "text": "text",
    "json": "json_report",
    "html": "html_report",
    "sarif": "sarif",
    "junit": "junit",
    "csv": "csv_report",
}


def writer(fmt: str) -> Writer:
    """The writer for ``fmt``, imported on demand."""
    if fmt not in MODULES:
        raise UserError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"sociable.audit.report.{MODULES[fmt]}")
    write: Writer = module.write
    return write


def write_report(
    fmt: str, reports: Iterable[PageReport], out: TextIO, site: SiteScore | None = None
) -> SiteScore:
    """Write ``reports`` as ``fmt`` to ``out``; return the site score they added up to."""
    site = site if site is not None else SiteScore()
    writer(fmt)(reports, out, site)
    return site
