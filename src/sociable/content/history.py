"""The brand's past posts, imported from CSV, as evidence for hashtag suggestions.

A row that cannot be read is reported (row number, column, reason) and kept out of the
numbers; every good row is kept. Nothing is dropped silently: ``History.errors`` lists each
bad row and the CLI prints them.

Columns (case-insensitive; common export names accepted as aliases):
``text`` (or caption, message), ``hashtags`` (optional; tags in the text are used too),
``date`` (optional, ISO 8601), ``likes``, ``comments``, ``shares``, ``saves`` (optional
engagement counts) and ``impressions`` (or reach, views).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sociable.errors import UserError

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_FIELD = 1024 * 1024

COLUMNS: dict[str, tuple[str, ...]] = {
    "text": ("text", "caption", "message", "post", "content", "body"),
    "hashtags": ("hashtags", "tags", "hashtag"),
    "date": ("date", "posted_at", "published_at", "created_at", "timestamp", "time"),
    "likes": ("likes", "reactions", "favorites", "like_count"),
    "comments": ("comments", "replies", "comment_count"),
    "shares": ("shares", "reposts", "retweets", "share_count"),
    "saves": ("saves", "bookmarks", "save_count"),
    "impressions": ("impressions", "reach", "views", "impression_count"),
}
ENGAGEMENT_COLUMNS = ("likes", "comments", "shares", "saves")

# A hashtag: '#' then letters, marks, digits, underscore (as Instagram and X accept them).
HASHTAG_RE = re.compile(r"(?:^|(?<=[^\w&]))[#＃](\w*[^\W\d_]\w*)", re.UNICODE)
_TAG_BODY_RE = re.compile(r"^\w+$", re.UNICODE)


def normalize_tag(tag: str) -> str:
    """The comparison key of a tag: no '#', NFC, case-folded (networks ignore case)."""
    return unicodedata.normalize("NFC", tag.strip().lstrip("#＃")).casefold()


def tags_in_text(text: str) -> list[str]:
    """Hashtags written in a text, in order, as typed (without '#')."""
    return [m.group(1) for m in HASHTAG_RE.finditer(text)]


def parse_tag_cell(cell: str) -> list[str]:
    """A hashtags cell: '#a #b', 'a, b', 'a b' (any whitespace, NBSP too) -> ['a', 'b']."""
    out: list[str] = []
    for piece in re.split(r"[\s,;]+", cell):
        for part in piece.split("#"):
            part = part.strip().strip("＃.!?:\"'()[]")
            if part and _TAG_BODY_RE.match(part) and not part.isdigit():
                out.append(part)
    return out


@dataclass(frozen=True, slots=True)
class PastPost:
    """One good row. ``tags`` are normalized keys, deduplicated, in order of appearance."""

    row: int
    text: str
    tags: tuple[str, ...]
    when: datetime | None
    likes: int
    comments: int
    shares: int
    saves: int
    impressions: int | None

    @property
    def engagements(self) -> int:
        return self.likes + self.comments + self.shares + self.saves

    @property
    def engagement_rate(self) -> float | None:
        """Engagements per impression (Buffer's default ER); None without impressions."""
        if not self.impressions:
            return None
        return self.engagements / self.impressions


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class History:
    """Imported posts in file order, the rows that were rejected, and what was missing."""

    source: str
    posts: list[PastPost] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # our name -> header in the file
    encoding: str = "utf-8"

    @property
    def has_dates(self) -> bool:
        return "date" in self.columns

    def in_time_order(self) -> list[PastPost]:
        """Posts by date (stable: ties and undated rows keep file order)."""
        if not self.has_dates:
            return list(self.posts)
        return sorted(self.posts, key=lambda p: p.when or datetime.min)


def _decode(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    # latin-1 maps every byte; reached only for bytes cp1252 leaves undefined.
    return raw.decode("latin-1"), "latin-1"


def _match_columns(header: list[str], where: str) -> dict[str, int]:
    index: dict[str, int] = {}
    seen = {h.strip().casefold().replace(" ", "_"): i for i, h in enumerate(header)}
    for ours, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in seen:
                index[ours] = seen[alias]
                break
    if "text" not in index and "hashtags" not in index:
        raise UserError(
            f"no text or hashtags column (found: {', '.join(header) or 'nothing'}); "
            "expected text, hashtags, date, likes, comments, shares, impressions",
            where=where,
        )
    if not any(c in index for c in ENGAGEMENT_COLUMNS):
        raise UserError(
            "no engagement columns: need at least one of likes, comments, shares, saves",
            where=where,
        )
    return index


def _count(value: str) -> int:
    """'1,946' or '1946' or '1 946' -> 1946; anything else raises ValueError."""
    cleaned = value.strip().replace(",", "").replace("\u00a0", "").replace(" ", "").replace("_", "")
    if cleaned.endswith(".0"):
        cleaned = cleaned[:-2]
    if not cleaned.isdigit() or not cleaned.isascii():
        raise ValueError(f"not a whole number >= 0: {value.strip()!r}")
    return int(cleaned)


def parse_when(value: str) -> datetime:
    """ISO 8601 date or date-time ('2022-06-03', '2022-06-03T10:00:00Z')."""
    text = value.strip()
    if not text:
        raise ValueError("empty date")
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date (like 2024-05-31): {text!r}") from None


def parse_history(text: str, *, source: str = "<history>", encoding: str = "utf-8") -> History:
    """Rows from CSV text; good rows are kept, bad ones listed in ``errors``."""
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UserError("empty file: expected a header row", where=source) from None
    except csv.Error as exc:
        raise UserError(f"row 1: not CSV: {exc}", where=source) from None
    index = _match_columns(header, source)
    history = History(
        source=source, columns={k: header[i].strip() for k, i in index.items()}, encoding=encoding
    )
    row_no = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row_no = reader.line_num
            history.errors.append(RowError(row_no, "-", f"not CSV: {exc}"))
            break
        row_no += 1
        if not any(c.strip() for c in cells):
            continue  # blank line, not a post
        if row_no - 1 > MAX_ROWS:
            raise UserError(f"more than {MAX_ROWS:,} rows; split the file", where=source)
        post = _row(cells, row_no, index, header, history.errors)
        if post is not None:
            history.posts.append(post)
    return history


def _row(
    cells: list[str], row_no: int, index: dict[str, int], header: list[str], errors: list[RowError]
) -> PastPost | None:
    def cell(name: str) -> str | None:
        i = index.get(name)
        if i is None:
            return None
        return cells[i] if i < len(cells) else ""

    problems: list[RowError] = []
    if len(cells) != len(header):
        problems.append(
            RowError(row_no, "-", f"{len(cells)} cells but the header has {len(header)}")
        )
    counts: dict[str, int] = {}
    for name in (*ENGAGEMENT_COLUMNS, "impressions"):
        value = cell(name)
        if value is None:
            continue
        try:
            counts[name] = _count(value)
        except ValueError as exc:
            problems.append(RowError(row_no, header[index[name]].strip(), str(exc)))
    when = None
    raw_date = cell("date")
    if raw_date is not None:
        try:
            when = parse_when(raw_date)
        except ValueError as exc:
            problems.append(RowError(row_no, header[index["date"]].strip(), str(exc)))
    text = cell("text") or ""
    tag_cell = cell("hashtags") or ""
    tags: list[str] = []
    for tag in [*parse_tag_cell(tag_cell), *tags_in_text(text)]:
        key = normalize_tag(tag)
        if key and key not in tags:
            tags.append(key)
    if not text.strip() and not tags:
        column = header[index["text"]].strip() if "text" in index else "hashtags"
        problems.append(RowError(row_no, column, "no text and no hashtags"))
    if problems:
        errors.extend(problems)
        return None
    impressions = counts.get("impressions") if "impressions" in index else None
    return PastPost(
        row=row_no,
        text=text,
        tags=tuple(tags),
        when=when,
        likes=counts.get("likes", 0),
        comments=counts.get("comments", 0),
        shares=counts.get("shares", 0),
        saves=counts.get("saves", 0),
        impressions=impressions,
    )


def read_history(path: Path | str) -> History:
    """Read a history CSV file (UTF-8, or Windows-1252 when it is not valid UTF-8)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UserError(f"{size:,} bytes is over the {MAX_BYTES:,} limit", where=str(path))
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror or exc}", where=str(path)) from None
    text, encoding = _decode(raw)
    return parse_history(text, source=str(path), encoding=encoding)
