"""``sociable report links|attribution``: traffic and sales per post, campaign and network."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import typer
from rich.table import Table

from sociable.cli.output import console, emit_json
from sociable.cli.state import get_state
from sociable.clock import system_clock
from sociable.errors import UserError
from sociable.track.attribution import parse_model
from sociable.track.links import parse_expiry
from sociable.track.report import By, Row, link_report
from sociable.workspaces import current_workspace

app = typer.Typer(help="Reports: clicks, visitors, conversions, revenue.", no_args_is_help=True)

COLUMNS = (
    "key",
    "clicks",
    "bot_clicks",
    "unique_visitors",
    "conversions",
    "revenue",
    "conversion_rate",
)


class Format(StrEnum):
    TEXT = "text"
    CSV = "csv"
    JSON = "json"


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    now = system_clock()
    if text.strip()[-1:] in ("d", "h", "m") and text.strip()[:-1].isdigit():
        # "30d" = the last 30 days (parse_expiry counts forward; mirror it back).
        return now - (parse_expiry(text, now=now) - now)
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{text!r}: give 30d, 12h or an ISO date", where="since") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _render(rows: list[Row], by: By, fmt: Format, title: str) -> None:
    data = [row.as_dict() for row in rows]
    if fmt is Format.JSON:
        emit_json({"by": by.value, "rows": data})
        return
    if fmt is Format.CSV:
        writer = csv.DictWriter(sys.stdout, fieldnames=[by.value, *COLUMNS[1:]])
        writer.writeheader()
        for item in data:
            item[by.value] = item.pop("key")
            writer.writerow(item)
        return
    table = Table(by.value, "clicks", "bots", "visitors", "conv.", "revenue", "rate", title=title)
    for item in data:
        rate = item["conversion_rate"]
        table.add_row(
            str(item["key"]),
            str(item["clicks"]),
            str(item["bot_clicks"]),
            str(item["unique_visitors"]),
            f"{item['conversions']:g}",
            f"{item['revenue']:.2f}",
            "" if rate is None else f"{rate:.2%}",
        )
    console.print(table)


def _run(
    ctx: typer.Context,
    by: By,
    campaign: str | None,
    network: str | None,
    since: str | None,
    model: str | None,
    window: int | None,
    fmt: Format,
) -> None:
    state = get_state(ctx)
    track = state.settings.track
    chosen = parse_model(model or track.attribution_model)
    days = window if window is not None else track.attribution_window_days
    if not 0 < days <= 365:
        raise UserError("must be 1-365 days", where="window")
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        rows = link_report(
            session,
            workspace_id=workspace.id,
            by=by,
            campaign=campaign,
            network=network,
            since=_since(since),
            model=chosen,
            window=timedelta(days=days),
        )
    _render(rows, by, fmt, f"{chosen.value}, {days}-day window")


@app.command("links")
def links(
    ctx: typer.Context,
    by: By = typer.Option(By.LINK, "--by", help="link, post, campaign or network."),
    campaign: str | None = typer.Option(None),
    network: str | None = typer.Option(None),
    since: str | None = typer.Option(None, help="30d, 12h or an ISO date."),
    model: str | None = typer.Option(None, help="last_click, first_click or linear."),
    window: int | None = typer.Option(None, help="Attribution window in days."),
    fmt: Format = typer.Option(Format.TEXT, "--format", help="text, csv or json."),
) -> None:
    """Per short link (or --by post/campaign/network): clicks, visitors, sales."""
    _run(ctx, by, campaign, network, since, model, window, fmt)


@app.command("attribution")
def attribution(
    ctx: typer.Context,
    by: By = typer.Option(By.CAMPAIGN, "--by", help="link, post, campaign or network."),
    campaign: str | None = typer.Option(None),
    network: str | None = typer.Option(None),
    since: str | None = typer.Option(None, help="30d, 12h or an ISO date."),
    model: str | None = typer.Option(None, help="last_click, first_click or linear."),
    window: int | None = typer.Option(None, help="Attribution window in days."),
    fmt: Format = typer.Option(Format.TEXT, "--format", help="text, csv or json."),
) -> None:
    """Conversions and revenue credited per campaign (or --by post/network/link)."""
    _run(ctx, by, campaign, network, since, model, window, fmt)
