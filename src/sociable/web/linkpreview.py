"""The composer's link cards: fetch the linked page once (SSRF-guarded), build each card.

Pages are fetched through :mod:`sociable.net` (private addresses refused unless
``[audit] allow_private``), with a short timeout and a size cap, and the result (or the
error) is cached per URL for a few minutes, so typing does not refetch the page.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

import httpx

from sociable import net
from sociable.audit.cards import NETWORKS
from sociable.audit.context import FetchInfo
from sociable.config import Settings, private_hosts_hint
from sociable.content.utm import is_http_url

TTL_SECONDS = 300.0
MAX_ENTRIES = 256
MAX_BYTES = 2 * 1024 * 1024
TIMEOUT = 5.0
CARD_NETWORK = {"twitter": "x", "bsky": "bluesky", "fb": "facebook"}

_cache: OrderedDict[tuple[str, bool], tuple[float, dict[str, Any]]] = OrderedDict()
_lock = threading.Lock()


def policy(settings: Settings) -> net.NetPolicy:
    return net.NetPolicy(
        allow_private=settings.audit.allow_private,
        allow_private_hint=private_hosts_hint("audit"),
        timeout=TIMEOUT,
        connect_timeout=TIMEOUT,
        max_bytes=MAX_BYTES,
    )


def card_network(network: str) -> str | None:
    """The card builder for an account's network, or None where no link card is shown."""
    name = CARD_NETWORK.get(network.lower(), network.lower())
    return name if name in NETWORKS else None


def _fetch(url: str, pol: net.NetPolicy) -> dict[str, Any]:
    from sociable import preview

    try:
        with net.client(pol) as http, http.stream("GET", url) as response:
            if response.status_code >= 400:
                return {"error": f"the page answered HTTP {response.status_code}"}
            body = net.read_capped_sync(response, pol.max_bytes)
            final = str(response.url)
            headers = {k.lower(): v for k, v in response.headers.items()}
    except (net.FetchError, httpx.HTTPError, httpx.InvalidURL) as exc:
        return {"error": str(exc) or type(exc).__name__}
    # The headers carry the charset (Content-Type) and Link: canonical, as for the audit.
    result = preview(body, final, FetchInfo(url=url, final_url=final, headers=headers))
    return {"url": final, "cards": result.get("cards", {})}


def link_cards(url: str, settings: Settings) -> dict[str, Any]:
    """``{"url", "cards": {network: card}}`` or ``{"error": ...}`` for ``url``."""
    if not is_http_url(url):
        return {"error": "not an http(s) link"}
    pol = policy(settings)
    key = (url, pol.allow_private)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < TTL_SECONDS:
            _cache.move_to_end(key)
            return hit[1]
    result = _fetch(url, pol)
    with _lock:
        _cache[key] = (now, result)
        while len(_cache) > MAX_ENTRIES:
            _cache.popitem(last=False)
    return result


def clear_cache() -> None:
    with _lock:
        _cache.clear()
