"""X (API v2): posts with media, threads as replies, OAuth 2.0 token refresh.

Credentials: ``{"token", "refresh_token", "client_id", ("client_secret")}``; settings:
``{"user_id"}`` (filled by ``check``). Docs: https://docs.x.com/x-api/posts/create-post,
https://docs.x.com/x-api/media/upload-media, https://docs.x.com/fundamentals/rate-limits,
https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token
X has no idempotency: a repeated text is refused as a duplicate (403), and reconciliation
reads the account's recent posts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

import httpx

from sociable.collect.metrics import requestable
from sociable.publish.connectors.base import (
    AuthExpired,
    Capabilities,
    Connector,
    MediaItem,
    PostPage,
    PublishRequest,
    PublishResult,
    RateLimited,
    Reading,
    Rejected,
    RemotePost,
    Transient,
)
from sociable.publish.connectors.http import (
    check_media,
    follow_up,
    json_of,
    keep_expiry,
    media_kind,
    raise_for_rest,
    read_media,
    send,
)

API = "https://api.x.com"
API_VERSION = "2"
# Non-public metrics: the owner's token, posts under 30 days (docs: fundamentals/metrics).
PRIVATE_FOR = timedelta(days=30)
# Per Post lookup: up to 100 ids (docs: x-api/posts/lookup).
IDS_PER_CALL = 100
_TWEET_FIELDS = (
    "public_metrics,created_at,author_id,in_reply_to_user_id,entities,attachments,referenced_tweets"
)
_MEDIA = {"expansions": "attachments.media_keys", "media.fields": "type"}


class XConnector(Connector):
    """One X account (OAuth 2.0 user token)."""

    network = "x"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_media=4,
        media_kinds=frozenset({"image", "gif", "video"}),
        threads=True,
        first_comment=True,  # a reply to our own post
        token_refresh=True,
        account_metrics=True,
        post_metrics=True,
        account_posts=True,
    )
    max_image_bytes = 5 * 1024 * 1024
    max_other_bytes = 15 * 1024 * 1024  # GIF
    max_video_bytes = 512 * 1024 * 1024
    chunk_bytes = 4 * 1024 * 1024  # APPEND takes at most 5 MB per segment
    poll_attempts = 60

    def __init__(self, credentials: dict[str, Any], settings: dict[str, Any], http: httpx.Client):
        super().__init__(credentials, settings, http)
        self.sleep: Callable[[float], None] = time.sleep

    def _call(
        self, method: str, path: str, *, write: bool, expect_json: bool = True, **kwargs: Any
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.credentials.get('token', '')}"}
        response = send(self.http, method, API + path, write=write, headers=headers, **kwargs)
        _raise_for(response, write=write)
        return json_of(response, write=write) if expect_json else None

    def check(self) -> str:
        # GET /2/users/me -> {data: {id, name, username}}
        me = self._call("GET", "/2/users/me", write=False)["data"]
        self.settings["user_id"] = str(me["id"])
        return "@" + str(me["username"])

    def refresh(self) -> dict[str, Any] | None:
        """OAuth 2.0: POST /2/oauth2/token grant_type=refresh_token (offline.access scope)."""
        refresh_token = self.credentials.get("refresh_token")
        client_id = self.credentials.get("client_id")
        if not refresh_token or not client_id:
            return None
        auth = None
        if self.credentials.get("client_secret"):  # confidential clients use Basic auth
            auth = (str(client_id), str(self.credentials["client_secret"]))
        response = send(
            self.http,
            "POST",
            f"{API}/2/oauth2/token",
            write=False,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": client_id,
            },
            auth=auth,
        )
        if response.status_code in (400, 401):
            raise AuthExpired(
                f"X refused the refresh token: reconnect the account ({_detail(response)})"
            )
        _raise_for(response, write=False)
        body = json_of(response, write=False)
        self.credentials["token"] = body["access_token"]
        if body.get("refresh_token"):  # X rotates refresh tokens
            self.credentials["refresh_token"] = body["refresh_token"]
        keep_expiry(self.credentials, body)
        return dict(self.credentials)

    def _upload(self, request: PublishRequest) -> list[str]:
        ids = []
        for item in request.media:
            kind = media_kind(item)
            if kind == "video":
                media = {"id": self._upload_chunked(item)}
            else:
                limit = self.max_image_bytes if kind == "image" else self.max_other_bytes
                data = read_media(item, limit)
                # POST /2/media/upload (multipart: media, media_category) -> {data: {id, ...}}
                media = self._call(
                    "POST",
                    "/2/media/upload",
                    write=False,  # unused media expires on its own: safe to repeat
                    files={"media": (item.path.name, data, item.mime_type)},
                    data={"media_category": "tweet_gif" if kind == "gif" else "tweet_image"},
                )["data"]
            media_id = str(media["id"])
            if item.alt_text:
                # POST /2/media/metadata {id, metadata: {alt_text: {text}}} (alt <= 1000)
                self._call(
                    "POST",
                    "/2/media/metadata",
                    write=False,
                    json={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}},
                )
            ids.append(media_id)
        return ids

    def _upload_chunked(self, item: MediaItem) -> str:
        """Video: initialize, append <= 5 MB chunks, finalize, then poll the processing state.

        Docs: x-api/media/quickstart/media-upload-chunked (POST /2/media/upload/initialize,
        /2/media/upload/{id}/append, /2/media/upload/{id}/finalize, GET /2/media/upload
        ?command=STATUS -> processing_info {state, check_after_secs}).
        """
        data = read_media(item, self.max_video_bytes)
        init = self._call(
            "POST",
            "/2/media/upload/initialize",
            write=False,
            json={
                "media_type": item.mime_type,
                "total_bytes": len(data),
                "media_category": "tweet_video",
            },
        )["data"]
        media_id = str(init["id"])
        for index, start in enumerate(range(0, len(data), self.chunk_bytes)):
            self._call(
                "POST",
                f"/2/media/upload/{media_id}/append",
                write=False,
                files={"media": ("chunk", data[start : start + self.chunk_bytes])},
                data={"segment_index": str(index)},
                expect_json=False,
            )
        done = self._call("POST", f"/2/media/upload/{media_id}/finalize", write=False)["data"]
        info = done.get("processing_info")
        checks = 0
        while info and info.get("state") in ("pending", "in_progress"):
            checks += 1
            if checks > self.poll_attempts:
                raise Transient(f"X is still processing video {item.path.name}")
            self.sleep(float(info.get("check_after_secs") or 1))
            status = self._call(
                "GET",
                "/2/media/upload",
                write=False,
                params={"command": "STATUS", "media_id": media_id},
            )["data"]
            info = status.get("processing_info")
        if info and info.get("state") == "failed":
            error = info.get("error", {})
            raise Rejected(f"X could not process video {item.path.name}: {error}")
        return media_id

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        # POST /2/tweets {text, media: {media_ids}, reply: {in_reply_to_tweet_id}}
        # -> 201 {data: {id, text}}
        return dict(self._call("POST", "/2/tweets", write=True, json=body)["data"])

    def publish(self, request: PublishRequest) -> PublishResult:
        check_media(request.media, self.capabilities.max_media, self.capabilities.media_kinds)
        body: dict[str, Any] = {"text": _compose(request)}
        if request.media:
            body["media"] = {"media_ids": self._upload(request)}
        first = self._post(body)
        parent = str(first["id"])
        extra: dict[str, Any] = {"thread_ids": []}
        for index, part in enumerate(request.thread, start=1):
            made = follow_up(
                extra,
                f"thread part {index}",
                partial(self._post, {"text": part, "reply": {"in_reply_to_tweet_id": parent}}),
            )
            if made is None:
                break
            parent = str(made["id"])
            extra["thread_ids"].append(parent)
        if request.first_comment:
            body = {"text": request.first_comment, "reply": {"in_reply_to_tweet_id": first["id"]}}
            made = follow_up(extra, "first comment", partial(self._post, body))
            if made is not None:
                extra["first_comment_id"] = str(made["id"])
        return PublishResult(
            remote_id=str(first["id"]),
            url=f"https://x.com/i/web/status/{first['id']}",
            extra=extra,
        )

    def reconcile(self, request: PublishRequest) -> PublishResult | None:
        from sociable.publish.connectors.base import content_fingerprint

        wanted = content_fingerprint(_compose(request))
        for post in self.recent_posts(limit=40):
            if content_fingerprint(post.text) == wanted:
                return PublishResult(remote_id=post.remote_id, url=post.url)
        return None

    def _user_id(self) -> str:
        if not self.settings.get("user_id"):
            self.check()
        return str(self.settings["user_id"])

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        # reconciliation needs the text only (and the time)
        rows, media, _token = self._timeline(None, limit, {"tweet.fields": "created_at"})
        return [_remote_post(row, media) for row in rows]

    # -- read side -------------------------------------------------------------------------

    def account_metrics(self) -> Reading:
        # GET /2/users/:id?user.fields=public_metrics -> {data: {public_metrics:
        # {followers_count, following_count, tweet_count, listed_count, like_count}}}
        body = self._call(
            "GET",
            f"/2/users/{self._user_id()}",
            write=False,
            params={"user.fields": "public_metrics"},
        )
        found = (body.get("data") or {}).get("public_metrics") or {}
        names = requestable("x", "account", _today())
        return Reading(values=_ints(found, names), api_version=API_VERSION)

    def post_metrics(self, remote_ids: list[str]) -> list[Reading]:
        # GET /2/tweets?ids=a,b&tweet.fields=public_metrics,created_at,... -> {data: [Post],
        # errors: [{resource_id, type: .../resource-not-found}]}: a deleted post is only
        # in ``errors``, so it is left out
        readings: list[Reading] = []
        for start in range(0, len(remote_ids), IDS_PER_CALL):
            chunk = remote_ids[start : start + IDS_PER_CALL]
            body = self._call(
                "GET",
                "/2/tweets",
                write=False,
                params={"ids": ",".join(chunk), "tweet.fields": _TWEET_FIELDS},
            )
            readings += self._readings(_rows(body))
        return readings

    def account_posts(self, cursor: str | None = None, limit: int = 40) -> PostPage:
        rows, media, token = self._timeline(
            cursor, limit, {"tweet.fields": _TWEET_FIELDS, "exclude": "retweets", **_MEDIA}
        )
        posts = tuple(_remote_post(row, media) for row in rows)
        return PostPage(posts, tuple(self._readings(rows)), token)

    def _timeline(
        self, cursor: str | None, limit: int, fields: dict[str, str]
    ) -> tuple[list[dict[str, Any]], dict[str, str], str | None]:
        # GET /2/users/:id/tweets?max_results=5..100&pagination_token=&exclude=retweets
        # -> {data: [Post], includes: {media}, meta: {next_token?}} (docs: posts/timelines)
        params: dict[str, Any] = {"max_results": max(5, min(limit, 100)), **fields}
        if cursor:
            params["pagination_token"] = cursor
        body = self._call("GET", f"/2/users/{self._user_id()}/tweets", write=False, params=params)
        token = (body.get("meta") or {}).get("next_token")
        return _rows(body), _media_types(body), str(token) if token else None

    def _readings(self, rows: list[dict[str, Any]]) -> list[Reading]:
        """Public metrics for every post, and the owner's non-public ones (link and profile
        clicks, impressions) for those under 30 days, asked for only then: X refuses them for
        older or others' posts. A refusal keeps the public values."""
        names = requestable("x", "post", _today())
        now = datetime.now(UTC)
        if not rows:
            return []
        me = self._user_id()
        private: dict[str, dict[str, Any]] = {}
        young = [
            str(row["id"])
            for row in rows
            if str(row.get("author_id")) == me
            and (born := _time(row.get("created_at"))) is not None
            and now - born < PRIVATE_FOR
        ]
        if young:
            private = self._private(young)
        readings = []
        for row in rows:
            values = _ints(row.get("public_metrics") or {}, names)
            values.update(_ints(private.get(str(row["id"]), {}), names))
            readings.append(
                Reading(values=values, api_version=API_VERSION, remote_id=str(row["id"]))
            )
        return readings

    def _private(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """``non_public_metrics`` by post id; posts X will not give them for are missing
        (a field-authorization entry in ``errors``, or the whole call refused)."""
        try:
            body = self._call(
                "GET",
                "/2/tweets",
                write=False,
                params={"ids": ",".join(ids), "tweet.fields": "non_public_metrics"},
            )
        except (RateLimited, AuthExpired):
            raise
        except Rejected:
            return {}
        return {
            str(row["id"]): row["non_public_metrics"]
            for row in body.get("data") or []
            if isinstance(row, dict) and isinstance(row.get("non_public_metrics"), dict)
        }


def _today() -> date:
    return datetime.now(UTC).date()


def _ints(found: dict[str, Any], names: list[str]) -> dict[str, int]:
    return {
        n: found[n]
        for n in names
        if isinstance(found.get(n), int) and not isinstance(found[n], bool)
    }


def _rows(body: Any) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    return [row for row in data or [] if isinstance(row, dict) and row.get("id")]


def _media_types(body: dict[str, Any]) -> dict[str, str]:
    media = (body.get("includes") or {}).get("media") or []
    return {
        str(m["media_key"]): str(m.get("type", ""))
        for m in media
        if isinstance(m, dict) and m.get("media_key")
    }


def _content_type(row: dict[str, Any], media: dict[str, str]) -> str:
    """photo -> image, video, animated_gif -> image, several -> carousel; a reply to
    oneself -> thread; a link -> link; else text."""
    keys = (row.get("attachments") or {}).get("media_keys") or []
    kinds = [media.get(str(k), "") for k in keys]
    if len(kinds) > 1:
        return "carousel"
    if kinds:
        return "video" if kinds[0] == "video" else "image"
    refs = row.get("referenced_tweets") or []
    replied = any(isinstance(r, dict) and r.get("type") == "replied_to" for r in refs)
    if replied and row.get("in_reply_to_user_id") == row.get("author_id"):
        return "thread"
    if (row.get("entities") or {}).get("urls"):
        return "link"
    return "text"


def _remote_post(row: dict[str, Any], media: dict[str, str]) -> RemotePost:
    return RemotePost(
        remote_id=str(row["id"]),
        text=str(row.get("text", "")),
        created_at=_time(row.get("created_at")),
        url=f"https://x.com/i/web/status/{row['id']}",
        content_type=_content_type(row, media),
    )


def _compose(request: PublishRequest) -> str:
    if request.link and request.link not in request.text:
        return f"{request.text} {request.link}"
    return request.text


def _detail(response: httpx.Response) -> str:
    """X errors are problem JSON ``{title, detail, type, status}`` (or OAuth's ``error``)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return str(body)[:200]
    parts = [body.get("title"), body.get("detail"), body.get("error_description")]
    if not any(parts) and body.get("errors"):
        parts = [str(e.get("message", e)) for e in body["errors"][:3]]
    return " ".join(str(p) for p in parts if p)[:300] or response.text[:200]


def _raise_for(response: httpx.Response, *, write: bool) -> None:
    # x-rate-limit-reset is an epoch timestamp (docs: fundamentals/rate-limits)
    raise_for_rest(
        response, write=write, network="X", detail=_detail(response), duplicate_status=403
    )


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
