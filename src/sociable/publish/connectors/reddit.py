"""Reddit: a self or link post to one subreddit, a first comment, OAuth2 token refresh.

Credentials: ``{"token", "refresh_token", "client_id", "client_secret"}``; settings:
``{"subreddit", "username", "flair_id"}``. The first line of the text is the title (Reddit
needs one, at most 300 characters); the rest is the body. Docs: https://www.reddit.com/dev/api
(/api/submit, /api/comment, /api/v1/me, /user/{name}/submitted) and
https://github.com/reddit-archive/reddit/wiki/OAuth2 (refresh, User-Agent rules, rate limits).
Reddit reports most failures as HTTP 200 with ``json.errors``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial
from typing import Any, ClassVar, TypeGuard

import httpx

from sociable import __version__
from sociable.collect.metrics import requestable
from sociable.publish.connectors.base import (
    AuthExpired,
    Capabilities,
    Connector,
    PostPage,
    PublishRequest,
    PublishResult,
    RateLimited,
    Reading,
    Rejected,
    RemotePost,
    content_fingerprint,
)
from sociable.publish.connectors.http import (
    follow_up,
    json_of,
    keep_expiry,
    raise_for_rest,
    seconds_in,
    send,
)

API = "https://oauth.reddit.com"
API_VERSION = "oauth"
IDS_PER_CALL = 100  # /api/info takes up to 100 fullnames
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"  # noqa: S105 - a URL
MAX_TITLE = 300


def split_title(text: str) -> tuple[str, str]:
    """First line -> title (cut at 300), the rest -> body."""
    first, _, rest = text.strip().partition("\n")
    title = first.strip()
    if len(title) > MAX_TITLE:
        return title[: MAX_TITLE - 1] + "…", text.strip()
    return title, rest.strip()


class RedditConnector(Connector):
    network = "reddit"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_media=0,  # image posts need Reddit's undocumented media lease: not supported
        first_comment=True,
        token_refresh=True,
        account_metrics=True,
        post_metrics=True,
        account_posts=True,
    )

    def _headers(self) -> dict[str, str]:
        # Reddit asks for "<platform>:<app id>:<version> (by /u/<username>)"
        who = self.settings.get("username") or "unknown"
        return {
            "Authorization": f"Bearer {self.credentials.get('token', '')}",
            "User-Agent": f"server:sociable:{__version__} (by /u/{who})",
        }

    def _call(self, method: str, path: str, *, write: bool, **kwargs: Any) -> Any:
        response = send(
            self.http, method, API + path, write=write, headers=self._headers(), **kwargs
        )
        _raise_for(response, write=write)
        body = json_of(response, write=write)
        errors = body.get("json", {}).get("errors") if isinstance(body, dict) else None
        if errors:
            _raise_errors(errors, response)
        return body

    @property
    def subreddit(self) -> str:
        sub = str(self.settings.get("subreddit") or "").removeprefix("r/").removeprefix("/r/")
        if not sub:
            raise Rejected("Reddit account needs settings.subreddit")
        return sub

    def check(self) -> str:
        # GET /api/v1/me -> {name, ...}
        me = self._call("GET", "/api/v1/me", write=False)
        self.settings["username"] = me["name"]
        return "u/" + str(me["name"])

    def refresh(self) -> dict[str, Any] | None:
        """POST /api/v1/access_token grant_type=refresh_token, HTTP Basic client auth."""
        if not all(self.credentials.get(k) for k in ("refresh_token", "client_id")):
            return None
        response = send(
            self.http,
            "POST",
            TOKEN_URL,
            write=False,
            data={
                "grant_type": "refresh_token",
                "refresh_token": self.credentials["refresh_token"],
            },
            auth=(
                str(self.credentials["client_id"]),
                str(self.credentials.get("client_secret", "")),
            ),
            headers={"User-Agent": self._headers()["User-Agent"]},
        )
        _raise_for(response, write=False)
        body = json_of(response, write=False)
        if "access_token" not in body:
            raise AuthExpired(f"Reddit refused the refresh token: {body.get('error', body)}")
        self.credentials["token"] = body["access_token"]
        keep_expiry(self.credentials, body)
        if body.get("refresh_token"):
            self.credentials["refresh_token"] = body["refresh_token"]
        return dict(self.credentials)

    def publish(self, request: PublishRequest) -> PublishResult:
        if request.media:
            raise Rejected("Reddit image posts are not supported; post a link to the image")
        title, body = split_title(request.text)
        if not title:
            raise Rejected("Reddit needs a title: the first line of the text is empty")
        form: dict[str, str] = {
            "api_type": "json",
            "sr": self.subreddit,
            "title": title,
        }
        if self.settings.get("allow_resubmit"):  # else a link already in the sub is refused
            form["resubmit"] = "true"
        if request.link:
            form.update(kind="link", url=request.link)
            if body:
                form["text"] = body  # link posts may carry body text since 2023
        else:
            form.update(kind="self", text=body)
        if self.settings.get("flair_id"):
            form["flair_id"] = str(self.settings["flair_id"])
        # POST /api/submit -> {json: {errors: [], data: {url, id, name}}}
        data = self._call("POST", "/api/submit", write=True, data=form)["json"].get("data") or {}
        name = data.get("name")
        if not name:
            from sociable.publish.connectors.base import OutcomeUnknown

            raise OutcomeUnknown("Reddit accepted the submission without returning its id")
        extra: dict[str, Any] = {}
        if request.first_comment:
            # POST /api/comment {thing_id, text, api_type=json}
            comment = follow_up(
                extra,
                "first comment",
                partial(
                    self._call,
                    "POST",
                    "/api/comment",
                    write=True,
                    data={"api_type": "json", "thing_id": name, "text": request.first_comment},
                ),
            )
            if comment is not None:
                things = comment["json"].get("data", {}).get("things", [])
                if things:
                    extra["first_comment_id"] = things[0].get("data", {}).get("name")
        return PublishResult(remote_id=str(name), url=data.get("url"), extra=extra)

    def reconcile(self, request: PublishRequest) -> PublishResult | None:
        title, body = split_title(request.text)
        wanted = content_fingerprint(f"{title}\n{body}")
        for post in self.recent_posts(limit=40):
            if content_fingerprint(post.text) == wanted:
                return PublishResult(remote_id=post.remote_id, url=post.url)
        return None

    def _username(self) -> str:
        if not self.settings.get("username"):
            self.check()
        return str(self.settings["username"])

    def _submitted(self, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        # GET /user/{username}/submitted?limit=(<=100)&after= -> Listing {data: {children:
        # [{kind: "t3", data: Link}], after}} (docs: dev/api#GET_user_{username}_{where})
        params: dict[str, Any] = {"limit": min(limit, 100), "raw_json": 1}
        if cursor:
            params["after"] = cursor
        listing = self._call(
            "GET", f"/user/{self._username()}/submitted", write=False, params=params
        )
        after = (listing.get("data") or {}).get("after")
        return _links(listing), str(after) if after else None

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        return [_remote_post(row) for row in self._submitted(None, limit)[0]]

    # -- read side -------------------------------------------------------------------------

    def account_metrics(self) -> Reading:
        # GET /api/v1/me -> {name, link_karma, comment_karma, total_karma, subreddit:
        # {subscribers, ...} (the profile, when the user has one)}: followers only there
        me = self._call("GET", "/api/v1/me", write=False)
        profile = me.get("subreddit") if isinstance(me.get("subreddit"), dict) else {}
        values: dict[str, int] = {}
        for name in requestable("reddit", "account", _today()):
            value = me.get(name, profile.get(name))
            if _is_int(value):
                values[name] = value
        return Reading(values=values, api_version=API_VERSION)

    def post_metrics(self, remote_ids: list[str]) -> list[Reading]:
        # GET /api/info?id=t3_a,t3_b -> Listing of Links; a deleted or removed post is not
        # in it (or comes back with its author "[deleted]"): left out
        readings = []
        for start in range(0, len(remote_ids), IDS_PER_CALL):
            chunk = remote_ids[start : start + IDS_PER_CALL]
            listing = self._call(
                "GET", "/api/info", write=False, params={"id": ",".join(chunk), "raw_json": 1}
            )
            readings += [
                _reading(row)
                for row in _links(listing)
                if row.get("name") in chunk and row.get("author") != "[deleted]"
            ]
        return readings

    def account_posts(self, cursor: str | None = None, limit: int = 40) -> PostPage:
        rows, after = self._submitted(cursor, limit)
        posts = tuple(_remote_post(row) for row in rows)
        return PostPage(posts, tuple(_reading(row) for row in rows), after)


def _today() -> date:
    return datetime.now(UTC).date()


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _links(listing: Any) -> list[dict[str, Any]]:
    children = (listing.get("data") or {}).get("children") if isinstance(listing, dict) else None
    return [
        child["data"]
        for child in children or []
        if isinstance(child, dict)
        and child.get("kind") == "t3"
        and isinstance(child.get("data"), dict)
        and child["data"].get("name")
    ]


def _reading(row: dict[str, Any]) -> Reading:
    """A Link's counts; ``upvote_ratio`` (a 0-1 fraction) is kept per mille, as an int."""
    values: dict[str, int] = {}
    for name in requestable("reddit", "post", _today()):
        value = row.get(name)
        if (
            name == "upvote_ratio"
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            values[name] = round(float(value) * 1000)
        elif _is_int(value):
            values[name] = value
    return Reading(values=values, api_version=API_VERSION, remote_id=str(row["name"]))


def _content_type(row: dict[str, Any]) -> str:
    if row.get("is_gallery"):
        return "carousel"
    if row.get("is_video") or row.get("post_hint") in ("hosted:video", "rich:video"):
        return "video"
    if row.get("post_hint") == "image":
        return "image"
    if row.get("is_self"):
        return "text"
    return "link"


def _remote_post(row: dict[str, Any]) -> RemotePost:
    created = row.get("created_utc")
    return RemotePost(
        remote_id=str(row.get("name")),
        text=f"{row.get('title', '')}\n{row.get('selftext', '')}",
        created_at=datetime.fromtimestamp(created, UTC)
        if isinstance(created, int | float)
        else None,
        url="https://www.reddit.com" + str(row.get("permalink", "")),
        content_type=_content_type(row),
    )


def _raise_errors(errors: list[Any], response: httpx.Response) -> None:
    """``[["RATELIMIT", "Take a break for 5 minutes...", "ratelimit"], ...]``."""
    first = errors[0] if isinstance(errors[0], list) else [str(errors[0])]
    code = str(first[0])
    message = " ".join(str(part) for part in first[1:2]) or code
    if code == "RATELIMIT":
        raise RateLimited(f"Reddit: {message}", seconds_in(message))
    if code in ("USER_REQUIRED", "INVALID_TOKEN"):
        raise AuthExpired(f"Reddit: {message}")
    if code == "ALREADY_SUB":
        raise Rejected(f"Reddit refused a duplicate link: {message}")
    raise Rejected(f"Reddit refused it ({code}): {message}")


def _raise_for(response: httpx.Response, *, write: bool) -> None:
    # x-ratelimit-reset is seconds until the window resets (Reddit API rules)
    raise_for_rest(response, write=write, network="Reddit", detail=response.text[:200])
