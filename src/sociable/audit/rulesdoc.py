"""docs/audit-rules.md, generated from the rule registry (so docs never drift from code).

python -m sociable.audit.rulesdoc > docs/audit-rules.md
"""

from __future__ import annotations

from sociable.audit.findings import CATEGORY_TITLES
from sociable.rules import all_rules


def _md(text: str) -> str:
    # Rule texts quote HTML tags; in Markdown they would be rendered, not shown.
    return text.replace("<", "&lt;")


def render() -> str:
    rules = all_rules("audit")
    out = [
        "# SMO audit rules",
        "",
        "Generated from the rule registry by `python -m sociable.audit.rulesdoc`; do not edit.",
        "Select or ignore them like ruff: `--select SMO3 --ignore SMO319`.",
        "",
        "Checks that need a fetched fact (HTTP status, image size, robots.txt) are reported as",
        "*not checked* when the fact is unknown (a static file), never guessed.",
        "",
    ]
    for category, title in CATEGORY_TITLES.items():
        group = [r for r in rules if r.category == category]
        if not group:
            continue
        out += [f"## {title}", "", "| code | severity | title |", "|---|---|---|"]
        out += [
            f"| [{r.code}](#{r.code.lower()}) | {r.severity.value} | {r.title} |" for r in group
        ]
        out.append("")
        for r in group:
            out += [
                f'<a id="{r.code.lower()}"></a>',
                f"### {r.code}: {r.title}",
                "",
                f"*{r.severity.value}* · {title}",
                "",
                f"**Why it matters.** {_md(r.why)}",
                "",
                f"**How to fix.** {_md(r.fix)}",
                "",
            ]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
