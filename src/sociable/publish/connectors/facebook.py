"""Facebook Page posts: text and links, photos (one or several), a first comment.

Credentials: ``{"token": PAGE_ACCESS_TOKEN}``; settings: ``{"page_id", "version": "v23.0"}``.
Docs (developers.facebook.com/docs/pages-api/posts, /graph-api/reference/page/photos,
/graph-api/reference/object/comments). Page tokens from a long-lived user token do not
expire, so there is no refresh; code 190 means reconnect. No idempotency: reconciliation reads
the Page's recent posts.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, ClassVar, TypeGuard

from sociable.collect.metrics import requestable
from sociable.publish.connectors.base import (
    Capabilities,
    Connector,
    PostPage,
    PublishRequest,
    PublishResult,
    Reading,
    Rejected,
    RemotePost,
)
from sociable.publish.connectors.graph import (
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
    read_media,
)

GRAPH = "https://graph.facebook.com"
VIDEO_GRAPH = "https://graph-video.facebook.com"
DEFAULT_VERSION = "v23.0"


class FacebookConnector(Connector):
    network = "facebook"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_media=10,
        media_kinds=frozenset({"image", "gif", "video"}),
        first_comment=True,
        account_metrics=True,
        post_metrics=True,
        account_posts=True,
    )
    max_image_bytes = 10 * 1024 * 1024
    max_video_bytes = 1024 * 1024 * 1024  # non-resumable upload limit (1 GB)

    @property
    def page_id(self) -> str:
        page = str(self.settings.get("page_id") or "")
        if not page:
            raise Rejected("Facebook account needs settings.page_id")
        return page

    def _url(self, path: str, host: str = GRAPH) -> str:
        return f"{host}/{self.settings.get('version') or DEFAULT_VERSION}/{path}"

    def _call(
        self, method: str, path: str, *, write: bool, host: str = GRAPH, **kwargs: Any
    ) -> Any:
        return graph_request(
            self.http,
            method,
            self._url(path, host),
            token=self.credentials.get("token", ""),
            network="Facebook",
            write=write,
            **kwargs,
        )

    def check(self) -> str:
        # GET /{page-id}?fields=id,name,username
        page = self._call("GET", self.page_id, write=False, params={"fields": "id,name,username"})
        return str(page.get("username") or page.get("name") or page["id"])

    def _photo(self, data: bytes, name: str, mime: str, **fields: str) -> dict[str, Any]:
        # POST /{page-id}/photos (multipart: source, message, published, alt_text_custom)
        return dict(
            self._call(
                "POST",
                f"{self.page_id}/photos",
                write=fields.get("published") != "false",
                files={"source": (name, data, mime)},
                data=fields,
            )
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        check_media(request.media, self.capabilities.max_media, self.capabilities.media_kinds)
        videos = [m for m in request.media if media_kind(m) == "video"]
        if videos and len(request.media) > 1:
            raise Rejected("a Facebook video post carries one video and nothing else")
        if videos:
            item = videos[0]
            data = read_media(item, self.max_video_bytes)
            # POST graph-video.facebook.com/{page-id}/videos (multipart: source, description)
            # -> {id} (docs: graph-api/reference/page/videos, non-resumable upload)
            made = self._call(
                "POST",
                f"{self.page_id}/videos",
                write=True,
                files={"source": (item.path.name, data, item.mime_type)},
                data={"description": _with_link(request)},
                host=VIDEO_GRAPH,
            )
            post_id = str(made["id"])
        elif len(request.media) == 1:
            item = request.media[0]
            data = read_media(item, self.max_image_bytes)
            fields = {"message": _with_link(request)}  # a photo post has no link field
            if item.alt_text:
                fields["alt_text_custom"] = item.alt_text
            made = self._photo(data, item.path.name, item.mime_type, **fields)
            post_id = str(made.get("post_id") or made["id"])
        else:
            body: dict[str, Any] = {"message": request.text}
            if request.link:
                body["link"] = request.link
            for index, item in enumerate(request.media):
                data = read_media(item, self.max_image_bytes)
                # unpublished photos, attached to one feed post (pages-api/posts#photos)
                photo = self._photo(
                    data,
                    item.path.name,
                    item.mime_type,
                    published="false",
                    **({"alt_text_custom": item.alt_text} if item.alt_text else {}),
                )
                body[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo["id"]})
            # POST /{page-id}/feed {message, link, attached_media} -> {id: "PAGEID_POSTID"}
            made = self._call("POST", f"{self.page_id}/feed", write=True, data=body)
            post_id = str(made["id"])
        extra: dict[str, Any] = {}
        if request.first_comment:
            # POST /{post-id}/comments {message} -> {id}
            comment = follow_up(
                extra,
                "first comment",
                partial(
                    self._call,
                    "POST",
                    f"{post_id}/comments",
                    write=True,
                    data={"message": request.first_comment},
                ),
            )
            if comment is not None:
                extra["first_comment_id"] = str(comment["id"])
        return PublishResult(
            remote_id=post_id, url=f"https://www.facebook.com/{post_id}", extra=extra
        )

    def reconcile(self, request: PublishRequest) -> PublishResult | None:
        return self.find_recent(request.text, _with_link(request))

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        # GET /{page-id}/posts?fields=id,message,created_time,permalink_url
        body = self._call(
            "GET",
            f"{self.page_id}/posts",
            write=False,
            params={"fields": "id,message,created_time,permalink_url", "limit": min(limit, 100)},
        )
        return graph_posts(body, text="message", time="created_time", url="permalink_url")

    # -- read side -------------------------------------------------------------------------

    @property
    def api_version(self) -> str:
        return str(self.settings.get("version") or DEFAULT_VERSION)

    def account_metrics(self) -> Reading:
        # GET /{page-id}?fields=followers_count,fan_count (Page fields; page_fans, the
        # insights metric, was removed on 2025-11-15)
        names = requestable("facebook", "account", _today(), "fields")
        body = self._call("GET", self.page_id, write=False, params={"fields": ",".join(names)})
        values = {n: body[n] for n in names if _is_int(body.get(n))}
        return Reading(values=values, api_version=self.api_version)

    def post_metrics(self, remote_ids: list[str]) -> list[Reading]:
        # GET /{page-post-id}/insights?metric=post_media_view,... -> {data: [{name, period,
        # values: [{value}]}]}; one bad name fails the call (#100): graph.insight_readings
        # asks around it and leaves out a post that is gone
        return insight_readings(
            self._insights,
            remote_ids,
            requestable("facebook", "post", _today(), "insights"),
            self.api_version,
        )

    def _insights(self, post_id: str, metrics: list[str]) -> Any:
        return self._call(
            "GET",
            f"{post_id}/insights",
            write=False,
            params={"metric": ",".join(metrics), "period": "lifetime"},
        )

    def account_posts(self, cursor: str | None = None, limit: int = 40) -> PostPage:
        # GET /{page-id}/published_posts?fields=id,message,created_time,permalink_url,
        # status_type&limit=&after= -> {data, paging: {cursors: {after}, next?}}
        params: dict[str, Any] = {
            "fields": "id,message,created_time,permalink_url,status_type",
            "limit": min(limit, 100),
        }
        if cursor:
            params["after"] = cursor
        body = self._call("GET", f"{self.page_id}/published_posts", write=False, params=params)
        rows = [row for row in body.get("data", []) if isinstance(row, dict) and row.get("id")]
        posts = tuple(
            RemotePost(
                remote_id=str(row["id"]),
                text=str(row.get("message", "")),
                created_at=graph_time(row.get("created_time")),
                url=row.get("permalink_url"),
                content_type=_STATUS_TYPES.get(str(row.get("status_type", "")), "other"),
            )
            for row in rows
        )
        readings = self.post_metrics([p.remote_id for p in posts])
        return PostPage(posts, tuple(readings), next_cursor(body))


# A Page post's status_type (Graph API reference: page-post) as one of CONTENT_TYPES.
_STATUS_TYPES = {
    "mobile_status_update": "text",
    "created_note": "text",
    "wall_post": "text",
    "added_photos": "image",
    "added_video": "video",
    "shared_story": "link",
    "published_story": "link",
    "created_event": "other",
}


def _today() -> date:
    return datetime.now(UTC).date()


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _with_link(request: PublishRequest) -> str:
    if request.link and request.link not in request.text:
        return f"{request.text}\n\n{request.link}"
    return request.text
