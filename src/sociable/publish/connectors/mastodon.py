"""Mastodon: statuses with media, threads as self-replies, the Idempotency-Key for retries.

Credentials: ``{"token": ...}``; settings: ``{"instance": "https://mastodon.social"}``.
Docs: https://docs.joinmastodon.org/methods/statuses/ and .../methods/media/
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from html import unescape
from typing import Any, ClassVar

import httpx

from sociable.collect.metrics import requestable
from sociable.publish.connectors.base import (
    AuthExpired,
    Capabilities,
    Connector,
    PostPage,
    PublishRequest,
    PublishResult,
    Reading,
    Rejected,
    RemotePost,
    api_time,
    content_fingerprint,
)
from sociable.publish.connectors.http import (
    check_media,
    check_status,
    follow_up,
    json_of,
    poll,
    read_media,
    send,
)

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.I)


def html_to_text(html: str) -> str:
    """Mastodon returns ``content`` as HTML; recover the text for fingerprinting."""
    return unescape(_TAG.sub("", _BREAK.sub("\n", html)))


class MastodonConnector(Connector):
    network = "mastodon"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_media=4,
        media_kinds=frozenset({"image", "video", "gif", "audio"}),
        threads=True,
        first_comment=True,  # a reply to our own status
        idempotency_key=True,
        account_metrics=True,
        post_metrics=True,
        account_posts=True,
    )
    api_version = "v1"
    max_media_bytes = 99 * 1024 * 1024  # video_size_limit default; images 16 MB
    poll_interval = 1.0

    def __init__(self, credentials: dict[str, Any], settings: dict[str, Any], http: httpx.Client):
        super().__init__(credentials, settings, http)
        instance = str(settings.get("instance") or "").rstrip("/")
        if not instance.startswith(("http://", "https://")):
            instance = "https://" + instance
        self.base = instance
        self.sleep: Callable[[float], None] = time.sleep

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials.get('token', '')}", **extra}

    def _call(self, method: str, path: str, *, write: bool, **kwargs: Any) -> Any:
        headers = self._headers(**kwargs.pop("headers", {}))
        response = send(self.http, method, self.base + path, write=write, headers=headers, **kwargs)
        if response.status_code == 422:
            raise Rejected(f"Mastodon refused it: {_error(response)}")
        if response.status_code in (401, 403) and "token" in _error(response).lower():
            raise AuthExpired(f"Mastodon token rejected: {_error(response)}")
        check_status(response, write=write)
        return json_of(response, write=write)

    def check(self) -> str:
        # GET /api/v1/accounts/verify_credentials -> Account (docs: methods/accounts)
        account = self._call("GET", "/api/v1/accounts/verify_credentials", write=False)
        self.settings.setdefault("account_id", str(account["id"]))
        return "@" + str(account.get("acct") or account.get("username"))

    def _upload(self, request: PublishRequest) -> list[str]:
        ids = []
        for item in request.media:
            data = read_media(item, self.max_media_bytes)
            # POST /api/v2/media (multipart: file, description) -> 200 MediaAttachment,
            # or 202 while processing; then poll GET /api/v1/media/:id (docs: methods/media)
            media = self._call(
                "POST",
                "/api/v2/media",
                write=False,  # an orphan upload is harmless: retrying is safe
                files={"file": (item.path.name, data, item.mime_type)},
                data={"description": item.alt_text} if item.alt_text else {},
            )
            media_id = str(media["id"])
            if not media.get("url"):
                path = f"/api/v1/media/{media_id}"

                def state(path: str = path) -> str:
                    ready = self._call("GET", path, write=False).get("url")
                    return "ready" if ready else "processing"

                poll(
                    state,
                    done={"ready"},
                    failed=set(),
                    attempts=30,
                    interval=self.poll_interval,
                    sleep=self.sleep,
                    what=f"media {item.path.name} processing",
                )
            ids.append(media_id)
        return ids

    def _status(self, text: str, key: str, **fields: Any) -> dict[str, Any]:
        # POST /api/v1/statuses with Idempotency-Key: the server returns the status it made
        # for that key (kept 1 h) instead of making a second one (docs: methods/statuses#create)
        body: dict[str, Any] = {"status": text, **fields}
        headers = {"Idempotency-Key": key} if key else {}
        return dict(self._call("POST", "/api/v1/statuses", write=True, json=body, headers=headers))

    def publish(self, request: PublishRequest) -> PublishResult:
        check_media(request.media, self.capabilities.max_media, self.capabilities.media_kinds)
        key = request.idempotency_key or f"sociable-{request.publication_id}"
        fields: dict[str, Any] = {}
        if request.media:
            fields["media_ids"] = self._upload(request)
        if self.settings.get("visibility"):
            fields["visibility"] = self.settings["visibility"]
        first = self._status(_compose(request), key, **fields)
        parent = str(first["id"])
        extra: dict[str, Any] = {"thread_ids": []}
        for index, part in enumerate(request.thread, start=1):
            reply = follow_up(
                extra,
                f"thread part {index}",
                partial(self._status, part, f"{key}:{index}", in_reply_to_id=parent),
            )
            if reply is None:
                break
            parent = str(reply["id"])
            extra["thread_ids"].append(parent)
        if request.first_comment:
            comment = follow_up(
                extra,
                "first comment",
                partial(
                    self._status,
                    request.first_comment,
                    f"{key}:comment",
                    in_reply_to_id=str(first["id"]),
                ),
            )
            if comment is not None:
                extra["first_comment_id"] = str(comment["id"])
        return PublishResult(remote_id=str(first["id"]), url=first.get("url"), extra=extra)

    def reconcile(self, request: PublishRequest) -> PublishResult | None:
        """Match the text we actually sent (the link may have been appended).

        Within the key's hour a plain retry is also safe: the server returns the first status.
        """
        wanted = content_fingerprint(_compose(request))
        for post in self.recent_posts(limit=40):
            if content_fingerprint(post.text) == wanted:
                return PublishResult(remote_id=post.remote_id, url=post.url)
        return None

    def _account_id(self) -> str:
        if not self.settings.get("account_id"):
            self.check()
        return str(self.settings["account_id"])

    def _statuses(self, limit: int, max_id: str | None = None) -> list[dict[str, Any]]:
        # GET /api/v1/accounts/:id/statuses?limit=&max_id= (<= 40, newest first; docs:
        # methods/accounts#statuses); boosts are someone else's posts, so they are left out
        params: dict[str, Any] = {"limit": min(limit, 40), "exclude_reblogs": "true"}
        if max_id:
            params["max_id"] = max_id
        rows = self._call(
            "GET", f"/api/v1/accounts/{self._account_id()}/statuses", write=False, params=params
        )
        return [row for row in rows if isinstance(row, dict)]

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        return [_remote_post(row) for row in self._statuses(limit)]

    # -- read side -------------------------------------------------------------------------

    def _reading(self, entity: dict[str, Any], scope: str, remote_id: str | None) -> Reading:
        names = requestable("mastodon", "post" if scope == "post" else "account", _today())
        values = {n: int(entity[n]) for n in names if isinstance(entity.get(n), int)}
        return Reading(values=values, api_version=self.api_version, remote_id=remote_id)

    def account_metrics(self) -> Reading:
        # GET /api/v1/accounts/verify_credentials -> Account: followers_count,
        # following_count, statuses_count (docs: entities/Account)
        account = self._call("GET", "/api/v1/accounts/verify_credentials", write=False)
        self.settings.setdefault("account_id", str(account["id"]))
        return self._reading(account, "account", None)

    def post_metrics(self, remote_ids: list[str]) -> list[Reading]:
        # GET /api/v1/statuses/:id -> Status: replies_count, reblogs_count, favourites_count
        # (docs: methods/statuses#get); a deleted status answers 404 and is left out
        readings = []
        for remote_id in remote_ids:
            response = send(
                self.http,
                "GET",
                f"{self.base}/api/v1/statuses/{remote_id}",
                write=False,
                headers=self._headers(),
            )
            if response.status_code == 404:
                continue
            if response.status_code in (401, 403) and "token" in _error(response).lower():
                raise AuthExpired(f"Mastodon token rejected: {_error(response)}")
            check_status(response, write=False)
            readings.append(self._reading(json_of(response, write=False), "post", remote_id))
        return readings

    def account_posts(self, cursor: str | None = None, limit: int = 40) -> PostPage:
        rows = self._statuses(limit, max_id=cursor)
        posts = tuple(_remote_post(row) for row in rows)
        readings = tuple(self._reading(row, "post", str(row["id"])) for row in rows)
        more = len(rows) >= min(limit, 40) and bool(rows)
        return PostPage(posts, readings, str(rows[-1]["id"]) if more else None)


def _remote_post(row: dict[str, Any]) -> RemotePost:
    return RemotePost(
        remote_id=str(row["id"]),
        text=html_to_text(str(row.get("content", ""))),
        created_at=api_time(row.get("created_at")),
        url=row.get("url"),
        content_type=_content_type(row),
    )


def _content_type(row: dict[str, Any]) -> str:
    """A Status's kind: its media (Status.media_attachments[].type: image, gifv, video,
    audio), else a link card, else a reply in its own thread, else text."""
    media = [m for m in row.get("media_attachments") or [] if isinstance(m, dict)]
    if len(media) > 1:
        return "carousel"
    if media:
        return "video" if media[0].get("type") in ("video", "gifv") else "image"
    if row.get("card"):
        return "link"
    account = row.get("account")
    own = account.get("id") if isinstance(account, dict) else None
    if row.get("in_reply_to_id") and row.get("in_reply_to_account_id") == own:
        return "thread"
    return "text"


def _today() -> date:
    return datetime.now(UTC).date()


def _compose(request: PublishRequest) -> str:
    if request.link and request.link not in request.text:
        return f"{request.text}\n\n{request.link}"
    return request.text


def _error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("error") or body)[:300]
    return str(body)[:300]
