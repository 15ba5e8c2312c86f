"""Bluesky (AT Protocol): posts as records with our own record key, so a retry cannot duplicate.

Credentials: ``{"handle", "app_password"}`` plus the session we keep (``access_jwt``,
``refresh_jwt``, ``did``); settings: ``{"service": "https://bsky.social"}``.
Lexicons: https://github.com/bluesky-social/atproto/tree/main/lexicons (com.atproto.server,
com.atproto.repo, app.bsky.feed.post, app.bsky.embed.images); facets:
https://docs.bsky.app/docs/advanced-guides/post-richtext
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

import httpx

from sociable.collect.metrics import requestable
from sociable.content.entities import bluesky_facets
from sociable.publish.connectors.base import (
    AuthExpired,
    Capabilities,
    Connector,
    ConnectorError,
    OutcomeUnknown,
    PostPage,
    PublishRequest,
    PublishResult,
    RateLimited,
    Reading,
    Rejected,
    RemotePost,
    _retry_after,
    api_time,
)
from sociable.publish.connectors.http import (
    check_media,
    check_status,
    follow_up,
    json_of,
    read_media,
    send,
)

POST = "app.bsky.feed.post"
_B32 = "234567abcdefghijklmnopqrstuvwxyz"
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
# Record keys derived from a publication's key get a timestamp inside 2024 (plausible,
# sortable, and never in the future, which indexers distrust).
_TID_BASE_US = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z in microseconds
_TID_SPAN_US = 366 * 86_400 * 1_000_000


def encode_tid(micros: int, clock_id: int) -> str:
    """A TID: 64 bits (top bit 0, 53 bits of microseconds, 10 of clock id) in base32-sortable."""
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 0x3FF)
    return "".join(_B32[(value >> (5 * (12 - i))) & 31] for i in range(13))


def new_tid(now: datetime | None = None, clock_id: int = 0) -> str:
    """A fresh TID for now: what a dispatcher can store as the publication's key."""
    when = now or datetime.now(UTC)
    return encode_tid(int(when.timestamp() * 1_000_000), clock_id)


def record_key(key: str, part: int = 0) -> str:
    """The record key for part ``part`` of a publication: stable across retries.

    A key that already is a TID is used as is (part 0), with the clock id bumped for the
    further parts; any other key is hashed into a TID.
    """
    if _TID.match(key):
        if part == 0:
            return key
        value = sum(_B32.index(c) << (5 * (12 - i)) for i, c in enumerate(key))
        return encode_tid(value >> 10, (value + part) & 0x3FF)
    digest = int.from_bytes(hashlib.sha256(f"{key}#{part}".encode()).digest()[:8], "big")
    return encode_tid(_TID_BASE_US + digest % _TID_SPAN_US, digest >> 54)


def facets(
    text: str, resolve_handle: Callable[[str], str | None] | None = None
) -> list[dict[str, Any]]:
    """Link, mention and tag facets with UTF-8 byte offsets: the posts layer's, so what the
    composer previews is what the PDS gets. Mentions need ``resolve_handle`` (handle -> DID)."""
    return bluesky_facets(text, resolve_handle)


