"""``sociable link``: short links with UTM tags, their list, disabling and QR codes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from sociable.cli.output import OutputFormat, console, emit_json
from sociable.cli.state import get_state
from sociable.clock import system_clock
from sociable.errors import UserError
from sociable.track import links as links_mod
from sociable.track.changes import WATCH_EVERY
from sociable.track.qr import write_qr
from sociable.workspaces import current_workspace

app = typer.Typer(help="Short links: create, list, disable, QR codes.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="The destination (http or https)."),
    campaign: str | None = typer.Option(None, help="utm_campaign."),
    post: int | None = typer.Option(None, "--post", help="Post id (utm_content=post-ID)."),
    network: str | None = typer.Option(None, help="Network: utm_source."),
    slug: str | None = typer.Option(None, help="A custom code instead of a random one."),
    paid: bool = typer.Option(False, "--paid", help="utm_medium=paid_social."),
    utm_source: str | None = typer.Option(None, "--utm-source"),
    utm_medium: str | None = typer.Option(None, "--utm-medium"),
    utm_campaign: str | None = typer.Option(None, "--utm-campaign"),
    utm_content: str | None = typer.Option(None, "--utm-content"),
    utm_term: str | None = typer.Option(None, "--utm-term"),
    expires: str | None = typer.Option(None, help="30d, 12h, 90m or an ISO time."),
    fmt: OutputFormat = typer.Option(OutputFormat.TEXT, "--format", help="text or json."),
) -> None:
    """Create a short link to URL, tagged for the network, campaign and post."""
    state = get_state(ctx)
    track = state.settings.track
    utm = {
        k: v
        for k, v in {
            "utm_source": utm_source,
            "utm_medium": utm_medium,
            "utm_campaign": utm_campaign,
            "utm_content": utm_content,
            "utm_term": utm_term,
        }.items()
        if v is not None
    }
    now = system_clock()
    expires_at = links_mod.parse_expiry(expires, now=now) if expires else None
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        link = links_mod.create_link(
            session,
            url,
            workspace_id=workspace.id,
            campaign=campaign,
            post_id=post,
            network=network,
            slug=slug,
            utm=utm,
            expires_at=expires_at,
            medium="paid_social" if paid else track.medium,
        )
        result = links_mod.view(link, track.base_url)
    if fmt is OutputFormat.JSON:
        emit_json(result.as_dict())
    else:
        console.print(f"{result.short_url} -> {result.destination}", soft_wrap=True)


@app.command("list")
def list_links(
    ctx: typer.Context,
    campaign: str | None = typer.Option(None),
    network: str | None = typer.Option(None),
    fmt: OutputFormat = typer.Option(OutputFormat.TEXT, "--format", help="text or json."),
) -> None:
    """List the workspace's short links."""
    state = get_state(ctx)
    track = state.settings.track
    now = system_clock()
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        links = links_mod.list_links(
            session, workspace_id=workspace.id, campaign=campaign, network=network
        )
        clicks = links_mod.click_counts(session, [link.id for link in links])
        rows: list[dict[str, object]] = [
            {
                **links_mod.view(link, track.base_url).as_dict(),
                "campaign": link.campaign,
                "network": link.network,
                "post": link.post_id,
                "clicks": clicks.get(link.id, 0),
                "expires_at": link.expires_at.isoformat() if link.expires_at else None,
                "status": "live"
                if links_mod.is_live(link, now)
                else ("disabled" if link.disabled else "expired"),
            }
            for link in links
        ]
    if fmt is OutputFormat.JSON:
        emit_json(rows)
        return
    columns = ("code", "status", "network", "campaign", "post", "clicks", "destination")
    table = Table(*columns)
    for row in rows:
        table.add_row(*(str(row[k] if row[k] is not None else "") for k in columns))
    console.print(table)


@app.command("disable")
def disable(
    ctx: typer.Context,
    code: str,
    enable: bool = typer.Option(False, "--enable", help="Turn the link back on."),
) -> None:
    """Stop a short link from redirecting (404), or turn it back on with --enable."""
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        links_mod.set_disabled(session, code, workspace_id=workspace.id, disabled=not enable)
    console.print(
        f"{code} {'enabled' if enable else 'disabled'} (redirect servers notice within about "
        f"{WATCH_EVERY:g} s, or {state.settings.track.cache_ttl:g} s if they cannot reach the "
        "database)"
    )


@app.command("qr")
def qr(
    ctx: typer.Context,
    code: str,
    png: Path | None = typer.Option(None, "--png", help="Write a PNG here."),
    svg: Path | None = typer.Option(None, "--svg", help="Write an SVG here."),
    scale: int = typer.Option(8, help="Pixels per module."),
) -> None:
    """Write the short link's QR code as PNG and/or SVG."""
    if png is None and svg is None:
        raise UserError("give --png FILE and/or --svg FILE", where="qr")
    state = get_state(ctx)
    with state.database().session() as session:
        workspace = current_workspace(session, state.settings)
        link = links_mod.get_link(session, code, workspace_id=workspace.id)
        target = links_mod.short_url(state.settings.track.base_url, link.code)
    for path, kind in ((png, "png"), (svg, "svg")):
        if path is not None:
            write_qr(target, path, kind=kind, scale=scale)
            console.print(f"wrote {path}")
