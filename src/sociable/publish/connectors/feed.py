"""Feed: "publish" by adding an entry to an RSS or Atom file that a site serves.

Account settings: ``path`` (the feed file to write, e.g. ``public/social.xml``), ``format``
(``atom`` or ``rss``; default from the extension), ``title``, ``link`` (the site),
``media_base_url`` (public URL of the media folder, for enclosures), ``max_entries`` (50).

Entries live in a JSON file beside the feed (``<path>.entries.json``); the feed is rendered
from it with feedgen and both are replaced atomically under a file lock, so concurrent
workers never interleave. The entry id is the publication's idempotency key: sending the
same publication twice replaces its entry, which makes a retry safe.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from feedgen.feed import FeedGenerator

from sociable.publish.connectors.base import (
    Capabilities,
    Connector,
    PublishRequest,
    PublishResult,
    Rejected,
    RemotePost,
)

DEFAULT_MAX_ENTRIES = 50


class FeedConnector(Connector):
    network: ClassVar[str] = "feed"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text=True,
        max_media=4,
        media_kinds=frozenset({"image", "video", "gif"}),
        threads=True,
        idempotency_key=True,
        client_record_key=True,
        delete=True,
    )

    # -- settings --------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        value = self.settings.get("path")
        if not value or not isinstance(value, str):
            raise Rejected("feed account has no path: set the file the feed is written to")
        return Path(value)

    @property
    def format(self) -> str:
        fmt = str(self.settings.get("format") or "").lower()
        if not fmt:
            fmt = "rss" if self.path.suffix.lower() in (".rss",) else "atom"
        if fmt not in ("atom", "rss"):
            raise Rejected(f"feed format {fmt!r}: use atom or rss")
        return fmt

    @property
    def entries_path(self) -> Path:
        return self.path.with_name(self.path.name + ".entries.json")

    @property
    def max_entries(self) -> int:
        try:
            return max(1, int(self.settings.get("max_entries") or DEFAULT_MAX_ENTRIES))
        except (TypeError, ValueError):
            return DEFAULT_MAX_ENTRIES

    # -- storage ---------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(self.path.with_name(self.path.name + ".lock"), "a+b")  # noqa: SIM115
        except OSError as exc:
            raise Rejected(f"feed {self.path}: cannot write: {exc.strerror}") from exc
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.entries_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise Rejected(f"feed entries {self.entries_path} are unreadable: {exc}") from exc
        return (
            [e for e in data if isinstance(e, dict) and "id" in e] if isinstance(data, list) else []
        )

    def _write_atomic(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _entry_url(self, key: str, link: str | None) -> str:
        site = str(self.settings.get("link") or "").rstrip("/")
        return link or (f"{site}/#{key}" if site else f"urn:sociable:{key}")

    def render(self, entries: list[dict[str, Any]]) -> bytes:
        """The feed document for ``entries`` (newest first)."""
        fg = FeedGenerator()
        site = str(self.settings.get("link") or "https://example.invalid/")
        title = str(self.settings.get("title") or "Posts")
        fg.id(str(self.settings.get("feed_id") or site))
        fg.title(title)
        fg.link(href=site, rel="alternate")
        fg.description(str(self.settings.get("description") or title))
        fg.language(str(self.settings.get("language") or "en"))
        base = str(self.settings.get("media_base_url") or "").rstrip("/")
        for entry in reversed(entries):  # feedgen prepends: oldest first in, newest first out
            fe = fg.add_entry()
            fe.id(f"urn:sociable:{entry['id']}")
            fe.guid(f"urn:sociable:{entry['id']}", permalink=False)
            fe.title(entry["title"])
            fe.link(href=entry["url"], rel="alternate")
            fe.content(entry["text"], type="text")
            fe.description(entry["text"])
            when = datetime.fromisoformat(entry["published"])
            fe.published(when)
            fe.updated(when)
            if base:
                # RSS allows one enclosure. Not in Atom: feedgen 1.0 drops the rel of entry
                # links, so an enclosure would read as a second alternate link.
                for media in entry.get("media", [])[:1] if self.format == "rss" else []:
                    fe.enclosure(f"{base}/{media['file']}", "0", media["mime_type"])
        if self.format == "rss":
            return bytes(fg.rss_str(pretty=True))
        return bytes(fg.atom_str(pretty=True))

    # -- the connector ---------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        key = request.idempotency_key or str(request.publication_id)
        text = "\n\n".join([request.text, *request.thread])
        first_line = (request.text.strip().splitlines() or [""])[0]
        entry = {
            "id": key,
            "title": first_line[:80] + ("…" if len(first_line) > 80 else ""),
            "text": text,
            "url": self._entry_url(key, request.link),
            "published": datetime.now(UTC).isoformat(),
            "media": [
                {"file": m.path.name, "mime_type": m.mime_type, "alt": m.alt_text}
                for m in request.media
            ],
        }
        with self._locked():
            entries = [e for e in self._read() if e["id"] != key]
            entries.insert(0, entry)
            entries = entries[: self.max_entries]
            try:
                self._write_atomic(
                    self.entries_path, json.dumps(entries, ensure_ascii=False).encode()
                )
                self._write_atomic(self.path, self.render(entries))
            except OSError as exc:
                raise Rejected(f"feed {self.path}: cannot write: {exc.strerror}") from exc
        return PublishResult(remote_id=key, url=str(entry["url"]))

    def recent_posts(self, limit: int = 40) -> list[RemotePost]:
        return [
            RemotePost(
                remote_id=e["id"],
                text=e["text"],
                created_at=datetime.fromisoformat(e["published"]),
                url=e.get("url"),
            )
            for e in self._read()[:limit]
        ]

    def reconcile(self, request: PublishRequest) -> PublishResult | None:
        """The entries file is the truth: the key is there or it is not."""
        key = request.idempotency_key or str(request.publication_id)
        for entry in self._read():
            if entry["id"] == key:
                return PublishResult(remote_id=key, url=entry.get("url"))
        return None

    def delete(self, remote_id: str) -> None:
        with self._locked():
            entries = [e for e in self._read() if e["id"] != remote_id]
            self._write_atomic(self.entries_path, json.dumps(entries, ensure_ascii=False).encode())
            self._write_atomic(self.path, self.render(entries))

    def check(self) -> str:
        with self._locked():
            if not os.access(self.path.parent, os.W_OK):
                raise Rejected(f"feed folder {self.path.parent} is not writable")
        return str(self.path)
