"""0014_track_money: stored conversion values become minor units with a currency, nothing lost."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from sociable.errors import UserError
from sociable.store import migrate
from sociable.store.db import open_database

ROWS = [
    ("e1", "49.9000", "EUR"),
    ("j1", "5000.0000", "JPY"),
    ("k1", "1.2345", "KWD"),  # more decimals than KWD has: rounded half up
    ("n1", "10.0000", None),  # no currency: the configured default
]


def _at_0011(database_url: str):  # type: ignore[no-untyped-def]
    db = open_database(database_url)
    migrate.upgrade(db, "0011_track_link_version")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO workspace (slug, name, timezone, created_at, updated_at)"
                " VALUES ('a', 'A', 'UTC', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        wid = conn.execute(text("SELECT id FROM workspace")).scalar_one()
        for order, value, code in ROWS:
            conn.execute(
                text(
                    "INSERT INTO track_conversion (workspace_id, order_id, value, currency,"
                    " click_ids, source, at)"
                    " VALUES (:w, :o, :v, :c, '[]', 'pixel', CURRENT_TIMESTAMP)"
                ),
                {"w": wid, "o": order, "v": value, "c": code},
            )
    return db


def test_existing_values_become_minor_units_and_back(database_url: str) -> None:
    db = _at_0011(database_url)
    migrate.upgrade(db, default_currency="CHF")
    with db.engine.connect() as conn:
        got = dict(
            (o, (a, c, p))
            for o, a, c, p in conn.execute(
                text(
                    "SELECT order_id, amount_minor, currency, replaced_pixel FROM track_conversion"
                )
            )
        )
    assert got == {
        "e1": (4990, "EUR", False),
        "j1": (5000, "JPY", False),
        "k1": (1235, "KWD", False),
        "n1": (1000, "CHF", False),
    }
    migrate.downgrade(db, "0011_track_link_version")
    with db.engine.connect() as conn:
        back = dict(conn.execute(text("SELECT order_id, value FROM track_conversion")).all())
    assert {o: Decimal(str(v)) for o, v in back.items()} == {
        "e1": Decimal("49.90"),
        "j1": Decimal("5000"),
        "k1": Decimal("1.235"),
        "n1": Decimal("10"),
    }
    db.dispose()


def test_a_code_that_is_not_iso_4217_stops_the_upgrade_and_names_the_order(
    database_url: str,
) -> None:
    db = _at_0011(database_url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE track_conversion SET currency = 'EUE' WHERE order_id = 'e1'"))
    with pytest.raises(UserError, match=r"e1 \(EUE\)"):
        migrate.upgrade(db)
    with db.engine.connect() as conn:  # nothing half done: still the old column
        old = text("SELECT value FROM track_conversion WHERE order_id = 'j1'")
        assert conn.execute(old).scalar_one() == Decimal("5000")
    with db.engine.begin() as conn:  # fixed by hand, the upgrade then goes through
        conn.execute(text("UPDATE track_conversion SET currency = 'EUR' WHERE order_id = 'e1'"))
    migrate.upgrade(db)
    assert migrate.is_current(db)
    db.dispose()
