"""``sociable serve``: the web app, the REST API, short links and the publisher, in one process."""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlsplit

import typer

from sociable.cli.output import console
from sociable.cli.state import get_state
from sociable.config import WebSettings
from sociable.store.secrets import load_key

log = logging.getLogger(__name__)


def proxy_options(web: WebSettings) -> dict[str, Any]:
    """uvicorn's proxy options: X-Forwarded-For/-Proto believed from ``trusted_proxies`` only.

    Explicit, so uvicorn's own default (loopback, or env FORWARDED_ALLOW_IPS) never decides.
    """
    return {"proxy_headers": bool(web.trusted_proxies), "forwarded_allow_ips": web.trusted_proxies}


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    worker: bool = typer.Option(
        True, "--worker/--no-worker", help="Run the publisher inside this process."
    ),
    secure_cookies: bool | None = typer.Option(
        None,
        "--secure-cookies/--no-secure-cookies",
        help="Mark the session cookie Secure always / never "
        "(default: when the request came over HTTPS, directly or through a trusted proxy).",
        show_default=False,
    ),
    demo_receiver: bool = typer.Option(
        False, help="Also serve the demo webhook receiver at /demo (used by `make run`)."
    ),
) -> None:
    """Run the web app (pages and /api/v1), the short-link redirects and the publisher."""
    import uvicorn

    from sociable.cli.track_cmd import build_app
    from sociable.publish.dispatcher import Dispatcher
    from sociable.publish.notify import run_notifier
    from sociable.publish.worker import run_worker
    from sociable.web.app import create_app
    from sociable.web.http_server import server_config
    from sociable.web.jobs import mark_interrupted
    from sociable.web.mount import PrefixDispatch

    state = get_state(ctx)
    settings = state.settings
    db = state.database()
    interrupted = mark_interrupted(db)
    if interrupted:
        console.print(f"{interrupted} audit(s) left running by a previous server marked failed")
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    web = create_app(
        db,
        load_key(secret, settings.key_path),
        settings=settings,
        secure_cookies=secure_cookies,
        demo_receiver=demo_receiver,
    )
    tracker = build_app(ctx, flusher="thread")
    tracker.start()
    prefix = urlsplit(settings.track.base_url).path or "/l"

    stop = threading.Event()
    thread: threading.Thread | None = None
    if worker:
        dispatcher = Dispatcher(db, settings.publish, worker_id=None, track=settings.track)
        thread = threading.Thread(
            target=run_worker, args=(dispatcher,), kwargs={"stop": stop}, name="publisher"
        )
        thread.start()
    notifier = threading.Thread(
        target=run_notifier,
        args=(db, stop),
        kwargs={"allow_private": settings.publish.allow_private},
        name="webhooks",
    )
    notifier.start()
    console.print(f"Sociable on http://{host}:{port}  (API docs: /api/v1/docs)")
    console.print(
        f"short links under {prefix}/ · publisher "
        + ("running in this process" if worker else "off: run `sociable worker`")
    )
    try:
        app = PrefixDispatch(web, tracker, prefix)
        uvicorn.Server(server_config(app, host, port, **proxy_options(settings.web))).run()
    finally:
        stop.set()
        notifier.join(timeout=30)
        if thread is not None:
            thread.join(timeout=30)
        tracker.stop()
