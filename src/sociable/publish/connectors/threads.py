"""Threads: text, image and carousel posts via container then publish; replies as threads.

Credentials: ``{"token"}``; settings: ``{"user_id", "media_base_url"}``.
Docs (developers.facebook.com/docs/threads/posts, /threads/reply-management,
/threads/get-started/long-lived-tokens#refresh, /threads/troubleshooting#publishing-status).
Like Instagram, media is fetched from a public URL; only ``threads_publish`` goes live.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, ClassVar

import httpx

from sociable.collect.metrics import requestable
from sociable.publish.connectors.base import (
    Capabilities,
    Connector,
    PostPage,
    PublishRequest,
    PublishResult,
    Reading,
    RemotePost,
)
from sociable.publish.connectors.graph import (
    exchange_token,
    graph_posts,
    graph_request,
    graph_time,
    insight_readings,
    insights,
    next_cursor,
)
from sociable.publish.connectors.http import (
    check_media,
    follow_up,
    media_kind,
    poll,
    public_media_url,
)

API = "https://graph.threads.net"
VERSION = "v1.0"


class ThreadsConnector(Connector):
    network = "threads"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_media=20,
        media_kinds=frozenset({"image", "video"}),
        threads=True,
        first_comment=True,  # a reply to our own post
        token_refresh=True,
        account_metrics=True,
        post_metrics=True,
        account_posts=True,
    )
    poll_interval = 2.0
    poll_attempts = 30

    def __init__(self, credentials: dict[str, Any], settings: dict[str, Any], http: httpx.Client):
        super().__init__(credentials, settings, http)
        self.sleep: Callable[[float], None] = time.sleep

    @property
    def user_id(self) -> str:
        return str(self.settings.get("user_id") or "me")

    def _call(self, method: str, path: str, *, write: bool, **kwargs: Any) -> Any:
        return graph_request(
            self.http,
            method,
            f"{API}/{VERSION}/{path}",
            token=self.credentials.get("token", ""),
            network="Threads",
            write=write,
            **kwargs,
        )

    def check(self) -> str:
        # GET /me?fields=id,username
        me = self._call("GET", "me", write=False, params={"fields": "id,username"})
        self.settings["user_id"] = str(me["id"])
        return "@" + str(me["username"])

    def refresh(self) -> dict[str, Any] | None:
        """GET /refresh_access_token?grant_type=th_refresh_token (long-lived, 60 days)."""
        return exchange_token(
            self.http,
            f"{API}/refresh_access_token",
            grant_type="th_refresh_token",
            credentials=self.credentials,
            network="Threads",
        )

    def _container(self, fields: dict[str, Any]) -> str:
        # POST /{user}/threads {media_type: TEXT|IMAGE|VIDEO|CAROUSEL, text, image_url,
        # video_url, children, is_carousel_item, reply_to_id} -> {id}
        return str(self._call("POST", f"{self.user_id}/threads", write=False, data=fields)["id"])

    def _wait(self, container: str) -> None:
        # GET /{container}?fields=status: IN_PROGRESS, FINISHED, PUBLISHED, ERROR, EXPIRED
        def status() -> str:
            body = self._call("GET", container, write=False, params={"fields": "status"})
            return str(body.get("status", ""))

        poll(
            status,
            done={"FINISHED", "PUBLISHED"},
            failed={"ERROR", "EXPIRED"},
            attempts=self.poll_attempts,
            interval=self.poll_interval,
            sleep=self.sleep,
            what=f"Threads container {container}",
        )

    def _media_fields(self, request: PublishRequest, index: int) -> dict[str, Any]:
        item = request.media[index]
        url = public_media_url(item, self.settings.get("media_base_url"), "Threads")
        if media_kind(item) == "video":
            return {"media_type": "VIDEO", "video_url": url}
        return {"media_type": "IMAGE", "image_url": url}

    def _post(self, fields: dict[str, Any]) -> str:
        container = self._container(fields)
        self._wait(container)
        # POST /{user}/threads_publish {creation_id} -> {id}: live from here
        made = self._call(
            "POST", f"{self.user_id}/threads_publish", write=True, data={"creation_id": container}
        )
        return str(made["id"])

    def publish(self, request: PublishRequest) -> PublishResult:
        check_media(request.media, self.capabilities.max_media, self.capabilities.media_kinds)
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}"
        if not request.media:
            fields: dict[str, Any] = {"media_type": "TEXT", "text": text}
        elif len(request.media) == 1:
            fields = {**self._media_fields(request, 0), "text": text}
        else:
            children = [
                self._container({**self._media_fields(request, i), "is_carousel_item": "true"})
                for i in range(len(request.media))
            ]
            for child in children:
                self._wait(child)
            fields = {"media_type": "CAROUSEL", "children": ",".join(children), "text": text}
        first = self._post(fields)
        parent = first
        extra: dict[str, Any] = {"thread_ids": []}
        for index, part in enumerate(request.thread, start=1):
            made = follow_up(
                extra,
                f"thread part {index}",
                partial(self._post, {"media_type": "TEXT", "text": part, "reply_to_id": parent}),
            )
            if made is None:
                break
            parent = made
            extra["thread_ids"].append(made)
        if request.first_comment:
            fields = {"media_type": "TEXT", "text": request.first_comment, "reply_to_id": first}
            comment = follow_up(extra, "first comment", partial(self._post, fields))
            if comment is not None:
                extra["first_comment_id"] = comment
        return PublishResult(remote_id=first, extra=extra)

    def reconcile(self, request: PublishRequest) -> PublishResult | None:
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}"
        return self.find_recent(request.text, text)

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        # GET /{user}/threads?fields=id,text,timestamp,permalink
        body = self._call(
            "GET",
            f"{self.user_id}/threads",
            write=False,
            params={"fields": "id,text,timestamp,permalink", "limit": min(limit, 100)},
        )
        return graph_posts(body, text="text", time="timestamp", url="permalink")

    # -- read side -------------------------------------------------------------------------

    api_version = VERSION

    def account_metrics(self) -> Reading:
        # GET /{user}/threads_insights?metric=followers_count -> {data: [{name, period,
        # total_value: {value}}]} (docs: threads/insights#user-insights)
        names = requestable("threads", "account", _today(), "insights")

        def fetch(metrics: list[str]) -> Any:
            return self._call(
                "GET",
                f"{self.user_id}/threads_insights",
                write=False,
                params={"metric": ",".join(metrics)},
            )

        values, refused = insights(fetch, names)
        return Reading(values=values, api_version=VERSION, refused=tuple(refused))

    def post_metrics(self, remote_ids: list[str]) -> list[Reading]:
        # GET /{threads-media-id}/insights?metric=views,likes,replies,reposts,quotes,shares
        # -> {data: [{name, period, values: [{value}]}]}; one bad name fails the call (#100)
        return insight_readings(
            self._insights,
            remote_ids,
            requestable("threads", "post", _today(), "insights"),
            VERSION,
        )

    def _insights(self, media_id: str, metrics: list[str]) -> Any:
        return self._call(
            "GET", f"{media_id}/insights", write=False, params={"metric": ",".join(metrics)}
        )

    def account_posts(self, cursor: str | None = None, limit: int = 40) -> PostPage:
        # GET /{user}/threads?fields=id,text,timestamp,permalink,media_type&limit=&after=
        # -> {data, paging: {cursors: {before, after}, next?}}; a REPOST_FACADE is someone
        # else's post (its insights are empty), so it is left out
        params: dict[str, Any] = {
            "fields": "id,text,timestamp,permalink,media_type,is_quote_post",
            "limit": min(limit, 100),
        }
        if cursor:
            params["after"] = cursor
        body = self._call("GET", f"{self.user_id}/threads", write=False, params=params)
        posts = tuple(
            RemotePost(
                remote_id=str(row["id"]),
                text=str(row.get("text", "")),
                created_at=graph_time(row.get("timestamp")),
                url=row.get("permalink"),
                content_type=_MEDIA_TYPES.get(str(row.get("media_type", "")), "other"),
            )
            for row in body.get("data", [])
            if isinstance(row, dict) and row.get("id") and row.get("media_type") != "REPOST_FACADE"
        )
        readings = self.post_metrics([p.remote_id for p in posts])
        return PostPage(posts, tuple(readings), next_cursor(body))


# A Threads media_type (docs: threads/threads-media) as one of CONTENT_TYPES.
_MEDIA_TYPES = {
    "TEXT_POST": "text",
    "IMAGE": "image",
    "VIDEO": "video",
    "CAROUSEL_ALBUM": "carousel",
    "AUDIO": "other",
}


def _today() -> date:
    return datetime.now(UTC).date()
