"""Tumblr: NPF posts (text, link and image blocks) with tags, OAuth2 token refresh.

Credentials: ``{"token", "refresh_token", "client_id", "client_secret"}``; settings:
``{"blog": "acme.tumblr.com", "tags": ["a", "b"]}``. Docs: https://www.tumblr.com/docs/en/api/v2
(#posts---createreblog-a-post-neue-post-format, #oauth2-authorization, #userinfo) and
https://www.tumblr.com/docs/npf (content blocks; media uploaded as multipart parts named by
``identifier``). Tumblr has no idempotency: reconciliation reads the blog's recent posts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from sociable.publish.connectors.base import (
    AuthExpired,
    Capabilities,
    Connector,
    PublishRequest,
    PublishResult,
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

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        # GET /v2/blog/{blog}/posts?npf=true&limit= -> {response: {posts: [...]}}
        found = self._call(
            "GET",
            f"/v2/blog/{self.blog}/posts",
            write=False,
            params={"npf": "true", "limit": min(limit, 50)},
        )
        return [
            RemotePost(
                remote_id=str(row.get("id_string") or row["id"]),
                text=npf_text(row.get("content", [])),
                created_at=datetime.fromtimestamp(row["timestamp"], UTC)
                if row.get("timestamp")
                else None,
                url=row.get("post_url"),
            )
            for row in found.get("posts", [])
        ]


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
