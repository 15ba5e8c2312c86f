"""LinkedIn Posts API: a person or an organization as author, images, a first comment.

Credentials: ``{"token", "refresh_token", "client_id", "client_secret"}``; settings:
``{"author": "urn:li:person:..." | "urn:li:organization:...", "version": "202505"}``.
Docs (learn.microsoft.com/linkedin/marketing/community-management/shares/):
posts-api, images-api, comments-api; authentication: programmatic-refresh-tokens.
LinkedIn has no idempotency; reconciliation reads the author's recent posts.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, ClassVar, TypeGuard
from urllib.parse import quote

import httpx

from sociable.collect.metrics import requestable
from sociable.publish.connectors.base import (
    AuthExpired,
    Capabilities,
    Connector,
    MediaItem,
    NotSupported,
    PostPage,
    PublishRequest,
    PublishResult,
    Reading,
    Rejected,
    RemotePost,
    content_fingerprint,
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

API = "https://api.linkedin.com"
TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"  # noqa: S105 - a URL
DEFAULT_VERSION = "202505"
STATS_PER_CALL = 50  # post URNs per organizationalEntityShareStatistics call
# "little" text format: these characters must be backslash-escaped or the post is cut short.
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def escape_little(text: str) -> str:
    """Escape LinkedIn's reserved characters (docs: little-text-format)."""
    return _RESERVED.sub(r"\\\1", text)


