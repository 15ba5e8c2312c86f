"""Meta's Graph API error shape, shared by Facebook Pages, Instagram and Threads.

Errors are ``{"error": {message, type, code, error_subcode, fbtrace_id}}`` with codes that
say more than the HTTP status (docs: developers.facebook.com/docs/graph-api/guides/error-handling):
190 token expired or invalid, 102 session, 4/17/32/613/80001-80014 throttled, 368 blocked for
policy, 506 duplicate post, 1/2 unknown or temporary.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import httpx

from sociable.publish.connectors.base import (
    AuthExpired,
    OutcomeUnknown,
    Reading,
    Rejected,
    RemotePost,
    Transient,
)
from sociable.publish.connectors.http import check_status, json_of, keep_expiry, rate_limited, send

THROTTLED = {4, 17, 32, 613, *range(80001, 80015)}
INVALID_PARAMETER = 100  # also what an unknown or deprecated insights metric name gets


class GraphRejected(Rejected):
    """Meta refused the call for good; ``code`` is its error code (100: a bad parameter)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


AUTH = {102, 190, 463, 467}


def usage_wait(response: httpx.Response) -> float | None:
    """Minutes until access is regained, from ``X-Business-Use-Case-Usage`` or Retry-After."""
    header = response.headers.get("x-business-use-case-usage")
    if header:
        try:
            usage = json.loads(header)
            waits = [
                float(entry.get("estimated_time_to_regain_access", 0)) * 60
                for entries in usage.values()
                for entry in entries
            ]
            if waits and max(waits) > 0:
                return max(waits)
        except (ValueError, AttributeError, TypeError):
            pass
    return None


def raise_for(response: httpx.Response, *, write: bool, network: str) -> None:
    if response.status_code < 400:
        return
    try:
        error: dict[str, Any] = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = int(error.get("code") or 0)
    message = str(error.get("error_user_msg") or error.get("message") or response.text[:200])
    what = f"{network}: {message} (code {code or response.status_code})"
    if code in AUTH or response.status_code == 401:
        raise AuthExpired(f"{what}: reconnect or refresh the token")
    if code in THROTTLED or response.status_code == 429:
        limited = rate_limited(response, f"{what}: throttled")
        if limited.retry_after is None:
            limited.retry_after = usage_wait(response)
        raise limited
    if code == 506:
        raise Rejected(f"{what}: duplicate post")
    if code == 2 or error.get("is_transient"):
        if write:
            raise OutcomeUnknown(what)
        raise Transient(what)
    if 400 <= response.status_code < 500:
        raise GraphRejected(what, code)
    check_status(response, write=write)


def insights(
    fetch: Callable[[list[str]], Any], names: list[str]
) -> tuple[dict[str, int], list[str]]:
    """Values of the insights metrics ``names`` and the names Meta refused.

    One unknown or deprecated name fails a whole insights call (error #100), so when the
    call is refused that way each name is asked alone: a renamed metric costs itself, never
    the rest. ``fetch(names)`` makes one ``.../insights?metric=a,b`` call.
    """
    if not names:
        return {}, []
    try:
        return insight_values(fetch(names)), []
    except GraphRejected as exc:
        if exc.code != INVALID_PARAMETER or len(names) == 1:
            raise
    values: dict[str, int] = {}
    refused: list[str] = []
    for name in names:
        try:
            values.update(insight_values(fetch([name])))
        except GraphRejected as exc:
            if exc.code != INVALID_PARAMETER:
                raise
            refused.append(name)
    return values, refused


def insight_readings(
    fetch: Callable[[str, list[str]], Any],
    remote_ids: list[str],
    names: list[str],
    api_version: str,
) -> list[Reading]:
    """One :class:`Reading` per object from its insights edge (``fetch(id, names)`` makes one
    ``/{id}/insights?metric=...`` call), a refused name costing only itself (:func:`insights`).

    An object that is gone answers #100 ("does not exist") for every name: it is left out,
    as is one for which every name was refused, rather than failing the others.
    """
    readings = []
    for remote_id in remote_ids:
        try:
            values, refused = insights(partial(fetch, remote_id), names)
        except GraphRejected as exc:
            if exc.code == INVALID_PARAMETER and len(names) == 1:
                continue
            raise
        if not values and refused:
            continue
        readings.append(
            Reading(
                values=values,
                api_version=api_version,
                remote_id=remote_id,
                refused=tuple(refused),
            )
        )
    return readings


def next_cursor(body: Any) -> str | None:
    """The ``after`` cursor of a Graph list call, None on the last page (no ``paging.next``)."""
    paging = body.get("paging") if isinstance(body, dict) else None
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    after = (paging.get("cursors") or {}).get("after")
    return str(after) if after else None


def insight_values(body: Any) -> dict[str, int]:
    """``{"data": [{"name", "values": [{"value"}]} | {"name", "total_value": {"value"}}]}``"""
    out: dict[str, int] = {}
    for row in body.get("data", []) if isinstance(body, dict) else []:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            continue
        total = row.get("total_value")
        values = row.get("values")
        value = None
        if isinstance(total, dict):
            value = total.get("value")
        elif isinstance(values, list) and values and isinstance(values[-1], dict):
            value = values[-1].get("value")
        if isinstance(value, int) and not isinstance(value, bool):
            out[row["name"]] = value
    return out


def graph_time(value: Any) -> datetime | None:
    """A Graph API timestamp (``2026-11-21T09:00:00+0000``), or None."""
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


def graph_posts(body: dict[str, Any], *, text: str, time: str, url: str) -> list[RemotePost]:
    """The ``data`` rows of a Graph list call as RemotePosts; the three networks name the
    text, time and link fields differently."""
    return [
        RemotePost(
            remote_id=str(row["id"]),
            text=str(row.get(text, "")),
            created_at=graph_time(row.get(time)),
            url=row.get(url),
        )
        for row in body.get("data", [])
    ]


def graph_request(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    token: str,
    network: str,
    write: bool,
    **kwargs: Any,
) -> Any:
    """One Graph call: the token as ``access_token``, Meta's errors mapped, the JSON body."""
    params = dict(kwargs.pop("params", {}))
    params["access_token"] = token
    response = send(http, method, url, write=write, params=params, **kwargs)
    raise_for(response, write=write, network=network)
    return json_of(response, write=write)


def exchange_token(
    http: httpx.Client, url: str, *, grant_type: str, credentials: dict[str, Any], network: str
) -> dict[str, Any]:
    """Refresh a long-lived Instagram or Threads token (GET .../refresh_access_token);
    the credentials with the new token and its expiry."""
    body = graph_request(
        http,
        "GET",
        url,
        token=credentials["token"],
        network=network,
        write=False,
        params={"grant_type": grant_type},
    )
    credentials["token"] = body["access_token"]
    keep_expiry(credentials, body)
    return dict(credentials)
