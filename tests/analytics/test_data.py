"""load_tables: latest readings per measure, the workspace and range filters, reads only."""

from __future__ import annotations

from sqlalchemy import event

from sociable.analytics.data import load_tables
from sociable.store.db import Database
from tests.analytics.builder import Builder, utc


def test_latest_reading_per_measure_and_filters(db: Database) -> None:
    b = Builder(db)
    other = Builder(db, slug="other")
    other.post("x", "@o", utc(2026, 11, 10), metrics={"likes": 99})
    p = b.post(
        "mastodon",
        "@a",
        utc(2026, 11, 10),
        readings=[
            ("favourites_count", 3, utc(2026, 11, 10, 1)),
            ("favourites_count", 7, utc(2026, 11, 11)),
            ("likes", 5, utc(2026, 11, 12)),  # an import's measure: later, so it wins
            ("replies_count", 2, utc(2026, 11, 11)),
            ("mystery_count", 1, utc(2026, 11, 11)),
        ],
    )
    b.post("mastodon", "@a", utc(2026, 12, 10), metrics={"likes": 1})  # out of range
    b.followers("mastodon", "@a", 10, utc(2026, 10, 1))
    b.followers("mastodon", "@a", 11, utc(2026, 10, 2))
    b.followers("mastodon", "@a", 12, utc(2026, 11, 15))
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        t = load_tables(db, b.workspace_id, start=utc(2026, 11, 1), end=utc(2026, 12, 1))
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert t.posts.column("id").to_pylist() == [p.id]
    got = {(r["social_post_id"], r["measure"]): r["value"] for r in t.post_metrics.to_pylist()}
    assert got == {(p.id, "likes"): 5, (p.id, "comments"): 2}
    assert t.unmapped == {"mastodon:mystery_count": 1}
    # the last reading before the range, then the one in it
    assert sorted(r["value"] for r in t.account_metrics.to_pylist()) == [11, 12]
    writes = [
        s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
