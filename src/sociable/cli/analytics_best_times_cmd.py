"""``sociable analytics best-times``: a score for every weekday x hour, per network or segment."""

from __future__ import annotations

import csv
import sys
from datetime import date, time, timedelta
from enum import StrEnum

import typer
from rich.markup import escape

from sociable.analytics.best_times import BestTimes, Group, best_times
from sociable.cli.output import console, emit_json
from sociable.cli.state import get_state
from sociable.clock import zone
from sociable.errors import UserError
from sociable.publish.slots import WEEKDAYS, resolve_local
from sociable.workspaces import current_workspace


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"


class By(StrEnum):
    NETWORK = "network"
    SEGMENT = "segment"


CSV_COLUMNS = (
    "network",
    "segment",
    "fallback",
    "base",
    "weekday",
    "hour",
    "score",
    "low",
    "high",
    "posts",
    "shrunk_from",
)


def parse_day(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{flag}: not a date {value!r} (write YYYY-MM-DD)") from None


def best_times_command(
    ctx: typer.Context,
    by: By = typer.Option(By.NETWORK, "--by", help="Group by network or by segment."),
    output: Format = typer.Option(Format.TEXT, "--format"),
    start: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD, local)."),
    end: str | None = typer.Option(None, "--to", help="Last day, included (YYYY-MM-DD, local)."),
    timezone: str | None = typer.Option(None, "--timezone", help="IANA zone of the slots."),
    engine: str | None = typer.Option(None, "--engine", help="duckdb or spark."),
) -> None:
    """The best weekday x hour slots to post, from this workspace's own posts (or the
    published guidance, marked fallback, when there are too few)."""
    state = get_state(ctx)
    db = state.database()
    with db.read_session() as s:
        workspace = current_workspace(s, state.settings)
        workspace_id, tz_name = workspace.id, timezone or workspace.timezone or "UTC"
    tz = zone(tz_name)
    lo = resolve_local(parse_day(start, "--from"), time(0), tz) if start else None
    hi = resolve_local(parse_day(end, "--to") + timedelta(days=1), time(0), tz) if end else None
    result = best_times(
        db, workspace_id, by=by.value, start=lo, end=hi, timezone=tz_name, engine=engine
    )
    if output is Format.JSON:
        emit_json(result.to_json())
    elif output is Format.CSV:
        write_csv(result)
    else:
        for line in text_lines(result):
            console.print(escape(line), highlight=False, soft_wrap=True)


def write_csv(result: BestTimes) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for g in result.groups:
        for s in g.slots:
            out.writerow(
                [g.network, g.segment or "", g.fallback, g.base or "", WEEKDAYS[s.weekday], s.hour]
                + [_num(v) for v in (s.score, s.low, s.high)]
                + [s.posts, _num(s.shrunk_from)]
            )


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def text_lines(result: BestTimes) -> list[str]:
    """Per group: a heading, how it was scored, then a weekday x hour grid of lift (score
    over the group mean, x100) and the best slots with their intervals and posts."""
    lines = [f"best times ({result.timezone})" + "".join(f"; {n}" for n in result.notes)]
    for g in result.groups:
        lines += ["", *_group_lines(g)]
    return lines


def _group_lines(g: Group) -> list[str]:
    head = f"{g.key}: {g.posts} post(s)"
    if g.fallback:
        src = g.prior.get("title", "published guidance")
        head += f" - fallback (not this brand's evidence): {src}"
    else:
        head += f", outcome = engagements / {g.base}; {g.method}"
    lines = [head, *(f"  note: {n}" for n in g.notes)]
    unit = "1 = recommended" if g.fallback else "score / group mean x 100"
    lines.append(f"  grid: {unit}; '.' = no posts in the slot")
    lines.append("       " + "".join(f"{h:>4}" for h in range(24)))
    for d, day in enumerate(WEEKDAYS):
        cells = []
        for h in range(24):
            slot = g.slot(d, h)
            value = g.lift(slot) if g.fallback else 100 * g.lift(slot)
            mark = "" if slot.posts or g.fallback else "."
            cells.append(f"{value:>3.0f}{mark or ' '}")
        lines.append(f"  {day:<4} " + "".join(cells))
    lines.append("  best:")
    for s in g.best(5):
        when = f"{WEEKDAYS[s.weekday]} {s.hour:02d}:00"
        if g.fallback:
            lines.append(f"    {when} (fallback guidance; {s.posts} post(s) of your own)")
        else:
            assert s.low is not None and s.high is not None
            lines.append(
                f"    {when} score {s.score:.4g} [{s.low:.4g}, {s.high:.4g}], "
                f"{s.posts} post(s), own mean {_num(s.shrunk_from) or '-'}"
            )
    return lines
