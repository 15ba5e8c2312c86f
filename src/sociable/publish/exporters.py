"""Export posts to our CSV columns, so a calendar can be edited in a spreadsheet and re-imported.

One row per post and due time: the accounts whose publications share that time are listed
together (a queued post whose accounts got different slots becomes one row per time).
``scheduled_at`` is written with the workspace zone's offset (``2026-12-01T09:00+01:00``):
unambiguous, so a re-import lands on the same instants even across DST. Media paths are
relative to the workspace's media folder (what an import takes, on this install or a moved
one); a file outside it (a post file scheduled from the command line) keeps its absolute
path, which an import refuses by name. Lists are joined with ``|``. A cell a spreadsheet
would run as a formula gets a leading ``'`` (see ``csv_cells``). Importing the file again
creates the same posts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.clock import zone
from sociable.publish.csv_cells import escape_cell
from sociable.publish.importers import COLUMNS
from sociable.publish.media_source import relative_ref, workspace_media_dir
from sociable.publish.when import format_local
from sociable.store.models import Account, Workspace
from sociable.store.models.publish import Post, Publication, PubState, Variant

DEFAULT_STATES = (PubState.SCHEDULED.value, PubState.FAILED_RETRYABLE.value)


def export_rows(
    session: Session,
    workspace: Workspace,
    *,
    media_dir: Path,
    states: Sequence[str] | None = DEFAULT_STATES,
    start: datetime | None = None,
    end: datetime | None = None,
    account_ids: Sequence[int] | None = None,
) -> list[dict[str, str]]:
    """Rows in our columns, ordered by time then post; media relative to ``media_dir``."""
    root = workspace_media_dir(media_dir, workspace.id)
    tz = zone(workspace.timezone or "UTC")
    stmt = (
        select(Publication, Variant, Post, Account)
        .join(Variant, Publication.variant_id == Variant.id)
        .join(Post, Variant.post_id == Post.id)
        .join(Account, Publication.account_id == Account.id)
        .where(Publication.workspace_id == workspace.id)
        .order_by(Publication.due_at, Post.id, Publication.id)
    )
    if states is not None:
        stmt = stmt.where(Publication.state.in_(list(states)))
    if start is not None:
        stmt = stmt.where(Publication.due_at >= start)
    if end is not None:
        stmt = stmt.where(Publication.due_at < end)
    if account_ids is not None:
        stmt = stmt.where(Publication.account_id.in_(list(account_ids)))
    groups: dict[tuple[datetime, int], dict[str, object]] = {}
    for pub, variant, post, account in session.execute(stmt).all():
        key = (pub.due_at, post.id)
        group = groups.setdefault(
            key, {"post": post, "accounts": [], "first_comment": variant.first_comment}
        )
        accounts = group["accounts"]
        assert isinstance(accounts, list)
        name = f"{account.network}:{account.handle}"
        if name not in accounts:
            accounts.append(name)
    rows = []
    for (due_at, _post_id), group in groups.items():
        post = group["post"]
        assert isinstance(post, Post)
        media = list(post.media or [])
        accounts = group["accounts"]
        assert isinstance(accounts, list)
        rows.append(
            {
                "scheduled_at": format_local(due_at, tz),
                "accounts": "|".join(accounts),
                "text": post.source_text,
                "media": "|".join(_media_cell(root, str(m.get("path", ""))) for m in media),
                "alt_text": "|".join(str(m.get("alt", "")) for m in media)
                if any(m.get("alt") for m in media)
                else "",
                "link": post.link or "",
                "first_comment": str(group["first_comment"] or ""),
                "labels": "|".join(post.labels or []),
            }
        )
    return rows


def _media_cell(root: Path, stored: str) -> str:
    relative = relative_ref(root, stored)
    return relative if relative is not None else stored


def to_csv(rows: Sequence[dict[str, str]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: escape_cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()
