"""``sociable demo``: a workspace to try everything with (what ``make run`` starts)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from sociable.cli.init_cmd import init
from sociable.cli.output import console
from sociable.cli.state import get_state
from sociable.demo.setup import create_demo


def demo(
    ctx: typer.Context,
    directory: Path = typer.Argument(Path("demo"), help="Folder for the demo workspace."),
    port: int = typer.Option(8000, help="The port `sociable serve` will listen on."),
) -> None:
    """Create (or refresh) a demo workspace: owner login, webhook account, posts, links."""
    init(
        ctx,
        directory=directory,
        name="Demo Coffee Roasters",
        timezone="Europe/Paris",
        site_url="https://demo.example",
        networks="x,bluesky,mastodon,linkedin",
    )
    config = directory / "sociable.toml"
    text = config.read_text(encoding="utf-8")
    if "[publish]" not in text:
        # The demo's webhook receiver is on loopback: let the publisher reach it.
        config.write_text(
            text + "\n[publish]\n# The demo receiver runs on 127.0.0.1.\nallow_private = true\n",
            encoding="utf-8",
        )
    state = get_state(ctx)
    state._settings = None
    result = create_demo(state.database(), state.settings, now=datetime.now(UTC), port=port)
    console.print(f"demo workspace {result.workspace!r}: {result.created_posts} posts scheduled")
    for note in result.notes:
        console.print(note)
    if result.password:
        console.print(f"log in at http://127.0.0.1:{port} as {result.email} / {result.password}")
    else:
        console.print(f"log in as {result.email}; the password is in {directory / 'LOGIN.txt'}")
