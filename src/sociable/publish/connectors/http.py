"""Shared HTTP plumbing for the network connectors.

One place decides what a transport failure means: a failure before the request left
(connect error, connect timeout, refused by the SSRF guard) created nothing and is
:class:`Transient`; a failure after it was sent (read timeout, dropped connection) may have
created the post, so for a write it is :class:`OutcomeUnknown`, never a blind retry.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import httpx

from sociable.net import FetchError
from sociable.publish.connectors.base import (
    AuthExpired,
    ConnectorError,
    MediaItem,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Transient,
    _retry_after,
    classify_response,
)

T = TypeVar("T")

MAX_MEDIA_BYTES = 512 * 1024 * 1024  # the largest any network takes (X video); each checks its own


def send(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    write: bool,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request; map transport failures to the typed errors.

    ``write`` says whether the request creates something on the network: only then is a
    failure after sending an unknown outcome.
    """
    try:
        return http.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise Transient(f"{method} {_short(url)}: could not connect ({exc})") from exc
    except FetchError as exc:
        raise Transient(f"{method} {_short(url)}: {exc}") from exc
    except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError) as exc:
        what = type(exc).__name__
        if write:
            raise OutcomeUnknown(f"{method} {_short(url)}: {what} after sending") from exc
        raise Transient(f"{method} {_short(url)}: {what}") from exc
    except httpx.HTTPError as exc:
        raise Transient(f"{method} {_short(url)}: {exc}") from exc


def _short(url: str) -> str:
    return url.split("?", 1)[0]


def json_of(response: httpx.Response, *, write: bool) -> Any:
    """The JSON body; a 2xx write with an unreadable body has an unknown outcome."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        message = f"HTTP {response.status_code}: unreadable JSON body {response.text[:120]!r}"
        if write and response.status_code < 300:
            raise OutcomeUnknown(message) from exc
        raise Transient(message) from exc


def check_status(response: httpx.Response, *, write: bool) -> None:
    """The shared mapping (429, 401, 4xx, 5xx) for networks without special cases."""
    classify_response(response, sent=write)


def rate_limited(response: httpx.Response, message: str) -> RateLimited:
    return RateLimited(message, _retry_after(response))


def raise_for_rest(
    response: httpx.Response,
    *,
    write: bool,
    network: str,
    detail: str,
    duplicate_status: int | None = None,
) -> None:
    """The mapping the REST networks share, with the network's own error text (``detail``):
    429 throttled (its reset header read), 401 token, the status a network answers a
    duplicate post with, any other 4xx refused; 5xx and the rest as :func:`check_status`."""
    status = response.status_code
    if status < 400:
        return
    if status == 429:
        raise rate_limited(response, f"{network} rate limit: {detail}")
    if status == 401:
        raise AuthExpired(f"{network} token rejected: {detail}")
    if status == duplicate_status and "duplicate" in detail.lower():
        raise Rejected(f"{network} refused a duplicate post: {detail}")
    if status < 500:
        raise Rejected(f"{network} refused it (HTTP {status}): {detail}")
    check_status(response, write=write)


def read_media(item: MediaItem, max_bytes: int) -> bytes:
    """The file's bytes, or Rejected naming it when it is missing or too large."""
    try:
        size = item.path.stat().st_size
    except OSError as exc:
        raise Rejected(f"media file {item.path}: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise Rejected(f"media file {item.path}: {size} bytes, over this network's {max_bytes}")
    return item.path.read_bytes()


def media_kind(item: MediaItem) -> str:
    if item.mime_type == "image/gif":
        return "gif"
    return item.mime_type.split("/", 1)[0]


def check_media(items: Iterable[MediaItem], max_media: int, kinds: frozenset[str]) -> None:
    """Reject before any request what the network cannot take (count and kind)."""
    items = list(items)
    if len(items) > max_media:
        raise Rejected(f"{len(items)} media files, this network takes at most {max_media}")
    for item in items:
        kind = media_kind(item)
        if kind not in kinds and not (kind == "gif" and "image" in kinds):
            raise Rejected(f"media file {item.path}: {item.mime_type} is not supported here")


def public_media_url(item: MediaItem, base: str | None, network: str) -> str:
    """Meta's APIs fetch media from a public URL: ``media_base_url`` + the file name."""
    if not base:
        raise Rejected(
            f"{network} fetches media from a public URL: set the account's media_base_url"
        )
    return base.rstrip("/") + "/" + item.path.name


_DURATION = re.compile(r"(\d+)\s*(second|minute|hour)", re.I)


def seconds_in(text: str) -> float | None:
    """'try again in 5 minutes' -> 300.0 (Reddit's RATELIMIT message)."""
    match = _DURATION.search(text)
    if not match:
        return None
    factor = {"second": 1, "minute": 60, "hour": 3600}[match.group(2).lower()]
    return float(int(match.group(1)) * factor)


def poll(
    fetch: Callable[[], str],
    *,
    done: set[str],
    failed: set[str],
    attempts: int,
    interval: float,
    sleep: Callable[[float], None],
    what: str,
) -> str:
    """Poll a status until it is in ``done`` (return it) or ``failed`` (Rejected)."""
    status = ""
    for attempt in range(attempts):
        status = fetch()
        if status in done:
            return status
        if status in failed:
            raise Rejected(f"{what} ended in {status}")
        if attempt + 1 < attempts:
            sleep(interval)
    raise Transient(f"{what} still {status or 'pending'} after {attempts} checks")


def keep_expiry(credentials: dict[str, Any], body: dict[str, Any]) -> None:
    """Store ``expires_at`` (Unix seconds) from an OAuth ``expires_in``: the dispatcher
    refreshes a token shortly before that time instead of failing on it."""
    expires_in = body.get("expires_in")
    if isinstance(expires_in, int | float) and expires_in > 0:
        credentials["expires_at"] = int(time.time() + expires_in)


def follow_up(extra: dict[str, Any], label: str, action: Callable[[], T]) -> T | None:
    """Run a step after the main post exists (thread part, first comment).

    The post is out, so the publication is published whatever happens here: a failure is
    recorded in ``extra["follow_up_errors"]`` for the person to see, never raised (raising
    would mark a live post failed, or invite a retry that duplicates it).
    """
    try:
        return action()
    except ConnectorError as exc:
        extra.setdefault("follow_up_errors", []).append(f"{label}: {exc}")
        return None
