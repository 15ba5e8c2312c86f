"""The connector interface every network implements, and the typed failures it raises.

Modelled on Postiz providers: one file per network, declared capabilities, one interface.
The dispatcher only ever sees these types, so a state transition depends on *what* went
wrong, never on a network's own error strings:

- :class:`RateLimited` -> retry after ``retry_after`` seconds (``failed_retryable``)
- :class:`AuthExpired` -> refresh the token once, else ``failed`` with "reconnect the account"
- :class:`Rejected`    -> the network said no for good (``failed`` with its reason)
- :class:`Transient`   -> nothing was created (connect error, 5xx before acceptance): retry
- :class:`OutcomeUnknown` -> the request may have been applied (timeout after sending):
  ``unknown``, resolved by :meth:`Connector.reconcile`, never blindly retried
"""

from __future__ import annotations

import hashlib
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from sociable.errors import SociableError


class ConnectorError(SociableError):
    """Base of the typed failures a connector raises."""


class RateLimited(ConnectorError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthExpired(ConnectorError):
    """The token is expired or revoked; refreshing may help once."""


class Rejected(ConnectorError):
    """The network refused the content or the request for good."""


class Transient(ConnectorError):
    """A failure known to have created nothing; safe to retry."""


class OutcomeUnknown(ConnectorError):
    """The request may or may not have been applied; reconcile before any retry."""


class NotSupported(ConnectorError):
    """This network (or this connector, so far) cannot do that read; not a failure to retry."""


@dataclass(frozen=True)
class Capabilities:
    text: bool = True
    max_media: int = 0
    media_kinds: frozenset[str] = frozenset()  # {"image", "video", "gif"}
    threads: bool = False
    first_comment: bool = False
    idempotency_key: bool = False  # the network de-duplicates a retried request
    client_record_key: bool = False  # we choose the post's id, so a retry cannot duplicate
    delete: bool = False
    token_refresh: bool = False
    # The read side (see Connector.account_metrics and friends).
    account_metrics: bool = False
    post_metrics: bool = False
    account_posts: bool = False
    # Account metrics are running totals at the time read (followers now), not counts for a
    # period: history is built from dated snapshots, never by adding readings up.
    account_metrics_are_totals: bool = True


@dataclass(frozen=True)
class MediaItem:
    path: Path
    mime_type: str
    alt_text: str = ""


@dataclass(frozen=True)
class PublishRequest:
    """One publication: already adapted and linted for this network."""

    publication_id: int
    text: str
    media: tuple[MediaItem, ...] = ()
    thread: tuple[str, ...] = ()  # further parts after ``text``
    first_comment: str | None = None
    link: str | None = None
    # Stable per publication across retries: used as the Idempotency-Key / record key.
    idempotency_key: str = ""

    @property
    def fingerprint(self) -> str:
        return content_fingerprint(self.text)


@dataclass(frozen=True)
class PublishResult:
    remote_id: str
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemotePost:
    """A post read back from the network, for reconciliation."""

    remote_id: str
    text: str
    created_at: datetime | None = None
    url: str | None = None
    # What kind of post it is, in sociable.analytics.measures.CONTENT_TYPES ("text", "link",
    # "image", "video", "carousel", "thread", ...); None when the network does not say.
    content_type: str | None = None


@dataclass(frozen=True)
class Reading:
    """Metric values read in one call: ``{name: value}`` with what the network said of them.

    ``remote_id`` is the post they belong to (None: the account). ``fresh_as_of`` is the
    time the network says the numbers hold for (None: live, as of the read).
    """

    values: dict[str, int]
    api_version: str
    remote_id: str | None = None
    fresh_as_of: datetime | None = None
    # Names the network refused (renamed or dropped): edit collect/metrics.toml.
    refused: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostPage:
    """One page of the account's own posts (wherever they were made), newest first, each with
    its metrics; ``cursor`` fetches the next (older) page, None at the end."""

    posts: tuple[RemotePost, ...]
    readings: tuple[Reading, ...]
    cursor: str | None


def api_time(value: Any) -> datetime | None:
    """An API's ISO 8601 timestamp (``...Z`` included) as a datetime; None if absent or bad."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def content_fingerprint(text: str) -> str:
    """A hash of the text that survives the network's own normalisation (case, spaces, NFC)."""
    norm = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return hashlib.sha256(norm.encode()).hexdigest()[:32]


class Connector(ABC):
    """One network account. ``credentials`` are decrypted; ``settings`` are plain."""

    network: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def __init__(
        self,
        credentials: dict[str, Any],
        settings: dict[str, Any],
        http: httpx.Client,
    ) -> None:
        self.credentials = credentials
        self.settings = settings
        self.http = http

    @abstractmethod
    def publish(self, request: PublishRequest) -> PublishResult:
        """Create the post (and its thread, media, first comment); raise a ConnectorError."""

    @abstractmethod
    def check(self) -> str:
        """Verify the credentials; return the account's handle as the network reports it."""

    def reconcile(self, request: PublishRequest) -> PublishResult | None:
        """After OutcomeUnknown: the post if the network has it, None if it surely does not.

        The default reads recent posts and matches the content fingerprint.
        """
        return self.find_recent(request.text)

    def find_recent(self, *texts: str, limit: int = 40) -> PublishResult | None:
        """The recent post whose fingerprint matches one of ``texts`` (the network may have
        shown the text with the link appended, so a connector can offer both forms)."""
        wanted = {content_fingerprint(text) for text in texts}
        for post in self.recent_posts(limit=limit):
            if content_fingerprint(post.text) in wanted:
                return PublishResult(remote_id=post.remote_id, url=post.url)
        return None

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        raise NotImplementedError(f"{self.network} cannot list recent posts")

    def refresh(self) -> dict[str, Any] | None:
        """New credentials when the token can be refreshed, else None."""
        return None

    # -- read side: optional abilities, NotSupported unless a network implements them ------

    def account_metrics(self) -> Reading:
        """The account's counts now (followers, following, posts), names from the catalog."""
        raise NotSupported(f"{self.network}: account metrics are not read yet")

    def post_metrics(self, remote_ids: list[str]) -> list[Reading]:
        """The metrics of these posts (ours or not); a post the network no longer has is
        left out of the result rather than failing the rest."""
        raise NotSupported(f"{self.network}: post metrics are not read yet")

    def account_posts(self, cursor: str | None = None, limit: int = 40) -> PostPage:
        """The account's posts made anywhere (not only through us), a page at a time."""
        raise NotSupported(f"{self.network}: listing the account's posts is not read yet")


def classify_response(response: httpx.Response, *, sent: bool = True) -> None:
    """Raise the typed error for a failed HTTP response; return for 2xx/3xx.

    Shared by connectors so that 429/401/4xx/5xx mean the same everywhere. A 5xx after the
    request was sent is OutcomeUnknown for writes: the server may have applied it.
    """
    status = response.status_code
    if status < 400:
        return
    detail = response.text[:300].strip()
    if status == 429:
        raise RateLimited(f"rate limited (HTTP 429): {detail}", _retry_after(response))
    if status == 401:
        raise AuthExpired(f"token rejected (HTTP 401): {detail}")
    if status in (408, 502, 503, 504) or status >= 500:
        if sent:
            raise OutcomeUnknown(f"HTTP {status} after sending: {detail}")
        raise Transient(f"HTTP {status}: {detail}")
    raise Rejected(f"HTTP {status}: {detail}")


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait, from ``Retry-After`` or the network's rate-limit reset header.

    ``Retry-After`` is seconds or an HTTP date (RFC 9110). The reset headers differ: X sends
    ``x-rate-limit-reset`` as an epoch timestamp, Reddit ``x-ratelimit-reset`` as seconds,
    Mastodon ``X-RateLimit-Reset`` as an ISO 8601 time. A number above 10^9 is read as an
    epoch (no network asks for a 31-year wait).
    """
    from datetime import UTC
    from email.utils import parsedate_to_datetime

    now = datetime.now(UTC)
    value = response.headers.get("retry-after")
    if value is not None:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, (when - now).total_seconds())
    reset = response.headers.get("x-rate-limit-reset") or response.headers.get("x-ratelimit-reset")
    if reset is None:
        return None
    reset = reset.strip()
    try:
        number = float(reset)
    except ValueError:
        try:
            when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    if number > 1e9:
        return max(0.0, number - now.timestamp())
    return max(0.0, number)
