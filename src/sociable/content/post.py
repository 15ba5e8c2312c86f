"""A post as input to lint and adapt: text plus media, alt texts, link and target networks.

The library's shape (:class:`PostInput`) and the two file forms that produce it: a Markdown
file with YAML front matter, and JSON Lines (one post per line) for ``--batch``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from sociable.content.platforms import parse_networks
from sociable.errors import UserError

MAX_POST_BYTES = 4 * 1024 * 1024  # a post file bigger than this is not a post
MAX_NESTING = 64  # front matter nested deeper than this is not a post's fields


@dataclass
class PostInput:
    """One source post. ``media`` and ``alt`` pair up by position (an empty alt = none)."""

    text: str
    media: list[str] = field(default_factory=list)
    alt: list[str] = field(default_factory=list)
    link: str | None = None
    first_comment: str | None = None
    networks: list[str] = field(default_factory=list)
    scheduled_at: datetime | None = None
    campaign: str | None = None
    # utm_content for adapt's links; defaults to a slug of the first words when None.
    content_id: str | None = None

    def alt_for(self, index: int) -> str:
        return self.alt[index] if index < len(self.alt) else ""


FIELDS = (
    "text",
    "networks",
    "media",
    "alt",
    "link",
    "first_comment",
    "scheduled_at",
    "campaign",
    "content_id",
)


def decode_text(data: bytes, where: str) -> str:
    """UTF-8 text (a BOM is dropped), or a UserError naming the byte that is not UTF-8."""
    if len(data) > MAX_POST_BYTES:
        raise UserError(f"{len(data)} bytes, over the {MAX_POST_BYTES}-byte limit", where=where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(
            f"line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            where=where,
        ) from None
    return text.removeprefix("\ufeff")


def _str_list(value: Any, name: str, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UserError(f"{name}: expected a string or a list of strings, got {value!r}", where=where)


def _opt_str(value: Any, name: str, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise UserError(f"{name}: expected a string, got {value!r}", where=where)


def _when(value: Any, where: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise UserError(
                f"scheduled_at: {value!r} is not an ISO 8601 date-time", where=where
            ) from None
    raise UserError(f"scheduled_at: expected a date-time, got {value!r}", where=where)


def post_from_mapping(data: Mapping[str, Any], where: str) -> PostInput:
    """A PostInput from front matter or a JSON object; unknown keys are errors."""
    unknown = [k for k in data if k not in FIELDS]
    if unknown:
        raise UserError(
            f"unknown field {unknown[0]!r}; expected one of {', '.join(FIELDS)}", where=where
        )
    text = data.get("text", "")
    if not isinstance(text, str):
        raise UserError(f"text: expected a string, got {text!r}", where=where)
    try:
        networks = parse_networks(_str_list(data.get("networks"), "networks", where))
    except UserError as exc:
        raise UserError(f"networks: {exc}", where=where) from None
    return PostInput(
        text=text,
        media=_str_list(data.get("media"), "media", where),
        alt=_str_list(data.get("alt"), "alt", where),
        link=_opt_str(data.get("link"), "link", where),
        first_comment=_opt_str(data.get("first_comment"), "first_comment", where),
        networks=networks,
        scheduled_at=_when(data.get("scheduled_at"), where),
        campaign=_opt_str(data.get("campaign"), "campaign", where),
        content_id=_opt_str(data.get("content_id"), "content_id", where),
    )


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader with a nesting cap: PyYAML composes nodes recursively, so 100,000 ``[``
    would otherwise end in a RecursionError instead of an error naming the line."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested deeper than {MAX_NESTING} levels",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    """(front matter mapping, body) of a Markdown post; no front matter -> ({}, text)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip("\r") != "---":
        return {}, text.strip("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip("\r") in ("---", "...")), None)
    if end is None:
        raise UserError("line 1: front matter opened with --- is never closed", where=where)
    header = "\n".join(lines[1:end])
    try:
        data = yaml.load(header, Loader=_FrontMatterLoader) if header.strip() else {}  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 2}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{line}front matter is not valid YAML: {problem}", where=where) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError("line 2: front matter must be a mapping of fields", where=where)
    return data, "\n".join(lines[end + 1 :]).strip("\n")


def parse_post(text: str, where: str = "<post>") -> PostInput:
    """A Markdown post, optionally opened by ``---`` YAML front matter ``---``."""
    if text.split("\n", 1)[0].rstrip("\r") != "---":
        return PostInput(text=text.strip("\n"))
    data, body = split_front_matter(text, where)
    if "text" in data:
        raise UserError("front matter: 'text' is the body below the front matter", where=where)
    return post_from_mapping({**data, "text": body}, where)


def read_post_file(path: str | Path) -> PostInput:
    """Read a post file as bytes (so bad UTF-8 is a clear error, not a crash)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", where=str(p)) from None
    return parse_post(decode_text(data, str(p)), str(p))


def iter_jsonl(data: bytes, where: str = "<stdin>") -> Iterator[tuple[int, PostInput]]:
    """(line number, post) for each non-blank JSON Lines record; bad lines are UserErrors."""
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        here = f"{where}:{number}"
        line = decode_text(raw, here)
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise UserError(f"not valid JSON: {exc}", where=here) from None
        except RecursionError:
            raise UserError("not valid JSON: nested too deeply for a post", where=here) from None
        if not isinstance(obj, dict):
            raise UserError("expected a JSON object per line", where=here)
        yield number, post_from_mapping(obj, here)
