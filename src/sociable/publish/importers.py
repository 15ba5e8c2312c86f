"""Bulk import of posts from CSV: our documented columns, or Hootsuite's bulk-composer file.

**Our format** has a header row with these columns (any order; only ``text`` and
``accounts`` are required, an unknown column is an error so a typo is caught)::

    scheduled_at, accounts, text, media, alt_text, link, first_comment, labels

- ``scheduled_at``: ISO 8601 with an offset (``2026-12-01T09:00+01:00``) or a zone
  (``2026-12-01 09:00 Europe/Paris``); without either it is read in the workspace's zone;
  empty means "the next free slot" of each account (the queue).
- ``accounts``, ``labels``: several values separated by ``|`` or ``,``.
- ``media``, ``alt_text``: several values separated by ``|`` (alt texts may hold commas);
  media are uploaded assets (``asset:12``) or files inside the workspace's media folder
  (``media/workspace-N/``, paths relative to it), never other files on the server;
  alt texts pair with media by position.

**Hootsuite's format** (its bulk composer's sample file) has *no header* and three columns:
date and time, message, optional URL. The date is ``MM/DD/YYYY HH:MM`` or
``DD/MM/YYYY HH:MM`` (24-hour; chosen in Hootsuite's upload dialog, here with
``date_order``), read in the workspace's zone. The file names no accounts; they are given
with ``--accounts``. (Sources: Hootsuite's bulk scheduler takes "the date and time stamp, the
message, and the link" per row, up to 350 rows, with the date format picked in the upload
dialog, e.g. mm/dd/yyyy hh:mm; as described by its users, kim-iverson-headlee.blogspot.com
2016-08 and jycalcano.blogspot.com 2015-07. Hootsuite's own limits, such as minutes ending in
0 or 5, are not ours and are not enforced.)

Every row is checked (dates, accounts, past times, text length per target, media files)
before anything is written; each problem is reported with its row number and column.
"""

from __future__ import annotations

import csv
import gc
import itertools
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sociable.errors import UserError
from sociable.publish.accounts_ref import AccountIndex
from sociable.publish.csv_cells import unescape_cell
from sociable.publish.media_source import MediaSource
from sociable.publish.posts import PlannedPost, plan_post, store_posts
from sociable.publish.queue import QueuePlanner
from sociable.publish.spec import PostSpec, media_refs
from sociable.publish.when import localize, not_in_past, parse_when
from sociable.store.models import Workspace

COLUMNS = (
    "scheduled_at",
    "accounts",
    "text",
    "media",
    "alt_text",
    "link",
    "first_comment",
    "labels",
)
REQUIRED = ("accounts", "text")
MAX_CSV_BYTES = 32 * 1024 * 1024
MAX_ROWS = 100_000
_HOOTSUITE_DATE = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$"
)


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based line number in the file
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class ImportReport:
    """What an import found and did; rows are streamed, so it keeps counts, not the posts."""

    format: str
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    good: int = 0  # rows that passed every check
    publications: int = 0  # publications those rows plan
    created: int = 0  # posts stored

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})


class ImportRejected(UserError):
    """Bad rows and no ``skip_bad``: raised so the caller's transaction rolls back the rows
    already written in batches. ``report`` has every problem."""

    def __init__(self, report: ImportReport, where: str) -> None:
        super().__init__(
            f"{len(report.bad_rows)} bad row(s); nothing imported (fix them, or use --skip-bad)",
            where=where,
        )
        self.report = report


def split_list(value: str, *, commas: bool) -> list[str]:
    parts = re.split(r"[|,]" if commas else r"\|", value)
    return [p.strip() for p in parts if p.strip()]


def _lines(fh: Any, where: str) -> Iterator[str]:
    """The file's lines decoded one at a time, so a bad byte is named by line and offset."""
    offset = 0
    for number, raw in enumerate(fh, start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(
                f"line {number}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset "
                f"{offset + exc.start})",
                where=where,
            ) from None
        offset += len(raw)


def iter_csv(path: Path) -> Iterator[list[str]]:
    """The records of a CSV file as they are read (UTF-8, BOM allowed; ``,``, ``;`` or tab);
    a UserError for what cannot be read. Memory stays flat however long the file is."""
    where = str(path)
    try:
        fh = path.open("rb")
        size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", where=where) from None
    with fh:
        if size > MAX_CSV_BYTES:
            raise UserError(f"{size} bytes, over the {MAX_CSV_BYTES}-byte limit", where=where)
        lines = _lines(fh, where)
        first = next(lines, None)
        if first is None:
            return
        first = first.removeprefix("\ufeff")
        reader = csv.reader(itertools.chain([first], lines), delimiter=_delimiter(first))
        try:
            for count, cells in enumerate(reader, start=1):
                if count > MAX_ROWS + 1:
                    raise UserError(f"over the {MAX_ROWS}-row limit", where=where)
                yield cells
        except csv.Error as exc:
            raise UserError(f"not valid CSV: {exc}", where=where) from None


def read_csv(path: Path) -> list[list[str]]:
    """All rows of a CSV file at once (small files; imports stream :func:`iter_csv`)."""
    return list(iter_csv(path))


def _delimiter(text: str) -> str:
    """``,`` unless the first line is clearly ``;``- or tab-separated (Excel in many locales
    saves "CSV" with semicolons)."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def detect_format(rows: Sequence[Sequence[str]]) -> str:
    """``ours`` when the first row is our header, ``hootsuite`` when it starts with a date."""
    if not rows:
        return "ours"
    first = [c.strip().lower() for c in rows[0]]
    if "text" in first or "accounts" in first or "scheduled_at" in first:
        return "ours"
    if first and _HOOTSUITE_DATE.match(first[0]):
        return "hootsuite"
    return "ours"


def parse_hootsuite_date(value: str, order: str, tz_name: str, where: str) -> datetime:
    match = _HOOTSUITE_DATE.match(value)
    if not match:
        raise UserError(
            f"{value!r} is not a Hootsuite date (MM/DD/YYYY HH:MM or DD/MM/YYYY HH:MM)",
            where=where,
        )
    a, b, year, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    month, day = (a, b) if order == "mdy" else (b, a)
    try:
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise UserError(f"{value!r}: {exc} (date order {order})", where=where) from None
    from sociable.clock import zone

    return localize(naive, zone(tz_name), where)


class _RowError(Exception):
    """Every (column, message) wrong in one row."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{c}: {m}" for c, m in problems))
        self.problems = problems


