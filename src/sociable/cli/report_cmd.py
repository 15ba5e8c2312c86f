"""``sociable report links|attribution``: traffic and sales per post, campaign and network.

Revenue is shown per currency; ``--currency EUR`` (with ``[[money.rates]]`` or ``--rates``)
adds a converted column and prints each rate it used.
"""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from sociable.cli.output import console, emit_json
from sociable.cli.state import get_state
from sociable.clock import system_clock
from sociable.errors import UserError
from sociable.money import Totals, currency_code, format_amount, format_money
from sociable.rates import load_rates
from sociable.track.attribution import parse_model
from sociable.track.links import parse_expiry
from sociable.track.report import By, LinkReport, link_report
from sociable.workspaces import current_workspace

app = typer.Typer(help="Reports: clicks, visitors, conversions, revenue.", no_args_is_help=True)

COLUMNS = (
    "key",
    "clicks",
    "bot_clicks",
    "unique_visitors",
    "conversions",
    "unverified_conversions",
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


def _csv(report: LinkReport, by: By) -> None:
    """One revenue column per currency (``revenue_EUR``): a spreadsheet never sums them."""
    currencies = list(report.total.revenue)
    names = [by.value, *COLUMNS[1:]]
    names += [f"revenue_{c}" for c in currencies]
    names += [f"unverified_revenue_{c}" for c in currencies]
    if report.convert_to:
        names += [f"converted_revenue_{report.convert_to}"]
        names += [f"not_converted_{c}" for c in currencies if c != report.convert_to]
    writer = csv.DictWriter(sys.stdout, fieldnames=names, extrasaction="ignore")
    writer.writeheader()
    for row in report.rows:
        item = row.as_dict(report.convert_to)
        item[by.value] = item.pop("key")
        for c in currencies:
            item[f"revenue_{c}"] = item["revenue"].get(c, "")
            item[f"unverified_revenue_{c}"] = item["unverified_revenue"].get(c, "")
            if report.convert_to:
                item[f"not_converted_{c}"] = item["not_converted"].get(c, "")
        if report.convert_to:
            item[f"converted_revenue_{report.convert_to}"] = item["converted_revenue"]["amount"]
        writer.writerow(item)


def _money_lines(totals: Totals) -> str:
    return "\n".join(format_money(totals[c], c) for c in totals) or "–"


def _render(report: LinkReport, by: By, fmt: Format, title: str) -> None:
    target = report.convert_to
    if fmt is Format.JSON:
        emit_json(
            {
                "by": by.value,
                "rows": [row.as_dict(target) for row in report.rows],
                "total": report.total.as_dict(target),
                "convert_to": target,
                "rates_used": report.rates_used,
                "replaced_pixel": report.replaced_pixel,
            }
        )
        return
    if fmt is Format.CSV:
        _csv(report, by)
        return
    heads = [by.value, "clicks", "bots", "visitors", "conv.", "unverified", "revenue"]
    if target:
        heads.append(f"in {target}")
    table = Table(*heads, "rate", title=title)
    for row in report.rows:
        rate = row.conversion_rate
        cells = [
            row.key,
            str(row.clicks),
            str(row.bot_clicks),
            str(row.visitors),
            f"{float(row.conversions):g}",
            f"{float(row.unverified):g}" if row.unverified else "",
            _money_lines(row.revenue),
        ]
        if target:
            converted = format_amount(row.converted or 0, target)
            if row.not_converted:  # never let a partial sum pass for the whole
                converted += "\n+ not converted:\n" + _money_lines(row.not_converted)
            cells.append(converted)
        table.add_row(*cells, "" if rate is None else f"{rate:.2%}")
    console.print(table)
    total = report.total
    console.print(f"Revenue per currency: {total.revenue}")
    if total.unverified:
        console.print(
            f"Unverified (pixel only, no signed postback): {float(total.unverified):g} "
            f"conversion(s), {total.unverified_revenue}"
        )
    if report.replaced_pixel:
        console.print(
            f"A signed postback replaced the pixel's figures for {report.replaced_pixel} order(s)."
        )
    if target:
        line = f"In {target}: {format_money(total.converted or 0, target)}"
        if total.not_converted:
            line += f" (not converted, no rate on or before the sale's day: {total.not_converted})"
        console.print(line)
        console.print("Rates used:" if report.rates_used else "Rates used: none")
        for used in report.rates_used:
            console.print(f"  {used}")


def _run(
    ctx: typer.Context,
    by: By,
    campaign: str | None,
    network: str | None,
    since: str | None,
    model: str | None,
    window: int | None,
    fmt: Format,
    currency: str | None = None,
    rates_file: Path | None = None,
) -> None:
    state = get_state(ctx)
    track = state.settings.track
    chosen = parse_model(model or track.attribution_model)
    days = window if window is not None else track.attribution_window_days
    if not 0 < days <= 365:
        raise UserError("must be 1-365 days", where="window")
    if rates_file is not None and currency is None:
        raise UserError("give --currency, the currency to convert to", where="rates")
    target = currency_code(currency, where="currency") if currency is not None else None
    rates = load_rates(state.settings.money.rates, rates_file) if target else None
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        report = link_report(
            session,
            workspace_id=workspace.id,
            by=by,
            campaign=campaign,
            network=network,
            since=_since(since),
            model=chosen,
            window=timedelta(days=days),
            convert_to=target,
            rates=rates,
        )
    _render(report, by, fmt, f"{chosen.value}, {days}-day window")


CURRENCY_HELP = (
    "Also sum revenue in this ISO 4217 currency, with the rates from [[money.rates]] "
    "and --rates (each sale at the rate dated on or before its day)."
)
RATES_HELP = "A CSV of exchange rates with the header date,from,to,rate (1 FROM = RATE TO)."


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
    currency: str | None = typer.Option(None, "--currency", help=CURRENCY_HELP),
    rates: Path | None = typer.Option(None, "--rates", help=RATES_HELP),
) -> None:
    """Per short link (or --by post/campaign/network): clicks, visitors, sales."""
    _run(ctx, by, campaign, network, since, model, window, fmt, currency, rates)


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
    currency: str | None = typer.Option(None, "--currency", help=CURRENCY_HELP),
    rates: Path | None = typer.Option(None, "--rates", help=RATES_HELP),
) -> None:
    """Conversions and revenue credited per campaign (or --by post/network/link)."""
    _run(ctx, by, campaign, network, since, model, window, fmt, currency, rates)
