"""CSV import speed: `sociable import` against a bare insert of the same rows (the floor).

Ours: every row parsed, each account resolved, the text linted and adapted per network,
media and times checked, then Post + Variants + scheduled Publications + their first event
written in one transaction (`sociable.publish.importers.import_posts`).
Anchor: the same CSV read with csv.reader and the same four tables filled with Core
``executemany`` inserts and no checks at all: what storing costs before any of the work.

    .venv/bin/python benchmarks/calendar_import.py [--rows 500] [--database-url URL]

Prints rows/s for both and the ratio (ours / anchor), from the same run.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from sociable.publish.importers import import_posts
from sociable.store import migrate
from sociable.store.db import open_database
from sociable.store.models import Account, Workspace
from sociable.store.models.publish import Post, Publication, PublicationEvent, Variant
from sociable.store.secrets import SecretBox, generate_key, use_box

ACCOUNTS = [("mastodon", "@acme@mastodon.social"), ("x", "acme"), ("bluesky", "acme.example")]


def write_csv(path: Path, rows: int) -> None:
    start = datetime(2031, 1, 6, 9, 0, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["scheduled_at", "accounts", "text", "link", "labels"])
        for i in range(rows):
            when = start + timedelta(minutes=15 * i)
            w.writerow(
                [
                    when.isoformat(),
                    "mastodon|x|bluesky",
                    f"Post {i}: our spring bikes are in the shop #cycling #bikes",
                    f"https://acme.example/p/{i}",
                    "bulk|spring",
                ]
            )


def anchor(db, ws_id: int, account_ids: list[int], path: Path) -> None:  # type: ignore[no-untyped-def]
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        posts = (
            conn.execute(
                insert(Post).returning(Post.id),
                [
                    {
                        "workspace_id": ws_id,
                        "source_text": r["text"],
                        "media": [],
                        "link": r["link"],
                        "labels": r["labels"].split("|"),
                        "approval": "approved",
                        "evergreen": False,
                        "evergreen_count": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for r in rows
                ],
            )
            .scalars()
            .all()
        )
        variants = (
            conn.execute(
                insert(Variant).returning(Variant.id),
                [
                    {
                        "post_id": pid,
                        "account_id": aid,
                        "text": r["text"],
                        "media": [],
                        "thread": [],
                        "created_at": now,
                        "updated_at": now,
                    }
                    for pid, r in zip(posts, rows, strict=True)
                    for aid in account_ids
                ],
            )
            .scalars()
            .all()
        )
        dues = [datetime.fromisoformat(r["scheduled_at"]) for r in rows for _ in account_ids]
        pubs = (
            conn.execute(
                insert(Publication).returning(Publication.id),
                [
                    {
                        "variant_id": vid,
                        "workspace_id": ws_id,
                        "account_id": account_ids[i % len(account_ids)],
                        "state": "scheduled",
                        "due_at": due,
                        "next_attempt_at": due,
                        "idempotency_key": uuid.uuid4().hex,
                        "attempts": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i, (vid, due) in enumerate(zip(variants, dues, strict=True))
                ],
            )
            .scalars()
            .all()
        )
        conn.execute(
            insert(PublicationEvent),
            [
                {"publication_id": p, "at": now, "from_state": None, "to_state": "scheduled"}
                for p in pubs
            ],
        )


def fresh(url: str | None, tmp: Path, name: str):  # type: ignore[no-untyped-def]
    """A migrated database with a workspace and three accounts; PostgreSQL: its own schema."""
    if url:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        SCHEMAS.append((admin, schema))
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}options=-csearch_path%3D{schema}"
    db = open_database(url or f"sqlite:///{tmp / name}.db")
    migrate.upgrade(db)
    with db.session() as s:
        ws = Workspace(slug="bench", name="Bench", timezone="Europe/Paris")
        s.add(ws)
        s.flush()
        ids = []
        for network, handle in ACCOUNTS:
            acc = Account(workspace_id=ws.id, network=network, handle=handle, settings={})
            s.add(acc)
            s.flush()
            ids.append(acc.id)
        return db, ws.id, ids


SCHEMAS: list = []  # (engine, schema) to drop at the end


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="PostgreSQL (a temporary schema)")
    args = parser.parse_args()
    use_box(SecretBox(generate_key()))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "posts.csv"
        write_csv(path, args.rows)

        db, ws_id, ids = fresh(args.database_url, tmp, "anchor")
        t0 = time.perf_counter()
        anchor(db, ws_id, ids, path)
        anchor_s = time.perf_counter() - t0
        db.dispose()

        db, ws_id, ids = fresh(args.database_url, tmp, "ours")
        t0 = time.perf_counter()
        with db.session() as s:
            ws = s.scalars(select(Workspace).where(Workspace.id == ws_id)).one()
            report = import_posts(s, ws, path, now=datetime(2030, 1, 1, tzinfo=UTC))
        ours_s = time.perf_counter() - t0
        assert not report.problems and report.created == args.rows, report.problems[:3]
        db.dispose()
    for admin, schema in SCHEMAS:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    backend = "postgresql" if args.database_url else "sqlite"
    n = args.rows
    print(f"rows: {n} (x {len(ACCOUNTS)} accounts = {n * len(ACCOUNTS)} publications), {backend}")
    print(f"anchor (bare inserts, no checks): {anchor_s:.2f} s  {n / anchor_s:,.0f} rows/s")
    print(f"ours (checked, linted, adapted):  {ours_s:.2f} s  {n / ours_s:,.0f} rows/s")
    print(f"ratio ours/anchor time: {ours_s / anchor_s:.1f}x")


if __name__ == "__main__":
    main()