def jwt_expiry(token: str) -> int | None:
    """The ``exp`` claim of a JWT (not verified: only to refresh before it runs out)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims.get("exp")
    except (IndexError, ValueError, AttributeError):
        return None
    return int(exp) if isinstance(exp, int | float) else None


class BlueskyConnector(Connector):
    network = "bluesky"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_media=4,
        media_kinds=frozenset({"image"}),
        threads=True,
        first_comment=True,  # a reply to our own post
        client_record_key=True,
        token_refresh=True,
        account_metrics=True,
        post_metrics=True,
        account_posts=True,
    )
    max_image_bytes = 2_000_000
    api_version = "app.bsky"
    posts_per_call = 25  # app.bsky.feed.getPosts takes at most 25 uris

    def __init__(self, credentials: dict[str, Any], settings: dict[str, Any], http: httpx.Client):
        super().__init__(credentials, settings, http)
        self.base = str(settings.get("service") or "https://bsky.social").rstrip("/")

    # -- session -------------------------------------------------------------------------

    def _xrpc(
        self,
        method: str,
        nsid: str,
        *,
        write: bool,
        auth: str | None = None,
        **kwargs: Any,
    ) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        token = auth if auth is not None else self._access()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = send(
            self.http, method, f"{self.base}/xrpc/{nsid}", write=write, headers=headers, **kwargs
        )
        _raise_for(response, write=write)
        return json_of(response, write=write)

    def _resolve_handle(self, handle: str) -> str | None:
        """A mentioned handle's DID, or None (the mention is then plain text, never an error).

        com.atproto.identity.resolveHandle?handle=... -> {"did": ...}
        """
        cache: dict[str, str | None] = self.__dict__.setdefault("_dids", {})
        if handle not in cache:
            try:
                body = self._xrpc(
                    "GET",
                    "com.atproto.identity.resolveHandle",
                    write=False,
                    params={"handle": handle},
                )
                did = body.get("did") if isinstance(body, dict) else None
                cache[handle] = did if isinstance(did, str) and did.startswith("did:") else None
            except ConnectorError:
                cache[handle] = None
        return cache[handle]

    def _access(self) -> str:
        if not self.credentials.get("access_jwt"):
            self._create_session()
        return str(self.credentials["access_jwt"])

    def _create_session(self) -> None:
        # com.atproto.server.createSession {identifier, password} -> {accessJwt, refreshJwt,
        # did, handle}; limited to 30 per 5 min, so the session is kept in the credentials.
        session = self._xrpc(
            "POST",
            "com.atproto.server.createSession",
            write=False,
            auth="",
            json={
                "identifier": self.credentials.get("handle", ""),
                "password": self.credentials.get("app_password", ""),
            },
        )
        self._keep(session)

    def _keep(self, session: dict[str, Any]) -> None:
        self.credentials["access_jwt"] = session["accessJwt"]
        self.credentials["refresh_jwt"] = session["refreshJwt"]
        self.credentials["did"] = session["did"]
        expires_at = jwt_expiry(str(session["accessJwt"]))
        if expires_at is not None:
            self.credentials["expires_at"] = expires_at
        if session.get("handle"):
            self.credentials["handle"] = session["handle"]

    def refresh(self) -> dict[str, Any] | None:
        """Swap the refresh JWT for a new session; log in again if it expired too."""
        refresh_jwt = self.credentials.get("refresh_jwt")
        if refresh_jwt:
            try:
                # com.atproto.server.refreshSession, authorised by the refresh JWT
                session = self._xrpc(
                    "POST", "com.atproto.server.refreshSession", write=False, auth=refresh_jwt
                )
            except AuthExpired:
                session = None
            if session is not None:
                self._keep(session)
                return dict(self.credentials)
        self.credentials.pop("access_jwt", None)
        self._create_session()
        return dict(self.credentials)

    def _did(self) -> str:
        self._access()
        return str(self.credentials["did"])

    def check(self) -> str:
        # com.atproto.server.getSession -> {handle, did}
        session = self._xrpc("GET", "com.atproto.server.getSession", write=False)
        self.credentials["did"] = session["did"]
        return "@" + str(session["handle"])

    # -- publishing ----------------------------------------------------------------------

    def _upload(self, request: PublishRequest) -> dict[str, Any] | None:
        if not request.media:
            return None
        images = []
        for item in request.media:
            data = read_media(item, self.max_image_bytes)
            # com.atproto.repo.uploadBlob: raw bytes with Content-Type -> {blob}
            blob = self._xrpc(
                "POST",
                "com.atproto.repo.uploadBlob",
                write=False,  # an unreferenced blob is dropped by the PDS: safe to repeat
                content=data,
                headers={"Content-Type": item.mime_type},
            )["blob"]
            images.append({"alt": item.alt_text, "image": blob})
        return {"$type": "app.bsky.embed.images", "images": images}

    def _create(
        self, text: str, rkey: str, *, embed: Any = None, reply: Any = None
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "$type": POST,
            "text": text,
            "createdAt": datetime.now(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
        }
        if found := facets(text, self._resolve_handle):
            record["facets"] = found
        if embed:
            record["embed"] = embed
        if reply:
            record["reply"] = reply
        if self.settings.get("langs"):
            record["langs"] = list(self.settings["langs"])[:3]
        # com.atproto.repo.createRecord {repo, collection, rkey, record} -> {uri, cid}.
        # Our own rkey: a repeat of the same write fails instead of making a second post (the
        # reference PDS answers a taken rkey with HTTP 500), so on a failure we look for it.
        try:
            return dict(
                self._xrpc(
                    "POST",
                    "com.atproto.repo.createRecord",
                    write=True,
                    json={"repo": self._did(), "collection": POST, "rkey": rkey, "record": record},
                )
            )
        except (Rejected, OutcomeUnknown) as exc:
            try:
                existing = self._get(rkey)
            except ConnectorError:
                existing = None
            if existing is not None:  # an earlier attempt made it: that one is ours
                return existing
            raise exc

    def _get(self, rkey: str) -> dict[str, Any] | None:
        # com.atproto.repo.getRecord {repo, collection, rkey} -> {uri, cid, value}; 400
        # RecordNotFound when absent
        try:
            return dict(
                self._xrpc(
                    "GET",
                    "com.atproto.repo.getRecord",
                    write=False,
                    params={"repo": self._did(), "collection": POST, "rkey": rkey},
                )
            )
        except Rejected:
            return None

    def publish(self, request: PublishRequest) -> PublishResult:
        check_media(request.media, self.capabilities.max_media, self.capabilities.media_kinds)
        key = request.idempotency_key or f"sociable-{request.publication_id}"
        embed = self._upload(request)
        text = request.text
        if request.link and request.link not in text:
            text = f"{text}\n\n{request.link}"
        first = self._create(text, record_key(key), embed=embed)
        root = {"uri": first["uri"], "cid": first["cid"]}
        parent = root
        extra: dict[str, Any] = {"thread_uris": [], "cid": first["cid"]}
        for index, part in enumerate(request.thread, start=1):
            made = follow_up(
                extra,
                f"thread part {index}",
                partial(
                    self._create,
                    part,
                    record_key(key, index),
                    reply={"root": root, "parent": parent},
                ),
            )
            if made is None:
                break
            parent = {"uri": made["uri"], "cid": made["cid"]}
            extra["thread_uris"].append(made["uri"])
        if request.first_comment:
            made = follow_up(
                extra,
                "first comment",
                partial(
                    self._create,
                    request.first_comment,
                    record_key(key, 1000),
                    reply={"root": root, "parent": root},
                ),
            )
            if made is not None:
                extra["first_comment_uri"] = made["uri"]
        return PublishResult(remote_id=first["uri"], url=_web_url(first["uri"], self), extra=extra)

    def reconcile(self, request: PublishRequest) -> PublishResult | None:
        """Our record key answers it exactly: the record is there or it is not."""
        key = request.idempotency_key or f"sociable-{request.publication_id}"
        found = self._get(record_key(key))
        if found is None:
            return None
        return PublishResult(remote_id=found["uri"], url=_web_url(found["uri"], self))

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        # com.atproto.repo.listRecords {repo, collection, limit, reverse} -> {records:[...]}
        page = self._xrpc(
            "GET",
            "com.atproto.repo.listRecords",
            write=False,
            params={"repo": self._did(), "collection": POST, "limit": min(limit, 100)},
        )
        posts = []
        for row in page.get("records", []):
            value = row.get("value", {})
            created = value.get("createdAt")
            try:
                when = datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None
            except ValueError:
                when = None
            posts.append(
                RemotePost(
                    remote_id=row["uri"],
                    text=str(value.get("text", "")),
                    created_at=when,
                    url=_web_url(row["uri"], self),
                )
            )
        return posts

    # -- read side (app.bsky views, served through the PDS by its AppView) -----------------

    def account_metrics(self) -> Reading:
        # app.bsky.actor.getProfile?actor= -> profileViewDetailed: followersCount,
        # followsCount, postsCount (lexicons app/bsky/actor/getProfile.json, actor/defs.json)
        profile = self._xrpc(
            "GET", "app.bsky.actor.getProfile", write=False, params={"actor": self._did()}
        )
        return _reading(profile, "account", None)

    def post_metrics(self, remote_ids: list[str]) -> list[Reading]:
        # app.bsky.feed.getPosts?uris=..&uris=.. (<= 25) -> {posts: [postView]}; a post that is
        # gone is simply not in the answer (lexicons app/bsky/feed/getPosts.json)
        readings = []
        for start in range(0, len(remote_ids), self.posts_per_call):
            chunk = remote_ids[start : start + self.posts_per_call]
            body = self._xrpc("GET", "app.bsky.feed.getPosts", write=False, params={"uris": chunk})
            for view in body.get("posts", []) if isinstance(body, dict) else []:
                if isinstance(view, dict) and view.get("uri") in chunk:
                    readings.append(_reading(view, "post", str(view["uri"])))
        return readings

    def account_posts(self, cursor: str | None = None, limit: int = 40) -> PostPage:
        # app.bsky.feed.getAuthorFeed?actor=&limit=(<=100)&cursor=&filter=posts_with_replies
        # -> {feed: [{post, reason?}], cursor?}; an item with a repost ``reason`` is someone
        # else's post, left out (lexicons app/bsky/feed/getAuthorFeed.json)
        params: dict[str, Any] = {
            "actor": self._did(),
            "limit": min(limit, 100),
            "filter": "posts_with_replies",
        }
        if cursor:
            params["cursor"] = cursor
        body = self._xrpc("GET", "app.bsky.feed.getAuthorFeed", write=False, params=params)
        posts: list[RemotePost] = []
        readings: list[Reading] = []
        for item in body.get("feed", []):
            view = item.get("post") if isinstance(item, dict) else None
            if not isinstance(view, dict) or item.get("reason"):
                continue
            raw = view.get("record")
            record: dict[str, Any] = raw if isinstance(raw, dict) else {}
            posts.append(
                RemotePost(
                    remote_id=str(view["uri"]),
                    text=str(record.get("text", "")),
                    created_at=api_time(record.get("createdAt")),
                    url=_web_url(str(view["uri"]), self),
                    content_type=_content_type(record, self._did()),
                )
            )
            readings.append(_reading(view, "post", str(view["uri"])))
        next_cursor = body.get("cursor")
        return PostPage(tuple(posts), tuple(readings), str(next_cursor) if next_cursor else None)


def _content_type(record: dict[str, Any], did: str) -> str:
    """A post record's kind from its embed (lexicons app/bsky/embed/*): images (one, or a
    carousel of several), video, an external link card; else a reply to our own post (a
    thread), else text."""
    embed = _dict(record.get("embed"))
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        embed = _dict(embed.get("media"))
    kind = embed.get("$type")
    if kind == "app.bsky.embed.images":
        return "carousel" if len(embed.get("images") or []) > 1 else "image"
    if kind == "app.bsky.embed.video":
        return "video"
    if kind == "app.bsky.embed.external":
        return "link"
    parent = _dict(_dict(record.get("reply")).get("parent"))
    if str(parent.get("uri", "")).startswith(f"at://{did}/"):
        return "thread"
    return "text"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _reading(view: dict[str, Any], scope: str, remote_id: str | None) -> Reading:
    names = requestable(
        "bluesky", "post" if scope == "post" else "account", datetime.now(UTC).date()
    )
    values = {n: int(view[n]) for n in names if isinstance(view.get(n), int)}
    return Reading(values=values, api_version=BlueskyConnector.api_version, remote_id=remote_id)


def _web_url(uri: str, conn: BlueskyConnector) -> str:
    """at://did/app.bsky.feed.post/rkey -> the bsky.app page."""
    rkey = uri.rsplit("/", 1)[-1]
    who = conn.credentials.get("handle") or conn.credentials.get("did")
    return f"https://bsky.app/profile/{who}/post/{rkey}"


def _raise_for(response: httpx.Response, *, write: bool) -> None:
    """XRPC errors are ``{error, message}``; expired tokens come as 400 ExpiredToken."""
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = str(body.get("error", "")) if isinstance(body, dict) else ""
    message = str(body.get("message", "")) if isinstance(body, dict) else ""
    if error in ("ExpiredToken", "InvalidToken") or response.status_code == 401:
        raise AuthExpired(f"Bluesky session rejected: {error or response.status_code} {message}")
    if response.status_code == 429 or error == "RateLimitExceeded":
        raise RateLimited(f"Bluesky rate limit: {message}", _bsky_retry_after(response))
    if response.status_code < 500:
        raise Rejected(f"Bluesky refused it: {error} {message}".strip())
    check_status(response, write=write)


def _bsky_retry_after(response: httpx.Response) -> float | None:
    """``RateLimit-Reset`` is an epoch in seconds (atproto PDS rate limits)."""
    reset = response.headers.get("ratelimit-reset")
    if reset and reset.isdigit():
        return max(0.0, int(reset) - datetime.now(UTC).timestamp())
    return _retry_after(response)
