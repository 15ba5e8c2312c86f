"""``sociable rules``: every registered check."""

from __future__ import annotations

import typer
from rich.table import Table

from sociable.cli.output import OutputFormat, console, emit_json
from sociable.rules import all_rules


def rules(
    scope: str | None = typer.Option(None, help="Only 'audit' or 'post' rules."),
    output_format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
) -> None:
    """List every registered check with its code, title and severity."""
    found = all_rules(scope)
    if output_format is OutputFormat.JSON:
        emit_json([r.as_dict() for r in found])
        return
    if not found:
        console.print("no rules registered")
        return
    table = Table("code", "severity", "category", "title")
    for rule in found:
        table.add_row(rule.code, rule.severity.value, rule.category, rule.title)
    console.print(table)
