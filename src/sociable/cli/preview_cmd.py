"""``sociable preview TARGET``: one page's link previews on every network, and its findings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sociable.cli.output import OutputFormat, console, emit_json
from sociable.cli.state import get_state
from sociable.errors import UserError

if TYPE_CHECKING:
    from sociable.audit.context import FetchInfo

MAX_FILE_BYTES = 64 * 1024 * 1024


def _fetch(url: str, allow_private: bool) -> tuple[bytes, FetchInfo]:
    from sociable.audit.context import FetchInfo
    from sociable.net import FetchError, NetPolicy, client, read_capped_sync

    policy = NetPolicy(allow_private=allow_private)
    try:
        with client(policy) as http, http.stream("GET", url) as response:
            body = read_capped_sync(response, policy.max_bytes)
            hops = [(r.status_code, str(r.url)) for r in response.history]
            info = FetchInfo(
                url=url,
                final_url=str(response.url),
                status=response.status_code,
                headers={k.lower(): v for k, v in response.headers.items()},
                redirects=hops,
                wire_bytes=response.num_bytes_downloaded,
                content_encoding=response.headers.get("content-encoding"),
                compression_offered=True,
            )
    except FetchError as exc:
        raise UserError(str(exc), where=url) from None
    except Exception as exc:  # httpx errors: DNS, TLS, timeouts
        raise UserError(f"cannot fetch: {exc}", where=url) from None
    return body, info


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
    fetch: FetchInfo | None = None
    if target.startswith(("http://", "https://")):
        allow = allow_private or state.settings.audit.allow_private
        html, fetch = _fetch(target, allow)
        page_url = url or target
    else:
        path = Path(target)
        if not path.is_file():
            raise UserError("no such file (give an HTML file or an http(s) URL)", where=target)
        with path.open("rb") as fh:
            html = fh.read(MAX_FILE_BYTES)
        page_url = url or path.resolve().as_uri()
    networks = tuple(state.settings.workspace.networks)
    data = build(html, page_url, fetch, networks=networks)
    if output_format is OutputFormat.JSON:
        emit_json(data)
        return
    _print_text(data)


def _print_text(data: dict[str, Any]) -> None:
    out = console.print
    out(f"[bold]{data['url']}[/]  score {data['score']}/100")
    if data.get("error"):
        out(f"[red]error:[/] {data['error']}")
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
