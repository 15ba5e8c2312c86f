"""JSON: ``{"site": {"score", "categories", ...}, "pages": [...]}``, pages streamed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from sociable.audit.findings import PageReport
from sociable.audit.report.spool import drain, spool
from sociable.audit.score import SiteScore


def write(reports: Iterable[PageReport], out: TextIO, site: SiteScore) -> None:
    buffer = spool()
    first = True
    for report in reports:
        site.add(report)
        buffer.write(("" if first else ",\n") + json.dumps(report.as_dict(), ensure_ascii=False))
        first = False
    out.write('{"site": ' + json.dumps(site.summary(), ensure_ascii=False) + ',\n"pages": [\n')
    drain(buffer, out)
    out.write("\n]}\n")
