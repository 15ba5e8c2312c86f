"""The thank-you page pixel in Chromium: a price the page computed in JavaScript arrives as
the exact amount in minor units (JS sums such as 19.99 * 3 are not 59.97 exactly)."""

from __future__ import annotations

import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from sociable.config import TrackSettings
from sociable.store.db import Database
from sociable.store.models import Workspace
from sociable.store.models.track import Conversion
from sociable.track.server import TrackApp
from tests.track.conftest import run_server

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_pixel_sends_amounts_the_currency_can_hold(browser, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        ws = Workspace(slug="shop", name="Shop", timezone="UTC")
        session.add(ws)
        session.flush()
        workspace_id = ws.id
    track = TrackApp(db, TrackSettings(flush_interval=60), workspace_id=workspace_id,
                     log_dir=tmp_path / "log", currency="EUR")  # fmt: skip
    server, thread, port = run_server(track)
    site = tmp_path / "site"
    site.mkdir()
    (site / "thanks.html").write_text(
        f'<!doctype html><title>Thanks</title><script src="http://127.0.0.1:{port}/s.js"></script>'
    )
    shop = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=site))
    shop_thread = threading.Thread(target=shop.serve_forever, daemon=True)
    shop_thread.start()
    try:
        browser.get(f"http://127.0.0.1:{shop.server_address[1]}/thanks.html")
        browser.execute_script(
            'sociable.conversion("ORDER-7", 0.1 + 0.2, "EUR");'
            'sociable.conversion("ORDER-8", 19.99 * 3);'  # no currency: the configured EUR
            'sociable.conversion("ORDER-9", 5000, "JPY");'
        )
        got: dict[str, tuple[int, str, str]] = {}
        deadline = time.monotonic() + 15
        while len(got) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
            track.flusher.flush_now()
            with db.session() as session:
                got = {
                    c.order_id: (c.amount_minor, c.currency, c.source)
                    for c in session.scalars(select(Conversion))
                }
    finally:
        shop.shutdown()
        server.should_exit = True
        thread.join(timeout=10)
    assert got == {
        "ORDER-7": (30, "EUR", "pixel"),
        "ORDER-8": (5997, "EUR", "pixel"),
        "ORDER-9": (5000, "JPY", "pixel"),
    }
