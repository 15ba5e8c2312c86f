"""Tumblr: NPF posts (text, link and image blocks) with tags, OAuth2 token refresh.

Credentials: ``{"token", "refresh_token", "client_id", "client_secret"}``; settings:
``{"blog": "acme.tumblr.com", "tags": ["a", "b"]}``. Docs: https://www.tumblr.com/docs/en/api/v2
(#posts---createreblog-a-post-neue-post-format, #oauth2-authorization, #userinfo) and
https://www.tumblr.com/docs/npf (content blocks; media uploaded as multipart parts named by
``identifier``). Tumblr has no idempotency: reconciliation reads the blog's recent posts.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any, ClassVar, TypeGuard

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
)
from sociable.publish.connectors.http import (
    check_media,
    json_of,
    keep_expiry,
    media_kind,
    raise_for_rest,
    read_media,
    send,
)

API = "https://api.tumblr.com"
API_VERSION = "v2"
PAGE_SIZE = 20  # /posts answers at most 20 a call
MAX_TEXT_BLOCK = 4096  # code points per NPF text block


def text_blocks(text: str) -> list[dict[str, str]]:
    """One NPF text block per paragraph, each split to at most 4,096 code points."""
    blocks = []
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            continue
        for start in range(0, len(paragraph), MAX_TEXT_BLOCK):
            blocks.append({"type": "text", "text": paragraph[start : start + MAX_TEXT_BLOCK]})
    return blocks


def npf_text(content: list[dict[str, Any]]) -> str:
    return "\n".join(str(b.get("text", "")) for b in content if b.get("type") == "text")


class TumblrConnector(Connector):
    network = "tumblr"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_media=10,
        media_kinds=frozenset({"image", "gif", "video"}),
        token_refresh=True,
        account_metrics=True,
        post_metrics=True,
        account_posts=True,
    )
    max_image_bytes = 20 * 1024 * 1024
    max_video_bytes = 500 * 1024 * 1024

    @property
    def blog(self) -> str:
        blog = str(self.settings.get("blog") or "")
        if not blog:
            raise Rejected("Tumblr account needs settings.blog (e.g. acme.tumblr.com)")
        return blog

    def _call(self, method: str, path: str, *, write: bool, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.credentials.get('token', '')}"}
        response = send(self.http, method, API + path, write=write, headers=headers, **kwargs)
        _raise_for(response, write=write)
        return json_of(response, write=write).get("response", {})

    def check(self) -> str:
        # GET /v2/user/info -> {response: {user: {name, blogs: [...]}}}
        user = self._call("GET", "/v2/user/info", write=False)["user"]
        return str(user["name"])

    def refresh(self) -> dict[str, Any] | None:
        """POST /v2/oauth2/token grant_type=refresh_token (access tokens last 42 minutes)."""
        if not all(self.credentials.get(k) for k in ("refresh_token", "client_id")):
            return None
        response = send(
            self.http,
            "POST",
            f"{API}/v2/oauth2/token",
            write=False,
            data={
                "grant_type": "refresh_token",
                "refresh_token": self.credentials["refresh_token"],
                "client_id": self.credentials["client_id"],
                "client_secret": self.credentials.get("client_secret", ""),
            },
        )
        if response.status_code in (400, 401):
            raise AuthExpired(f"Tumblr refused the refresh token: {response.text[:200]}")
        _raise_for(response, write=False)
        body = json_of(response, write=False)
        self.credentials["token"] = body["access_token"]
        keep_expiry(self.credentials, body)
        if body.get("refresh_token"):
            self.credentials["refresh_token"] = body["refresh_token"]
        return dict(self.credentials)

    def publish(self, request: PublishRequest) -> PublishResult:
        check_media(request.media, self.capabilities.max_media, self.capabilities.media_kinds)
        content: list[dict[str, Any]] = text_blocks(request.text)
        files: dict[str, tuple[str, bytes, str]] = {}
        for index, item in enumerate(request.media):
            kind = media_kind(item)
            limit = self.max_video_bytes if kind == "video" else self.max_image_bytes
            identifier = f"media{index}"
            files[identifier] = (item.path.name, read_media(item, limit), item.mime_type)
            block: dict[str, Any] = {
                "type": "video" if kind == "video" else "image",
                "media": [{"type": item.mime_type, "identifier": identifier}],
            }
            if item.alt_text and block["type"] == "image":
                block["alt_text"] = item.alt_text
            content.append(block)
        if request.link:
            content.append({"type": "link", "url": request.link})
        body: dict[str, Any] = {"content": content, "state": "published"}
        tags = self.settings.get("tags")
        if tags:
            body["tags"] = ",".join(str(t) for t in tags)
        # POST /v2/blog/{blog}/posts (JSON, or multipart with a "json" part plus one part per
        # media identifier) -> 201 {meta, response: {id, id_string, state}}
        path = f"/v2/blog/{self.blog}/posts"
        if files:
            made = self._call(
                "POST",
                path,
                write=True,
                data={"json": json.dumps(body)},
                files=files,
            )
        else:
            made = self._call("POST", path, write=True, json=body)
        post_id = str(made.get("id_string") or made["id"])
        return PublishResult(
            remote_id=post_id, url=f"https://{self.blog.removesuffix('/')}/post/{post_id}"
        )

    def _posts(self, **params: Any) -> dict[str, Any]:
        # GET /v2/blog/{blog}/posts?npf=true&limit=(<=20)&offset=|&id= -> {response: {posts:
        # [{id_string, timestamp, post_url, note_count, content: [NPF blocks]}], total_posts}}
        found = self._call(
            "GET", f"/v2/blog/{self.blog}/posts", write=False, params={"npf": "true", **params}
        )
        return found if isinstance(found, dict) else {}

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        rows = self._posts(limit=min(limit, PAGE_SIZE)).get("posts", [])
        return [_remote_post(row) for row in rows if isinstance(row, dict)]

    # -- read side -------------------------------------------------------------------------

    def account_metrics(self) -> Reading:
        # GET /v2/blog/{blog}/info -> {response: {blog: {posts, ...}}} and
        # GET /v2/blog/{blog}/followers?limit=1 -> {response: {total_users, users}} (the
        # blog's own token only)
        names = requestable("tumblr", "account", _today())
        info = self._call("GET", f"/v2/blog/{self.blog}/info", write=False).get("blog") or {}
        found: dict[str, Any] = dict(info)
        if "total_users" in names:
            followers = self._call(
                "GET", f"/v2/blog/{self.blog}/followers", write=False, params={"limit": 1}
            )
            found["total_users"] = followers.get("total_users")
        values = {n: found[n] for n in names if _is_int(found.get(n))}
        return Reading(values=values, api_version=API_VERSION)

    def post_metrics(self, remote_ids: list[str]) -> list[Reading]:
        # one post: /posts?id= (Tumblr has no lookup of several); a deleted post answers
        # 404 (or an empty list) and is left out
        readings = []
        for post_id in remote_ids:
            response = send(
                self.http,
                "GET",
                f"{API}/v2/blog/{self.blog}/posts",
                write=False,
                headers={"Authorization": f"Bearer {self.credentials.get('token', '')}"},
                params={"npf": "true", "id": post_id},
            )
            if response.status_code == 404:
                continue
            _raise_for(response, write=False)
            rows = (json_of(response, write=False).get("response") or {}).get("posts") or []
            readings += [_reading(row) for row in rows if _post_id(row) == post_id]
        return readings

    def account_posts(self, cursor: str | None = None, limit: int = 40) -> PostPage:
        # offset paging: the cursor is the offset of the next page
        offset = int(cursor) if cursor and cursor.isdigit() else 0
        found = self._posts(limit=min(limit, PAGE_SIZE), offset=offset)
        rows = [row for row in found.get("posts", []) if isinstance(row, dict)]
        posts = tuple(_remote_post(row) for row in rows)
        total = found.get("total_posts")
        end = offset + len(rows)
        more = bool(rows) and (not isinstance(total, int) or end < total)
        return PostPage(posts, tuple(_reading(row) for row in rows), str(end) if more else None)


def _today() -> date:
    return datetime.now(UTC).date()


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _post_id(row: dict[str, Any]) -> str:
    return str(row.get("id_string") or row.get("id"))


def _reading(row: dict[str, Any]) -> Reading:
    names = requestable("tumblr", "post", _today())
    values = {n: row[n] for n in names if _is_int(row.get(n))}
    return Reading(values=values, api_version=API_VERSION, remote_id=_post_id(row))


def _content_type(content: list[Any]) -> str:
    """From the NPF blocks: several images -> carousel, a video, an image, a link, else text."""
    kinds = [b.get("type") for b in content if isinstance(b, dict)]
    if "video" in kinds:
        return "video"
    images = kinds.count("image")
    if images > 1:
        return "carousel"
    if images:
        return "image"
    if "link" in kinds:
        return "link"
    return "text"


def _remote_post(row: dict[str, Any]) -> RemotePost:
    raw = row.get("content")
    content: list[dict[str, Any]] = (
        [b for b in raw if isinstance(b, dict)] if isinstance(raw, list) else []
    )
    stamp = row.get("timestamp")
    return RemotePost(
        remote_id=_post_id(row),
        text=npf_text(content),
        created_at=datetime.fromtimestamp(stamp, UTC) if _is_int(stamp) else None,
        url=row.get("post_url"),
        content_type=_content_type(content),
    )


def _detail(response: httpx.Response) -> str:
    """Tumblr errors: ``{meta: {status, msg}, errors: [{title, code, detail}]}``."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return str(body)[:200]
    errors = body.get("errors") or []
    if errors and isinstance(errors[0], dict):
        first = errors[0]
        return f"{first.get('title', '')} {first.get('detail', '')} (code {first.get('code')})"
    meta = body.get("meta") or {}
    return str(meta.get("msg") or body.get("error_description") or body)[:200]


def _raise_for(response: httpx.Response, *, write: bool) -> None:
    raise_for_rest(response, write=write, network="Tumblr", detail=_detail(response))
