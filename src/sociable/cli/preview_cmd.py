"""``sociable preview TARGET``: one page's link previews on every network, and its findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from sociable.cli.output import OutputFormat, console, emit_json
from sociable.cli.state import get_state
from sociable.config import private_hosts_hint
from sociable.errors import UserError

MAX_FILE_BYTES = 64 * 1024 * 1024


def _live(url: str, allow_private: bool, networks: tuple[str, ...]) -> dict[str, Any]:
    """Fetch one page like the live audit does (robots.txt per social bot, the og:image
    probed, feeds and oEmbed read) and return its preview."""
    from sociable.audit.crawl import CrawlOptions
    from sociable.audit.preview import from_report
    from sociable.audit.run import AuditOptions, iter_site

    options = AuditOptions(
        crawl=CrawlOptions(
            max_pages=1,
            use_sitemap=False,
            follow_links=False,
            allow_private=allow_private,
            allow_private_hint=private_hosts_hint("audit", "--allow-private"),
        ),
        networks=networks,
    )
    for report in iter_site(url, options):
        if any(f.code == "SMO707" for f in report.findings):  # not fetched at all
            raise UserError(report.error or "cannot fetch", where=url)
        return from_report(report)
    raise UserError("not fetched (robots.txt may disallow SociableBot)", where=url)


def preview(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="An HTML file or an http(s) URL."),
    url: str | None = typer.Option(
        None, "--url", help="The page's public URL (for a file: resolves relative links)."
    ),
    output_format: OutputFormat = typer.Option(OutputFormat.TEXT, "--format"),
    allow_private: bool = typer.Option(
        False, "--allow-private", help="Allow fetching private, loopback and link-local hosts."
    ),
) -> None:
    """Show how one page's link preview looks on each network, and what to fix."""
    from sociable.audit.preview import preview as build

    state = get_state(ctx)
    networks = tuple(state.settings.workspace.networks)
    if target.startswith(("http://", "https://")):
        allow = allow_private or state.settings.audit.allow_private
        data = _live(target, allow, networks)
    else:
        path = Path(target)
        if not path.is_file():
            raise UserError("no such file (give an HTML file or an http(s) URL)", where=target)
        with path.open("rb") as fh:
            html = fh.read(MAX_FILE_BYTES)
        data = build(html, url or path.resolve().as_uri(), networks=networks)
    if output_format is OutputFormat.JSON:
        emit_json(data)
        return
    _print_text(data)


def _print_text(data: dict[str, Any]) -> None:
    out = console.print
    out(f"[bold]{escape(data['url'])}[/]  score {data['score']}/100")
    if data.get("score_from_fetch"):
        codes = ", ".join(data["score_from_fetch"])
        out(
            f"  from the HTML alone: {data['html_score']}/100 (the same in a folder audit); "
            f"also counted, from the fetch: {codes}",
            markup=False,
        )
    if data.get("error"):
        out(f"[red]error:[/] {escape(data['error'])}")
    out("\n[bold]resolved[/]")
    for key, value in data["resolved"].items():
        out(f"  {key:<12} {value if value is not None else '-'}", markup=False)
    for name, card in data["cards"].items():
        shown = "" if card["shown"] else "  (no card)"
        out(f"\n[bold]{name}[/] · {card['card_type'] or '-'}{shown}")
        for key in ("title", "description", "image", "site_name"):
            if card.get(key):
                out(f"  {key:<12} {card[key]}", markup=False)
        for note in card["notes"]:
            out(f"  note: {note}", markup=False)
    if data["findings"]:
        out("\n[bold]findings[/]")
    for f in data["findings"]:
        out(f"  {f['code']} {f['severity']:<7} {f['message']}", markup=False)
        out(f"      fix: {f['fix']}", markup=False)
