"""``sociable track serve``: the redirect server (short links, clicks, conversions)."""

from __future__ import annotations

from pathlib import Path

import typer

from sociable.cli.output import console
from sociable.cli.state import get_state
from sociable.track.server import TrackApp
from sociable.workspaces import current_workspace

app = typer.Typer(help="The redirect server for short links.", no_args_is_help=True)


def build_app(
    ctx: typer.Context, log_dir: Path | None = None, *, flusher: str = "thread"
) -> TrackApp:
    """A TrackApp for the configured database and workspace (also used by ``serve``)."""
    state = get_state(ctx)
    settings = state.settings
    db = state.database()
    with db.session() as session:
        workspace_id = current_workspace(session, settings).id
    if log_dir is not None:
        return TrackApp(
            db,
            settings.track,
            workspace_id=workspace_id,
            log_dir=log_dir,
            flusher=flusher,
            currency=settings.money.currency,
        )
    return TrackApp.from_settings(db, settings, workspace_id=workspace_id, flusher=flusher)


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8001, help="TCP port."),
    log_dir: Path | None = typer.Option(
        None, "--log-dir", help="Write-ahead click log folder (default: track.log_dir)."
    ),
) -> None:
    """Serve GET /{code} redirects, POST /c postbacks, /p.gif and /s.js."""
    from sociable.track import http1

    track_app = build_app(ctx, log_dir, flusher="process")
    track_app.start()  # fail fast (log dir in use) before binding the port
    console.print(
        f"redirects on http://{host}:{port}/  (clicks logged in {track_app.log.directory})"
    )
    try:
        http1.run(track_app, host, port)
    finally:
        track_app.stop()
