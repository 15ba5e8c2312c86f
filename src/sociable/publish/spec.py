"""A post to schedule, as a person writes it: Markdown with YAML front matter, or a CSV row.

Front matter fields (all optional except ``accounts``)::

    ---
    accounts: [mastodon:@acme@mastodon.social, bluesky]   # network:handle, handle or network
    when: 2026-12-01 09:00 Europe/Paris                   # or an offset; none: workspace zone
    media: [img/launch.png]                               # relative to the file
    alt: ["The new bike, side view"]                      # pairs with media by position
    first_comment: "Details: https://acme.example/bike"
    labels: [launch, bikes]
    campaign: winter-launch
    link: https://acme.example/bike
    evergreen: {cooldown_days: 30, max_count: 5, until: 2027-06-01}
    ---
    The text of the post.

Everything is checked before anything is stored: a bad field is a UserError naming the file
and the field.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sociable.content.post import decode_text, split_front_matter
from sociable.content.utm import check_url
from sociable.errors import UserError
from sociable.publish.media_source import MediaSource
from sociable.publish.when import parse_when

FRONT_MATTER_FIELDS = (
    "accounts",
    "when",
    "media",
    "alt",
    "first_comment",
    "labels",
    "campaign",
    "link",
    "evergreen",
)
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_MEDIA_BYTES = 1024 * 1024 * 1024  # 1 GiB: above any network's video limit


@dataclass(frozen=True)
class MediaRef:
    path: str  # absolute
    alt: str = ""
    mime_type: str = "application/octet-stream"

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "alt": self.alt, "mime_type": self.mime_type}


@dataclass(frozen=True)
class Evergreen:
    cooldown_days: int
    max_count: int | None = None
    until: datetime | None = None


@dataclass
class PostSpec:
    """One post before it is stored; ``when`` None means "take the next free slot"."""

    text: str
    accounts: list[str]
    when: datetime | None = None
    media: list[MediaRef] = field(default_factory=list)
    first_comment: str | None = None
    labels: list[str] = field(default_factory=list)
    campaign: str | None = None
    link: str | None = None
    evergreen: Evergreen | None = None
    source: str | None = None  # file name (and row) it came from


def check_spec(spec: PostSpec) -> None:
    """What every way in (API, composer, CSV import, CLI) must hold before a post is planned.

    A NUL character cannot be stored by PostgreSQL (and is never meant); a link is an
    absolute http(s) URL, because it is rendered as ``href`` and shortened.
    """
    where = spec.source or "post"
    fields: dict[str, list[str | None]] = {
        "text": [spec.text],
        "first_comment": [spec.first_comment],
        "campaign": [spec.campaign],
        "link": [spec.link],
        "labels": list(spec.labels),
        "accounts": list(spec.accounts),
        "alt": [m.alt for m in spec.media],
    }
    for name, values in fields.items():
        if any(v and "\x00" in v for v in values):
            raise UserError(f"{name}: contains a NUL character (\\0); remove it", where=where)
    if spec.link is not None:
        try:
            check_url(spec.link)
        except UserError as exc:
            message = str(exc).removeprefix("url: ")
            raise UserError(f"link: {message}", where=where) from None


def str_list(value: Any, name: str, where: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    raise UserError(f"{name}: expected a string or a list of strings, got {value!r}", where=where)


def opt_str(value: Any, name: str, where: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    raise UserError(f"{name}: expected a string, got {value!r}", where=where)


def media_refs(
    paths: list[str],
    alts: list[str],
    base: Path,
    where: str,
    source: MediaSource | None = None,
) -> list[MediaRef]:
    """Resolve media paths; a missing or unreadable file is a UserError.

    With ``source`` (API, composer, import) each one must be an uploaded asset or a file
    inside the workspace's media folder; without it (a post file the operator wrote) a
    relative path is read against ``base``.
    """
    if len(alts) > len(paths):
        raise UserError(f"alt: {len(alts)} alt texts for {len(paths)} media files", where=where)
    refs = []
    for i, raw in enumerate(paths):
        if source is not None:
            path = source.locate(raw, where)
        else:
            path = Path(raw).expanduser()
            if not path.is_absolute():
                path = base / path
        if not path.is_file():
            raise UserError(f"media: file not found: {raw}", where=where)
        size = path.stat().st_size
        if size > MAX_MEDIA_BYTES:
            raise UserError(f"media: {raw} is {size} bytes, over 1 GiB", where=where)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        refs.append(MediaRef(str(path.resolve()), alts[i] if i < len(alts) else "", mime))
    return refs


def evergreen_from(value: Any, default_tz: str, where: str) -> Evergreen | None:
    if value is None or value is False:
        return None
    if not isinstance(value, Mapping):
        raise UserError(
            "evergreen: expected {cooldown_days: N, max_count: N, until: DATE}", where=where
        )
    unknown = set(value) - {"cooldown_days", "max_count", "until"}
    if unknown:
        raise UserError(f"evergreen: unknown key {sorted(unknown)[0]!r}", where=where)
    cooldown = value.get("cooldown_days")
    if isinstance(cooldown, bool) or not isinstance(cooldown, int) or cooldown < 1:
        raise UserError("evergreen.cooldown_days: a whole number of days >= 1", where=where)
    max_count = value.get("max_count")
    if max_count is not None and (
        isinstance(max_count, bool) or not isinstance(max_count, int) or max_count < 1
    ):
        raise UserError("evergreen.max_count: a whole number >= 1", where=where)
    until_raw = value.get("until")
    until = None
    if until_raw is not None:
        if not isinstance(until_raw, datetime) and hasattr(until_raw, "isoformat"):
            until_raw = f"{until_raw.isoformat()} 23:59"
        until = parse_when(until_raw, default_tz, f"{where}: evergreen.until")
    if max_count is None and until is None:
        raise UserError("evergreen: give an end condition (max_count or until)", where=where)
    return Evergreen(cooldown, max_count, until)


def spec_from_mapping(
    data: Mapping[str, Any],
    text: str,
    *,
    base: Path,
    default_tz: str,
    where: str,
    media: MediaSource | None = None,
) -> PostSpec:
    """A PostSpec from front matter; unknown fields and bad values are UserErrors.

    ``media`` confines the media to the workspace's uploads (see ``media_refs``).
    """
    unknown = [k for k in data if k not in FRONT_MATTER_FIELDS]
    if unknown:
        raise UserError(
            f"unknown field {unknown[0]!r}; expected one of {', '.join(FRONT_MATTER_FIELDS)}",
            where=where,
        )
    accounts = str_list(data.get("accounts"), "accounts", where)
    if not accounts:
        raise UserError("accounts: name at least one account (e.g. mastodon:@acme)", where=where)
    when_raw = data.get("when")
    when = None if when_raw in (None, "") else parse_when(when_raw, default_tz, f"{where}: when")
    if not text.strip():
        raise UserError("the post has no text (write it below the front matter)", where=where)
    return PostSpec(
        text=text,
        accounts=accounts,
        when=when,
        media=media_refs(
            str_list(data.get("media"), "media", where),
            str_list(data.get("alt"), "alt", where),
            base,
            where,
            media,
        ),
        first_comment=opt_str(data.get("first_comment"), "first_comment", where),
        labels=str_list(data.get("labels"), "labels", where),
        campaign=opt_str(data.get("campaign"), "campaign", where),
        link=opt_str(data.get("link"), "link", where),
        evergreen=evergreen_from(data.get("evergreen"), default_tz, where),
        source=where,
    )


def read_post_file(path: Path, default_tz: str) -> PostSpec:
    """Read and check a Markdown post file; every problem names the file (and field)."""
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", where=where) from None
    if len(raw) > MAX_FILE_BYTES:
        raise UserError(f"{len(raw)} bytes, over the {MAX_FILE_BYTES}-byte limit", where=where)
    data, body = split_front_matter(decode_text(raw, where), where)
    return spec_from_mapping(
        data, body, base=path.resolve().parent, default_tz=default_tz, where=where
    )
