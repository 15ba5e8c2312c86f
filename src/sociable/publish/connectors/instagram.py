"""Instagram (professional accounts): container, status polling, publish; carousels; a comment.

Credentials: ``{"token"}``; settings: ``{"ig_user_id", "media_base_url", "host", "version"}``.
Instagram fetches media from a public URL, so files must be served under ``media_base_url``
(``sociable serve`` or any web server). ``host`` is graph.facebook.com (Facebook login, the
default) or graph.instagram.com (Instagram login, whose long-lived token can be refreshed).
Docs (developers.facebook.com/docs/instagram-platform/content-publishing, .../reference/
ig-user/media, .../ig-user/media_publish, .../ig-container, .../ig-media/comments,
.../instagram-api-with-instagram-login/business-login#refresh).
Creating a container publishes nothing, so it is safe to repeat; only ``media_publish``
is the point of no return.
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
    ConnectorError,
    PostPage,
    PublishRequest,
    PublishResult,
    Reading,
    Rejected,
    RemotePost,
)
from sociable.publish.connectors.graph import (
    exchange_token,
    graph_posts,
    graph_request,
    graph_time,
    insight_readings,
    next_cursor,
)
from sociable.publish.connectors.http import (
    check_media,
    follow_up,
    media_kind,
    poll,
    public_media_url,
)

DEFAULT_HOST = "https://graph.facebook.com"
DEFAULT_VERSION = "v23.0"


def _today() -> date:
    return datetime.now(UTC).date()


class InstagramConnector(Connector):
    network = "instagram"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text=False,  # a caption needs an image or a video
        max_media=10,
        media_kinds=frozenset({"image", "video"}),
        first_comment=True,
        token_refresh=True,
        account_metrics=True,
        post_metrics=True,
        account_posts=True,
    )
    poll_interval = 3.0
    poll_attempts = 40

    def __init__(self, credentials: dict[str, Any], settings: dict[str, Any], http: httpx.Client):
        super().__init__(credentials, settings, http)
        self.host = str(settings.get("host") or DEFAULT_HOST).rstrip("/")
        self.sleep: Callable[[float], None] = time.sleep

    @property
    def user_id(self) -> str:
        user = str(self.settings.get("ig_user_id") or "")
        if not user:
            raise Rejected("Instagram account needs settings.ig_user_id")
        return user

    def _url(self, path: str) -> str:
        return f"{self.host}/{self.settings.get('version') or DEFAULT_VERSION}/{path}"

    def _call(self, method: str, path: str, *, write: bool, **kwargs: Any) -> Any:
        return graph_request(
            self.http,
            method,
            self._url(path),
            token=self.credentials.get("token", ""),
            network="Instagram",
            write=write,
            **kwargs,
        )

    def check(self) -> str:
        # GET /{ig-user-id}?fields=id,username
        user = self._call("GET", self.user_id, write=False, params={"fields": "id,username"})
        return "@" + str(user.get("username") or user["id"])

    def refresh(self) -> dict[str, Any] | None:
        """Instagram-login tokens: GET graph.instagram.com/refresh_access_token (60 days)."""
        if "graph.instagram.com" not in self.host:
            return None  # Facebook-login tokens come from the Page: reconnect instead
        return exchange_token(
            self.http,
            f"{self.host}/refresh_access_token",
            grant_type="ig_refresh_token",
            credentials=self.credentials,
            network="Instagram",
        )

    def _container(self, fields: dict[str, Any]) -> str:
        # POST /{ig-user-id}/media {image_url | video_url+media_type, caption, alt_text,
        # is_carousel_item | media_type=CAROUSEL+children} -> {id}
        made = self._call("POST", f"{self.user_id}/media", write=False, data=fields)
        return str(made["id"])

    def _wait(self, container: str) -> None:
        # GET /{container-id}?fields=status_code: EXPIRED, ERROR, FINISHED, IN_PROGRESS, PUBLISHED
        def status() -> str:
            body = self._call("GET", container, write=False, params={"fields": "status_code"})
            return str(body.get("status_code", ""))

        poll(
            status,
            done={"FINISHED", "PUBLISHED"},
            failed={"ERROR", "EXPIRED"},
            attempts=self.poll_attempts,
            interval=self.poll_interval,
            sleep=self.sleep,
            what=f"Instagram container {container}",
        )

    def _item_fields(self, request: PublishRequest, index: int) -> dict[str, Any]:
        item = request.media[index]
        url = public_media_url(item, self.settings.get("media_base_url"), "Instagram")
        if media_kind(item) == "video":
            return {"video_url": url, "media_type": "REELS"}
        fields: dict[str, Any] = {"image_url": url}
        if item.alt_text:
            fields["alt_text"] = item.alt_text
        return fields

    def publish(self, request: PublishRequest) -> PublishResult:
        check_media(request.media, self.capabilities.max_media, self.capabilities.media_kinds)
        if not request.media:
            raise Rejected("Instagram posts need an image or a video")
        caption = request.text
        if len(request.media) == 1:
            container = self._container({**self._item_fields(request, 0), "caption": caption})
        else:
            children = []
            for index in range(len(request.media)):
                child = self._container(
                    {**self._item_fields(request, index), "is_carousel_item": "true"}
                )
                children.append(child)
            for child in children:
                self._wait(child)
            container = self._container(
                {"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption}
            )
        self._wait(container)
        # POST /{ig-user-id}/media_publish {creation_id} -> {id}: the post goes live here
        made = self._call(
            "POST", f"{self.user_id}/media_publish", write=True, data={"creation_id": container}
        )
        media_id = str(made["id"])
        extra: dict[str, Any] = {"container_id": container}
        if request.first_comment:
            # POST /{ig-media-id}/comments {message}
            comment = follow_up(
                extra,
                "first comment",
                partial(
                    self._call,
                    "POST",
                    f"{media_id}/comments",
                    write=True,
                    data={"message": request.first_comment},
                ),
            )
            if comment is not None:
                extra["first_comment_id"] = str(comment["id"])
        permalink = None
        try:
            permalink = self._call(
                "GET", media_id, write=False, params={"fields": "permalink"}
            ).get("permalink")
        except ConnectorError:  # the link is a nicety; the post is live
            permalink = None
        return PublishResult(remote_id=media_id, url=permalink, extra=extra)

    @property
    def api_version(self) -> str:
        return str(self.settings.get("version") or DEFAULT_VERSION)

    # -- read side -------------------------------------------------------------------------

    def account_metrics(self) -> Reading:
        # GET /{ig-user-id}?fields=followers_count,follows_count,media_count (IG User fields)
        names = requestable("instagram", "account", _today(), "fields")
        body = self._call("GET", self.user_id, write=False, params={"fields": ",".join(names)})
        values = {n: int(body[n]) for n in names if isinstance(body.get(n), int)}
        return Reading(values=values, api_version=self.api_version)

    def post_metrics(self, remote_ids: list[str]) -> list[Reading]:
        # GET /{ig-media-id}/insights?metric=views,reach,... -> {data: [{name, values}]}; a
        # deprecated name fails the call with #100, so graph.insight_readings asks around it,
        # and leaves out a media that is gone
        return insight_readings(
            self._insights,
            remote_ids,
            requestable("instagram", "post", _today(), "insights"),
            self.api_version,
        )

    def _insights(self, media_id: str, metrics: list[str]) -> Any:
        return self._call(
            "GET", f"{media_id}/insights", write=False, params={"metric": ",".join(metrics)}
        )

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        # GET /{ig-user-id}/media?fields=id,caption,timestamp,permalink
        body = self._call(
            "GET",
            f"{self.user_id}/media",
            write=False,
            params={"fields": "id,caption,timestamp,permalink", "limit": min(limit, 100)},
        )
        return graph_posts(body, text="caption", time="timestamp", url="permalink")

    def account_posts(self, cursor: str | None = None, limit: int = 40) -> PostPage:
        # GET /{ig-user-id}/media?fields=id,caption,timestamp,permalink,media_type,
        # media_product_type&limit=&after= -> {data, paging: {cursors: {after}, next?}}
        # (IG User Media edge); each media's numbers from its insights edge
        params: dict[str, Any] = {
            "fields": "id,caption,timestamp,permalink,media_type,media_product_type",
            "limit": min(limit, 100),
        }
        if cursor:
            params["after"] = cursor
        body = self._call("GET", f"{self.user_id}/media", write=False, params=params)
        rows = [row for row in body.get("data", []) if isinstance(row, dict) and row.get("id")]
        posts = tuple(
            RemotePost(
                remote_id=str(row["id"]),
                text=str(row.get("caption", "")),
                created_at=graph_time(row.get("timestamp")),
                url=row.get("permalink"),
                content_type=_media_content_type(row),
            )
            for row in rows
        )
        readings = self.post_metrics([p.remote_id for p in posts])
        return PostPage(posts, tuple(readings), next_cursor(body))


def _media_content_type(row: dict[str, Any]) -> str:
    """IG Media's kind: ``media_product_type`` REELS or STORY first, else ``media_type``
    (IMAGE, VIDEO, CAROUSEL_ALBUM)."""
    product = str(row.get("media_product_type", "")).upper()
    if product in ("REELS", "STORY"):
        return "reel" if product == "REELS" else "story"
    return {"CAROUSEL_ALBUM": "carousel", "VIDEO": "video", "IMAGE": "image"}.get(
        str(row.get("media_type", "")).upper(), "other"
    )