def _column_of(message: str, default: str) -> tuple[str, str]:
    """Map a planner message to our column ('accounts: ...' -> accounts)."""
    for prefix, column in (
        ("accounts:", "accounts"),
        ("media:", "media"),
        ("alt:", "alt_text"),
        ("when:", "scheduled_at"),
        ("text:", "text"),
        ("first_comment:", "first_comment"),
        ("link:", "link"),
        ("labels:", "labels"),
    ):
        if message.startswith(prefix):
            return column, message.removeprefix(prefix).strip()
    if message.startswith("text is") or " characters, over " in message:
        return "text", message
    return default, message


def _cell(row: dict[str, str], name: str) -> str:
    return (row.get(name) or "").strip()


def _spec_from_ours(
    row: dict[str, str],
    base: Path,
    tz_name: str,
    where: str,
    index: AccountIndex | None = None,
    now: datetime | None = None,
    source: MediaSource | None = None,
) -> PostSpec:
    """A PostSpec from one row; every bad column of the row is reported (a _RowError)."""
    row = {name: unescape_cell(value) for name, value in row.items()}  # what to_csv escaped
    problems: list[tuple[str, str]] = []
    when_text = _cell(row, "scheduled_at")
    when = None
    try:
        when = parse_when(when_text, tz_name, where) if when_text else None
        if when is not None and now is not None:
            not_in_past(when, now, where)
    except UserError as exc:
        problems.append(("scheduled_at", _strip_where(exc, where)))
    accounts = split_list(_cell(row, "accounts"), commas=True)
    if not accounts:
        problems.append(("accounts", "empty: name at least one account"))
    for ref in accounts:
        try:
            if index is not None:
                index.resolve(ref, where)
        except UserError as exc:
            problems.append(("accounts", _strip_where(exc, where).removeprefix("accounts: ")))
    text = row.get("text") or ""
    if not text.strip():
        problems.append(("text", "empty"))
    media = []
    try:
        if source is None and _cell(row, "media"):
            raise UserError("media: this import takes no media files", where=where)
        media = media_refs(
            split_list(_cell(row, "media"), commas=False),
            # Positions matter (alt N is for media N), so empty alt texts are kept.
            [a.strip() for a in (row.get("alt_text") or "").split("|")]
            if (row.get("alt_text") or "").strip()
            else [],
            base,
            where,
            source,
        )
    except UserError as exc:
        message = _strip_where(exc, where)
        column = "alt_text" if message.startswith("alt:") else "media"
        problems.append((column, message.split(":", 1)[1].strip()))
    if problems:
        raise _RowError(problems)
    return PostSpec(
        text=text,
        accounts=accounts,
        when=when,
        media=media,
        first_comment=(row.get("first_comment") or "").strip() or None,
        labels=split_list(_cell(row, "labels"), commas=True),
        link=_cell(row, "link") or None,
        source=where,
    )


def _strip_where(exc: UserError, where: str) -> str:
    return str(exc).removeprefix(f"{where}: ")


BATCH_ROWS = 1000  # rows written per store_posts call: three multi-row INSERTs each


