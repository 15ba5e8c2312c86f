"""SARIF 2.1.0: one result per finding, the page URL as the artifact location."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from sociable import __version__
from sociable.audit.findings import PageReport
from sociable.audit.score import SiteScore
from sociable.rules import all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "id": r.code,
            "name": r.title,
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.why},
            "help": {"text": r.fix},
            "helpUri": r.docs_anchor,
            "defaultConfiguration": {"level": LEVELS[r.severity.value]},
            "properties": {"category": r.category},
        }
        for r in all_rules("audit")
    ]


def write(reports: Iterable[PageReport], out: TextIO, site: SiteScore) -> None:
    rules = _rules()
    driver = {
        "name": "sociable",
        "version": __version__,
        "informationUri": "https://sociable.dev/",
        "rules": rules,
    }
    index = {r["id"]: i for i, r in enumerate(rules)}
    out.write('{"$schema": "' + SCHEMA + '", "version": "2.1.0", "runs": [{"tool": {"driver": ')
    out.write(json.dumps(driver, ensure_ascii=False))
    out.write('}, "results": [\n')
    first = True
    for report in reports:
        site.add(report)
        for f in report.findings:
            result = {
                "ruleId": f.code,
                "ruleIndex": index.get(f.code, -1),
                "level": LEVELS.get(f.severity, "note"),
                "message": {"text": f"{f.message} (evidence: {f.evidence}). Fix: {f.fix}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.page}}}],
                "properties": {"category": f.category, "evidence": f.evidence},
            }
            out.write(("" if first else ",\n") + json.dumps(result, ensure_ascii=False))
            first = False
    props = {"score": site.score, "categories": site.categories, "pages": site.pages}
    out.write('\n], "properties": ' + json.dumps(props) + "}]}\n")
