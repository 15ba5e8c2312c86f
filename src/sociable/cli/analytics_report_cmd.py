"""``sociable analytics report KIND --by DIM[,DIM]``: engagement, cadence, growth, funnel, top."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from sociable.analytics.reports import DIMENSIONS, KINDS, Report, ReportError, cell, run_report
from sociable.analytics.reports import parse_date as _parse_date
from sociable.cli.output import console, emit_json
from sociable.cli.state import get_state
from sociable.workspaces import current_workspace

FORMATS = ("text", "json", "csv")


def report(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help=f"One of: {', '.join(KINDS)}."),
    by: str = typer.Option(
        "", "--by", help=f"Group by these dimensions, comma-separated: {', '.join(DIMENSIONS)}."
    ),
    start: str | None = typer.Option(
        None, "--from", help="First day (YYYY-MM-DD, workspace time zone); default 27 days ago."
    ),
    end: str | None = typer.Option(None, "--to", help="Last day, included; default today."),
    timezone: str | None = typer.Option(
        None, "--timezone", help="IANA zone for dates, weekday and hour (default: workspace's)."
    ),
    engine: str | None = typer.Option(
        None, "--engine", help="duckdb or spark (default: [analytics] engine)."
    ),
    base: str | None = typer.Option(
        None, "--base", help="Force one engagement-rate base: reach, impressions or followers."
    ),
    limit: int = typer.Option(5, "--limit", help="top: how many posts at each end."),
    measure: str | None = typer.Option(
        None, "--measure", help="top: rank by this measure instead of the engagement rate."
    ),
    output: str = typer.Option("text", "--format", "-f", help="text, json or csv."),
) -> None:
    """A report over the workspace's posts and metrics, its bases and caveats in its notes."""
    fmt = output.strip().lower()
    if fmt not in FORMATS:
        raise ReportError(
            f"unknown format {output!r}: choose {', '.join(FORMATS)}", where="--format"
        )
    state = get_state(ctx)
    settings = state.settings
    db = state.database()
    with db.read_session() as s:
        workspace_id = current_workspace(s, settings).id
    result = run_report(
        db,
        workspace_id,
        kind,
        by=by,
        start=_parse_date(start, "--from"),
        end=_parse_date(end, "--to"),
        timezone=timezone,
        engine=engine or settings.analytics.engine,
        base=base,
        limit=limit,
        measure=measure,
    )
    if fmt == "json":
        emit_json(result.to_json())
    elif fmt == "csv":
        sys.stdout.write(result.to_csv())
    else:
        render(result)


def render(result: Report) -> None:
    title = f"{result.kind} {result.start} to {result.end} ({result.timezone}, {result.engine})"
    columns = result.columns()
    table = Table(title=escape(title))
    for column in columns:
        table.add_column(escape(column), overflow="fold")
    for row in result.rows:
        table.add_row(*(escape(_text(row.get(c))) for c in columns))
    if result.rows:
        console.print(table)
    else:
        console.print(escape(f"{title}: no posts in this range"))
    for comparison in result.comparisons:
        console.print(escape(_comparison(comparison)), soft_wrap=True)
    for note in result.notes:
        console.print(escape(f"note: {note}"), soft_wrap=True)


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = cell(value)
    return text if text else "n/a" if value is None else text


def _comparison(c: dict[str, Any]) -> str:
    groups = ", ".join(
        "/".join(str(v) for k, v in g.items() if k != "posts") + f" ({g['posts']} posts)"
        for g in c["groups"]
    )
    p = "n/a" if c.get("p_value") is None else f"{c['p_value']:.3g}"
    return (
        f"{c.get('measure', '')} by {c.get('base', '')}: {c['test']} p={p}: "
        f"{c['verdict']} ({c['reason']}) across {groups}"
    )