def _our_specs(
    records: Iterator[list[str]],
    path: Path,
    report: ImportReport,
    *,
    base: Path,
    tz_name: str,
    index: AccountIndex,
    now: datetime,
    media: MediaSource | None,
) -> Iterator[tuple[int, PostSpec]]:
    header_cells = next(records, None)
    if header_cells is None:
        raise UserError("empty file: expected a header row", where=str(path))
    header = [h.strip().lower() for h in header_cells]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise UserError(
            f"header: unknown column {unknown[0]!r}; columns are {', '.join(COLUMNS)}",
            where=str(path),
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UserError(f"header: missing column {missing[0]!r}", where=str(path))
    for number, cells in enumerate(records, start=2):
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        where = f"{path}: row {number}"
        if len(cells) != len(header):
            report.problems.append(
                RowProblem(number, "*", f"{len(cells)} cells, header has {len(header)}")
            )
            continue
        row = dict(zip(header, cells, strict=True))
        try:
            yield number, _spec_from_ours(row, base, tz_name, where, index, now, media)
        except _RowError as exc:
            for column, message in exc.problems:
                report.problems.append(RowProblem(number, column, message))


def _hootsuite_specs(
    records: Iterator[list[str]],
    path: Path,
    report: ImportReport,
    *,
    accounts: Sequence[str],
    date_order: str,
    tz_name: str,
) -> Iterator[tuple[int, PostSpec]]:
    if not accounts:
        raise UserError(
            "a Hootsuite file names no accounts: give --accounts (e.g. --accounts x,bluesky)"
        )
    for number, cells in enumerate(records, start=1):
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        where = f"{path}: row {number}"
        if not 2 <= len(cells) <= 3:
            report.problems.append(
                RowProblem(number, "*", f"{len(cells)} cells; expected date, text[, link]")
            )
            continue
        try:
            when = parse_hootsuite_date(cells[0], date_order, tz_name, where)
        except UserError as exc:
            report.problems.append(RowProblem(number, "date", _strip_where(exc, where)))
            continue
        text = cells[1]
        if not text.strip():
            report.problems.append(RowProblem(number, "text", "empty"))
            continue
        link = cells[2].strip() if len(cells) > 2 and cells[2].strip() else None
        spec = PostSpec(text=text, accounts=list(accounts), when=when, link=link, source=where)
        yield number, spec


def import_posts(
    session: Session,
    workspace: Workspace,
    path: Path,
    *,
    now: datetime,
    fmt: str = "auto",
    accounts: Sequence[str] = (),
    date_order: str = "mdy",
    dry_run: bool = False,
    skip_bad: bool = False,
    platform_overrides: dict[str, dict[str, Any]] | None = None,
    handles: dict[str, dict[str, str]] | None = None,
    media: MediaSource | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check every row and (unless ``dry_run``) store the good ones in the caller's session.

    Media cells are looked up in ``media`` (the workspace's uploads); without it a row
    with media is refused.

    Rows stream: each is read, checked and planned, and good rows are written
    ``BATCH_ROWS`` at a time, so memory does not grow with the file. With any bad row and no
    ``skip_bad`` nothing may be stored: writing stops at the first bad row, every row is
    still checked, and :class:`ImportRejected` is raised so the caller's transaction rolls
    back the batches already written (``dry_run`` returns the report instead). An error
    while storing rolls back every row the same way. ``on_progress(rows)`` is called as rows
    are checked.
    """
    if date_order not in ("mdy", "dmy"):
        raise UserError(f"--date-order: {date_order!r}; use mdy or dmy")
    records = iter_csv(path)
    first = next(records, None)
    kind = detect_format([first] if first is not None else []) if fmt == "auto" else fmt
    if kind not in ("ours", "hootsuite"):
        raise UserError(f"--format: {fmt!r}; use auto, ours or hootsuite")
    if first is not None:
        records = itertools.chain([first], records)
    report = ImportReport(format=kind)
    tz_name = workspace.timezone or "UTC"
    index = AccountIndex.load(session, workspace)
    planner = QueuePlanner(session, workspace)
    if kind == "ours":
        specs = _our_specs(
            records, path, report, base=path.resolve().parent, tz_name=tz_name, index=index,
            now=now, media=media,
        )  # fmt: skip
    else:
        specs = _hootsuite_specs(
            records, path, report, accounts=accounts, date_order=date_order, tz_name=tz_name
        )

    date_column = "date" if kind == "hootsuite" else "scheduled_at"
    batch: list[PlannedPost] = []

    def flush() -> None:
        if batch and not dry_run and (skip_bad or not report.problems):
            report.created += len(store_posts(session, workspace, batch))
        batch.clear()
        # A batch's ORM objects are reference cycles (post <-> variants): collect them now,
        # or they pile up into the old generation until a full collection happens to run.
        gc.collect()

    for number, spec in specs:
        where = spec.source or ""
        try:
            planned = plan_post(
                session,
                workspace,
                spec,
                now=now,
                accounts=index,
                planner=planner,
                queue=True,
                platform_overrides=platform_overrides,
                handles=handles,
            )
        except UserError as exc:
            column, message = _column_of(_strip_where(exc, where), "*")
            if column == "scheduled_at" or (column == "*" and "posting slot" in message):
                column = date_column
            if kind == "hootsuite" and column == "accounts":
                column = "--accounts"
            report.problems.append(RowProblem(number, column, message))
            continue
        finally:
            if on_progress is not None and report.rows % 500 == 0:
                on_progress(report.rows)
        report.good += 1
        report.publications += len(planned.variants)
        batch.append(planned)
        if len(batch) >= BATCH_ROWS:
            flush()
    flush()

    report.problems.sort(key=lambda p: p.row)
    if report.problems and not skip_bad and not dry_run:
        raise ImportRejected(report, str(path))
    return report
