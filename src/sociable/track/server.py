"""The redirect server: a bare ASGI app, because every microsecond is per click.

``GET|HEAD /{code}`` answers 302 to the link's registered destination (never anything else:
no open redirect) with ``sc_cid`` appended, after the click is in the write-ahead log
(:mod:`sociable.track.clicklog`). Unknown, disabled and expired codes get 404; a client that
collects too many 404s in a minute gets 429 for unknown codes (code enumeration).

Also served: ``POST /c`` (signed conversion postback), ``GET /p.gif`` (pixel), ``GET /s.js``
(the click-id script) and ``GET /healthz``.

Mount it anywhere (``Mount("/l", app)``): the mount's ``root_path`` and the path of
``track.base_url`` are both stripped. Lifespan events start it; a mounted copy, which gets no
lifespan events, starts itself on its first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from sqlalchemy import select

from sociable.config import Settings, TrackSettings
from sociable.errors import UserError
from sociable.store.db import Database
from sociable.store.models.track import ShortLink
from sociable.track import pixel
from sociable.track.changes import WATCH_EVERY, link_version
from sociable.track.clickids import ClickIds
from sociable.track.clicklog import ClickLog
from sociable.track.conversions import SIGNATURE_HEADER, parse_conversion, verify_postback
from sociable.track.enrich import MAX_UA, country
from sociable.track.flusher import Flusher, FlusherProcess
from sociable.track.links import CODE_RE
from sociable.track.salts import day_of, salt_for, visitor_hash

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
CACHE_MAX = 100_000
NEGATIVE_TTL = 5.0
LIMITER_MAX = 100_000
BACKLOG_WAIT = 10.0
BACKLOG_EVERY = 0.01

_NO_STORE = (b"cache-control", b"no-store")
_TEXT = (b"content-type", b"text/plain; charset=utf-8")


class _Entry:
    __slots__ = ("expires", "fragment", "link_id", "location", "until")

    def __init__(self, link_id: int, destination: str, expires: float | None, until: float):
        # Browsers and proxies want ASCII in Location; encode anything else once, here.
        safe = quote(destination, safe="!#$%&'()*+,/:;=?@[]~-._")
        base, sep, frag = safe.partition("#")
        self.link_id = link_id
        self.location = (base + ("&" if "?" in base else "?") + "sc_cid=").encode("ascii")
        self.fragment = (sep + frag).encode("ascii")
        self.expires = expires
        self.until = until

    def live(self, now: float) -> bool:
        return self.expires is None or self.expires > now


class NotFoundLimiter:
    """Counts 404s per client per minute, in bounded memory."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._counts: dict[bytes, tuple[int, int]] = {}

    def blocked(self, key: bytes, minute: int) -> bool:
        found = self._counts.get(key)
        return found is not None and found[0] == minute and found[1] >= self.per_minute

    def hit(self, key: bytes, minute: int) -> None:
        found = self._counts.get(key)
        count = found[1] + 1 if found is not None and found[0] == minute else 1
        self._counts[key] = (minute, count)
        if len(self._counts) > LIMITER_MAX:
            for old in list(self._counts)[: LIMITER_MAX // 10]:
                del self._counts[old]


class TrackApp:
    """One redirect server process: link cache, click log, flusher."""

    def __init__(
        self,
        db: Database,
        settings: TrackSettings,
        *,
        workspace_id: int,
        log_dir: Path,
        clock: Callable[[], float] = time.time,
        flusher: str = "thread",
        currency: str = "USD",
    ) -> None:
        """``flusher="process"`` copies clicks in a child process (``track serve`` does);
        ``"thread"`` keeps everything in one process (tests, the mounted copy).
        ``currency``: ``[money] currency``, for conversions that name none."""
        self.currency = currency
        self.db = db
        self.settings = settings
        self.workspace_id = workspace_id
        self.clock = clock
        self.prefix = urlsplit(settings.base_url).path.rstrip("/")
        self.log = ClickLog(log_dir)
        kind = FlusherProcess if flusher == "process" else Flusher
        self.flusher: Flusher | FlusherProcess = kind(
            db,
            log_dir,
            interval=settings.flush_interval,
            batch_size=settings.batch_size,
            currency=currency,
        )
        self.limiter = NotFoundLimiter(settings.not_found_per_minute)
        self._cache: dict[str, tuple[_Entry | None, float]] = {}
        self._limiter_key = secrets.token_bytes(16)
        self._salt_day = -1
        self._salt = b""
        self._ids = ClickIds()
        self._link_version = 0
        self._generation = 0  # bumped each time the cache is dropped
        self._watching = threading.Event()
        self._watcher: threading.Thread | None = None
        self._backlog_checked = float("-inf")
        self._backlog_ok = True
        self._started = False
        self._start_lock = threading.Lock()
        self._country = (settings.country_header or "").lower().encode() or None
        self._client_ip = (settings.client_ip_header or "").lower().encode() or None
        self._script = pixel.script(settings.cookie_days)
        secret = settings.postback_secret
        self._secret = secret.get_secret_value() if secret else None

    @classmethod
    def from_settings(
        cls, db: Database, settings: Settings, *, workspace_id: int, flusher: str = "thread"
    ) -> TrackApp:
        """The app for a config: ``track.log_dir`` relative to the config's folder.

        ``sociable serve`` mounts this (one process, flusher thread); ``sociable track serve``
        runs it alone with ``flusher="process"``.
        """
        directory = Path(settings.track.log_dir)
        if not directory.is_absolute():
            directory = settings.base_dir / directory
        return cls(
            db,
            settings.track,
            workspace_id=workspace_id,
            log_dir=directory,
            flusher=flusher,
            currency=settings.money.currency,
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        with self._start_lock:
            if self._started:
                return
            self.log.open()
            self.flusher.start()
            self._link_version = link_version(self.db)
            self._watching.clear()
            self._watcher = threading.Thread(
                target=self._watch, name="sociable-track-links", daemon=True
            )
            self._watcher.start()
            self._started = True

    def stop(self) -> None:
        with self._start_lock:
            if not self._started:
                return
            self._watching.set()
            if self._watcher is not None:
                self._watcher.join(timeout=10)
            self.flusher.stop()
            self.log.close()
            self._started = False

    def _watch(self) -> None:
        """Drop the link cache when links were changed or deleted (see sociable.track.changes)."""
        while not self._watching.wait(WATCH_EVERY):
            try:
                version = link_version(self.db)
            except Exception:  # the database is away: keep serving from the cache
                log.warning("cannot read the link version; keeping the cache", exc_info=True)
                continue
            if version != self._link_version:
                self._link_version = version
                self._generation += 1
                self._cache = {}

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await asyncio.to_thread(self.start)
                except UserError as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(self.stop)
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":
            return
        try:
            if not self._started:
                await asyncio.to_thread(self.start)
            await self._http(scope, receive, send)
        except Exception:  # never a 5xx page with a traceback; the error goes to the log
            log.exception("track request failed")
            with contextlib.suppress(Exception):  # the response may have started already
                await _respond(send, 503, b"try again\n", [_TEXT, (b"retry-after", b"1")])

    def _strip(self, path: str, root: str) -> str:
        """``/code`` whatever the mount point and the path of ``track.base_url``."""
        if root and path.startswith(root):
            path = path[len(root) :]
        if self.prefix and path.startswith(self.prefix + "/"):
            path = path[len(self.prefix) :]
        return path

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = self._strip(scope["path"], scope.get("root_path", ""))
        name = path[1:]
        method: str = scope["method"]
        if name == "c":
            if method != "POST":
                await _respond(send, 405, b"use POST\n", [_TEXT, (b"allow", b"POST")])
                return
            await self._postback(scope, receive, send)
            return
        if method not in ("GET", "HEAD"):
            await _respond(send, 405, b"", [(b"allow", b"GET, HEAD")])
            return
        head = method == "HEAD"
        if name == "p.gif":
            await self._pixel(scope, send, head)
        elif name == "s.js":
            headers = [
                (b"content-type", b"application/javascript; charset=utf-8"),
                (b"cache-control", b"public, max-age=3600"),
            ]
            await _respond(
                send, 200, b"" if head else self._script, headers, length=len(self._script)
            )
        elif name == "healthz":
            await _respond(send, 200, b"ok\n", [_TEXT, _NO_STORE])
        else:
            await self._redirect(scope, send, name, head)

    # -- redirects -------------------------------------------------------------------------

    def _lookup(self, code: str) -> _Entry | None:
        with self.db.read_session() as session:  # never queued behind a writer
            link = session.scalar(select(ShortLink).where(ShortLink.code == code))
            if link is None or link.disabled:
                return None
            expires = link.expires_at.timestamp() if link.expires_at else None
            return _Entry(link.id, link.destination, expires, 0.0)

    def _client_key(self, ip: str) -> bytes:
        """The rate limiter's key: a hash (with a per-process key) rather than the address."""
        return visitor_hash(self._limiter_key, ip, "").encode()

    async def _entry(self, code: str, now: float, ip: str, minute: int) -> _Entry | None:
        """The cached link, or a database lookup unless this client is over its 404 budget."""
        found = self._cache.get(code)
        if found is not None and found[1] > now:
            return found[0]
        if self.limiter.blocked(self._client_key(ip), minute):
            raise _Limited
        generation = self._generation
        entry = await asyncio.to_thread(self._lookup, code)
        if generation != self._generation:  # links changed meanwhile: this may be stale
            return entry
        ttl = self.settings.cache_ttl if entry is not None else NEGATIVE_TTL
        self._cache[code] = (entry, now + ttl)
        if len(self._cache) > CACHE_MAX:
            for old in list(self._cache)[: CACHE_MAX // 10]:
                del self._cache[old]
        return entry

    async def _daily_salt(self, now: float) -> None:
        day = int(now // 86400)
        if day != self._salt_day:
            self._salt = await asyncio.to_thread(salt_for, self.db, day_of(now))
            self._salt_day = day

    def _click_headers(
        self, headers: list[tuple[bytes, bytes]], peer: str
    ) -> tuple[str, str, str, str]:
        """User agent, referrer, country and client address, each cut to a safe length."""
        ua = referer = cc = ip = ""
        for key, value in headers:
            if key == b"user-agent":
                ua = value[:MAX_UA].decode("latin-1")
            elif key == b"referer":
                referer = value[:2048].decode("latin-1")
            elif key == self._country:
                cc = value[:8].decode("latin-1")
            elif key == self._client_ip:
                ip = value[:200].decode("latin-1").split(",")[0].strip()[:64]
        return ua, referer, cc, ip or peer

    def _click(
        self, entry: _Entry, code: str, now: float, head: bool, who: tuple[str, str, str, str]
    ) -> tuple[bytes, bytes]:
        """The click's log record and the Location to answer with, once it is logged.

        The record is built by hand (only the free-text fields need JSON escaping): it is the
        costliest step a redirect has left after the log write itself.
        """
        ua, referer, cc, ip = who
        cid = self._ids.new(now)
        co = country(cc) if cc else None
        line = (  # flusher.CLICK_RECORD
            f'["k","{cid}",{entry.link_id},"{code}",{now!r},'
            f"{_json_str(referer) if referer else 'null'},{_json_str(ua)},"
            f'{_json_str(co) if co else "null"},"{visitor_hash(self._salt, ip, ua)}",'
            f"{'true' if head else 'false'}]\n"
        )
        return line.encode(), entry.location + cid.encode() + entry.fragment

    def quick_redirect(
        self, path: str, head: bool, headers: list[tuple[bytes, bytes]], peer: str
    ) -> tuple[bytes, bytes] | None:
        """A redirect that needs no waiting: its log record and Location; else None.

        For front ends that answer on the spot (:mod:`sociable.track.http1`): a cached, live
        link, today's salt known, the flusher keeping up. The caller must get the record into
        :attr:`log` before it sends the answer. Anything else (an unknown or uncached code, a
        404, backpressure) goes through the ASGI app, which may wait.
        """
        code = self._strip(path, "")[1:]
        now = self.clock()
        found = self._cache.get(code)
        if found is None or found[1] <= now:
            return None
        entry = found[0]
        if (
            entry is None
            or not entry.live(now)
            or int(now // 86400) != self._salt_day
            or not self._keeping_up()
        ):
            return None
        return self._click(entry, code, now, head, self._click_headers(headers, peer))

    def _keeping_up(self) -> bool:
        """Whether the flusher's backlog is under the limit, read at most every BACKLOG_EVERY
        seconds (reading it costs about as much as a tenth of a redirect)."""
        now = time.monotonic()
        if now >= self._backlog_checked + BACKLOG_EVERY:
            self._backlog_checked = now
            self._backlog_ok = self.flusher.pending <= self.settings.max_backlog_bytes
        return self._backlog_ok

    async def _redirect(self, scope: Scope, send: Send, code: str, head: bool) -> None:
        now = self.clock()
        client = scope.get("client")
        who = self._click_headers(scope["headers"], client[0] if client else "")
        ip = who[3]
        minute = int(now // 60)
        if len(code) > 64 or not CODE_RE.fullmatch(code):
            await self._not_found(send, self._client_key(ip), minute)
            return
        try:
            entry = await self._entry(code, now, ip, minute)
        except _Limited:
            await _respond(
                send, 429, b"too many unknown codes\n", [_TEXT, _NO_STORE, (b"retry-after", b"60")]
            )
            return
        if entry is None or not entry.live(now):
            await self._not_found(send, self._client_key(ip), minute)
            return
        await self._daily_salt(now)
        line, location = self._click(entry, code, now, head, who)
        await self._append(line)
        await send(
            {
                "type": "http.response.start",
                "status": 302,
                "headers": [(b"location", location), _NO_STORE, (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _append(self, line: bytes) -> None:
        """Write ahead; when the flusher is far behind, wait for it (backpressure)."""
        limit = self.settings.max_backlog_bytes
        if self.flusher.pending > limit:
            self.flusher.wake()
            deadline = time.monotonic() + BACKLOG_WAIT
            while self.flusher.pending > limit // 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        self.log.append(line)

    async def _not_found(self, send: Send, client: bytes, minute: int) -> None:
        self.limiter.hit(client, minute)
        await _respond(send, 404, b"no such link\n", [_TEXT, _NO_STORE])

    # -- conversions -----------------------------------------------------------------------

    async def _pixel(self, scope: Scope, send: Send, head: bool) -> None:
        headers = [(b"content-type", b"image/gif"), _NO_STORE]
        query = scope.get("query_string", b"")[:4096].decode("latin-1")
        params = dict(parse_qsl(query, max_num_fields=10))
        try:
            conversion = parse_conversion(params, default_currency=self.currency)
        except (UserError, ValueError) as exc:
            headers.append((b"x-sociable-error", str(exc)[:200].encode("ascii", "replace")))
        else:
            if not head:
                record = conversion.record(
                    workspace_id=self.workspace_id, source="pixel", at=self.clock()
                )
                await self._append(json.dumps(record).encode() + b"\n")
        await _respond(send, 200, b"" if head else pixel.GIF, headers, length=len(pixel.GIF))

    async def _postback(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_BODY:
                await _json(send, 413, {"error": f"body over {MAX_BODY} bytes"})
                return
            if not message.get("more_body"):
                break
        headers = {k.lower(): v.decode("latin-1") for k, v in scope["headers"]}
        ok = verify_postback(
            self._secret,
            authorization=headers.get(b"authorization"),
            signature=headers.get(SIGNATURE_HEADER.encode()),
            body=bytes(body),
        )
        if not ok:
            why = "bad signature" if self._secret else "postbacks are not configured"
            await _json(send, 401 if self._secret else 403, {"error": why})
            return
        try:
            if headers.get(b"content-type", "").startswith("application/x-www-form-urlencoded"):
                data: Any = dict(parse_qsl(body.decode(), max_num_fields=20))
            else:
                data = json.loads(body)
            if not isinstance(data, dict):
                raise UserError("body must be a JSON object")
            conversion = parse_conversion(data, default_currency=self.currency)
        except (UserError, ValueError) as exc:
            await _json(send, 400, {"error": str(exc)})
            return
        record = conversion.record(
            workspace_id=self.workspace_id, source="postback", at=self.clock()
        )
        await self._append(json.dumps(record).encode() + b"\n")
        await _json(send, 202, {"ok": True, "order_id": conversion.order_id})


_json_str: Callable[[str], str] = encode_basestring_ascii


class _Limited(Exception):
    pass


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    *,
    length: int | None = None,
) -> None:
    size = len(body) if length is None else length
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(size).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _json(send: Send, status: int, data: dict[str, Any]) -> None:
    body = json.dumps(data).encode()
    await _respond(send, status, body, [(b"content-type", b"application/json"), _NO_STORE])
