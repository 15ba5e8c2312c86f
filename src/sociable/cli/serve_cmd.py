"""``sociable serve``: the web app and REST API."""

from __future__ import annotations

import typer

from sociable.cli.output import console
from sociable.cli.state import get_state
from sociable.store.secrets import load_key


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    secure_cookies: bool = typer.Option(
        False, help="Send session cookies only over HTTPS (set behind a TLS proxy)."
    ),
) -> None:
    """Run the web app (pages and /api/v1) on HOST:PORT."""
    import uvicorn

    from sociable.web.app import create_app

    state = get_state(ctx)
    settings = state.settings
    db = state.database()
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    app = create_app(db, load_key(secret, settings.key_path), secure_cookies=secure_cookies)
    console.print(f"Sociable on http://{host}:{port}  (API docs: /api/v1/docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