def unescape_little(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


class LinkedInConnector(Connector):
    network = "linkedin"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_media=20,
        media_kinds=frozenset({"image", "gif", "video"}),
        first_comment=True,
        token_refresh=True,
        account_metrics=True,
        post_metrics=True,
        account_posts=True,
    )
    max_image_bytes = 5 * 1024 * 1024
    max_video_bytes = 500 * 1024 * 1024

    @property
    def author(self) -> str:
        author = str(self.settings.get("author") or "")
        if not author.startswith(("urn:li:person:", "urn:li:organization:")):
            raise Rejected(
                "LinkedIn account needs settings.author: urn:li:person:ID or urn:li:organization:ID"
            )
        return author

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.credentials.get('token', '')}",
            "Linkedin-Version": str(self.settings.get("version") or DEFAULT_VERSION),
            "X-Restli-Protocol-Version": "2.0.0",
        }

    def _send(self, method: str, url: str, *, write: bool, **kwargs: Any) -> httpx.Response:
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        response = send(self.http, method, url, write=write, headers=headers, **kwargs)
        _raise_for(response, write=write)
        return response

    def check(self) -> str:
        author = self.author
        if author.startswith("urn:li:organization:"):
            org_id = author.rsplit(":", 1)[1]
            # GET /rest/organizations/{id} -> {localizedName, vanityName, ...}
            org = json_of(
                self._send("GET", f"{API}/rest/organizations/{org_id}", write=False), write=False
            )
            return str(org.get("vanityName") or org.get("localizedName") or author)
        # GET /v2/userinfo (OpenID Connect, scope openid profile) -> {sub, name, ...}
        info = json_of(self._send("GET", f"{API}/v2/userinfo", write=False), write=False)
        if f"urn:li:person:{info.get('sub')}" != author:
            raise Rejected(f"the token belongs to urn:li:person:{info.get('sub')}, not {author}")
        return str(info.get("name") or author)

    def refresh(self) -> dict[str, Any] | None:
        """POST oauth/v2/accessToken grant_type=refresh_token (programmatic refresh tokens)."""
        if not all(
            self.credentials.get(k) for k in ("refresh_token", "client_id", "client_secret")
        ):
            return None
        response = send(
            self.http,
            "POST",
            TOKEN_URL,
            write=False,
            data={
                "grant_type": "refresh_token",
                "refresh_token": self.credentials["refresh_token"],
                "client_id": self.credentials["client_id"],
                "client_secret": self.credentials["client_secret"],
            },
        )
        if response.status_code in (400, 401):
            raise AuthExpired(
                f"LinkedIn refused the refresh token: reconnect ({_detail(response)})"
            )
        _raise_for(response, write=False)
        body = json_of(response, write=False)
        self.credentials["token"] = body["access_token"]
        if body.get("refresh_token"):
            self.credentials["refresh_token"] = body["refresh_token"]
        keep_expiry(self.credentials, body)
        return dict(self.credentials)

    def _upload(self, request: PublishRequest) -> list[dict[str, str]]:
        images = []
        for item in request.media:
            data = read_media(item, self.max_image_bytes)
            # POST /rest/images?action=initializeUpload {initializeUploadRequest: {owner}}
            # -> {value: {uploadUrl, image: "urn:li:image:..."}}; then PUT the bytes.
            init = json_of(
                self._send(
                    "POST",
                    f"{API}/rest/images?action=initializeUpload",
                    write=False,
                    json={"initializeUploadRequest": {"owner": self.author}},
                ),
                write=False,
            )["value"]
            self._send(
                "PUT",
                init["uploadUrl"],
                write=False,
                content=data,
                headers={"Content-Type": "application/octet-stream"},
            )
            images.append({"id": init["image"], "altText": item.alt_text})
        return images

    def _upload_video(self, item: MediaItem) -> str:
        """Videos API: initializeUpload -> PUT each part (keep its ETag) -> finalizeUpload.

        Docs: community-management/shares/videos-api (initializeUpload returns the video URN,
        uploadInstructions [{uploadUrl, firstByte, lastByte}] and an uploadToken).
        """
        data = read_media(item, self.max_video_bytes)
        init = json_of(
            self._send(
                "POST",
                f"{API}/rest/videos?action=initializeUpload",
                write=False,
                json={
                    "initializeUploadRequest": {
                        "owner": self.author,
                        "fileSizeBytes": len(data),
                        "uploadCaptions": False,
                        "uploadThumbnail": False,
                    }
                },
            ),
            write=False,
        )["value"]
        etags = []
        for part in init["uploadInstructions"]:
            chunk = data[int(part["firstByte"]) : int(part["lastByte"]) + 1]
            put = self._send(
                "PUT",
                part["uploadUrl"],
                write=False,
                content=chunk,
                headers={"Content-Type": "application/octet-stream"},
            )
            etags.append(put.headers.get("etag", "").strip('"'))
        self._send(
            "POST",
            f"{API}/rest/videos?action=finalizeUpload",
            write=False,
            json={
                "finalizeUploadRequest": {
                    "video": init["video"],
                    "uploadToken": init.get("uploadToken", ""),
                    "uploadedPartIds": etags,
                }
            },
        )
        return str(init["video"])

    def publish(self, request: PublishRequest) -> PublishResult:
        check_media(request.media, self.capabilities.max_media, self.capabilities.media_kinds)
        videos = [m for m in request.media if media_kind(m) == "video"]
        if videos and len(request.media) > 1:
            raise Rejected("a LinkedIn video post carries one video and nothing else")
        body: dict[str, Any] = {
            "author": self.author,
            "commentary": escape_little(request.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if videos:
            body["content"] = {"media": {"id": self._upload_video(videos[0])}}
        elif request.media:
            images = self._upload(request)
            if len(images) == 1:
                body["content"] = {"media": images[0]}
            else:
                body["content"] = {"multiImage": {"images": images}}
        elif request.link:
            body["content"] = {"article": {"source": request.link, "title": request.link}}
        # POST /rest/posts -> 201, the post URN in the x-restli-id header (docs: posts-api)
        response = self._send("POST", f"{API}/rest/posts", write=True, json=body)
        urn = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id")
        if not urn:
            from sociable.publish.connectors.base import OutcomeUnknown

            raise OutcomeUnknown("LinkedIn answered 201 without the post id (x-restli-id)")
        extra: dict[str, Any] = {}
        if request.first_comment:
            # POST /rest/socialActions/{urn}/comments {actor, object, message: {text}}
            comment = {
                "actor": self.author,
                "object": urn,
                "message": {"text": escape_little(request.first_comment)},
            }
            url = f"{API}/rest/socialActions/{quote(urn, safe='')}/comments"
            if follow_up(
                extra, "first comment", partial(self._send, "POST", url, write=True, json=comment)
            ):
                extra["first_comment"] = True
        return PublishResult(
            remote_id=urn, url=f"https://www.linkedin.com/feed/update/{urn}/", extra=extra
        )

    def reconcile(self, request: PublishRequest) -> PublishResult | None:
        wanted = content_fingerprint(request.text)
        for post in self.recent_posts(limit=40):
            if content_fingerprint(post.text) == wanted:
                return PublishResult(remote_id=post.remote_id, url=post.url)
        return None

    def _posts(
        self, *, start: int, count: int, sort: str
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        # GET /rest/posts?q=author&author={urn}&start=&count=&sortBy= (X-RestLi-Method:
        # FINDER) -> {elements: [Post], paging: {start, count, total?}} (docs: posts-api)
        response = self._send(
            "GET",
            f"{API}/rest/posts",
            write=False,
            params={
                "q": "author",
                "author": self.author,
                "start": start,
                "count": count,
                "sortBy": sort,
            },
            headers={"X-RestLi-Method": "FINDER"},
        )
        body = json_of(response, write=False)
        rows = [row for row in body.get("elements", []) if isinstance(row, dict) and row.get("id")]
        return rows, body.get("paging") or {}

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        rows, _paging = self._posts(start=0, count=min(limit, 100), sort="LAST_MODIFIED")
        return [_remote_post(row) for row in rows]

    # -- read side: organizations only (LinkedIn serves no member statistics to us) ---------

    @property
    def api_version(self) -> str:
        return str(self.settings.get("version") or DEFAULT_VERSION)

    def _organization(self, what: str) -> str:
        author = self.author
        if not author.startswith("urn:li:organization:"):
            raise NotSupported(f"linkedin: {what} are read for organizations only, not {author}")
        return author

    def account_metrics(self) -> Reading:
        # GET /rest/networkSizes/{org urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER
        # -> {firstDegreeSize} (docs: organizations/organization-lookup-api)
        org = self._organization("follower counts")
        response = self._send(
            "GET",
            f"{API}/rest/networkSizes/{quote(org, safe='')}",
            write=False,
            params={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
        )
        body = json_of(response, write=False)
        names = requestable("linkedin", "account", _today())
        values = {n: body[n] for n in names if _is_int(body.get(n))}
        return Reading(values=values, api_version=self.api_version)

    def post_metrics(self, remote_ids: list[str]) -> list[Reading]:
        # GET /rest/organizationalEntityShareStatistics?q=organizationalEntity
        # &organizationalEntity={org}&shares=List(...)&ugcPosts=List(...) -> {elements:
        # [{share | ugcPost, totalShareStatistics: {...}}]}: lifetime, organic, 12 months.
        # A post LinkedIn no longer has is simply not among the elements: left out.
        org = self._organization("post statistics")
        readings = []
        for start in range(0, len(remote_ids), STATS_PER_CALL):
            chunk = remote_ids[start : start + STATS_PER_CALL]
            readings += self._statistics(org, chunk)
        return readings

    def _statistics(self, org: str, urns: list[str]) -> list[Reading]:
        shares = [u for u in urns if u.startswith("urn:li:share:")]
        ugc = [u for u in urns if u.startswith("urn:li:ugcPost:")]
        query = f"q=organizationalEntity&organizationalEntity={quote(org, safe='')}"
        for key, group in (("shares", shares), ("ugcPosts", ugc)):
            if group:  # Rest.li 2.0 lists: List(a,b) with each URN encoded
                query += f"&{key}=List({','.join(quote(u, safe='') for u in group)})"
        if not shares and not ugc:
            return []
        response = self._send(
            "GET", f"{API}/rest/organizationalEntityShareStatistics?{query}", write=False
        )
        names = requestable("linkedin", "post", _today())
        readings = []
        for element in json_of(response, write=False).get("elements", []):
            if not isinstance(element, dict):
                continue
            urn = element.get("share") or element.get("ugcPost")
            stats = element.get("totalShareStatistics") or {}
            if urn not in urns or not isinstance(stats, dict):
                continue
            values = {n: stats[n] for n in names if _is_int(stats.get(n))}
            readings.append(Reading(values=values, api_version=self.api_version, remote_id=urn))
        return readings

    def account_posts(self, cursor: str | None = None, limit: int = 40) -> PostPage:
        # start/count paging: the cursor is the start of the next page
        start = int(cursor) if cursor and cursor.isdigit() else 0
        count = min(limit, 100)
        rows, paging = self._posts(start=start, count=count, sort="CREATED")
        posts = tuple(_remote_post(row) for row in rows)
        readings: list[Reading] = []
        if self.author.startswith("urn:li:organization:") and posts:
            readings = self.post_metrics([p.remote_id for p in posts])
        end = start + len(rows)
        total = paging.get("total")
        more = bool(rows) and (end < total if _is_int(total) else len(rows) >= count)
        return PostPage(posts, tuple(readings), str(end) if more else None)


def _today() -> date:
    return datetime.now(UTC).date()


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _content_type(row: dict[str, Any]) -> str:
    """The Posts API ``content``: media (an image, video or document URN), multiImage,
    article, poll...; none is a text post."""
    content = row.get("content")
    if not isinstance(content, dict) or not content:
        return "text"
    if "multiImage" in content:
        return "carousel"
    if "article" in content:
        return "link"
    media = content.get("media")
    if isinstance(media, dict):
        urn = str(media.get("id", ""))
        if urn.startswith("urn:li:image:"):
            return "image"
        if urn.startswith("urn:li:video:"):
            return "video"
    return "other"


def _remote_post(row: dict[str, Any]) -> RemotePost:
    created = row.get("publishedAt") or row.get("createdAt")
    return RemotePost(
        remote_id=str(row["id"]),
        text=unescape_little(str(row.get("commentary", ""))),
        created_at=datetime.fromtimestamp(created / 1000, UTC) if _is_int(created) else None,
        url=f"https://www.linkedin.com/feed/update/{row['id']}/",
        content_type=_content_type(row),
    )


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(
            body.get("message") or body.get("error_description") or body.get("error") or body
        )[:300]
    return str(body)[:300]


def _raise_for(response: httpx.Response, *, write: bool) -> None:
    """LinkedIn errors are ``{status, serviceErrorCode, code, message}``."""
    raise_for_rest(
        response, write=write, network="LinkedIn", detail=_detail(response), duplicate_status=422
    )
