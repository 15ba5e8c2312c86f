"""track: conversion amounts as integer minor units of an ISO 4217 currency; pixel replaced flag

``value`` (a decimal in major units, currency optional) becomes ``amount_minor`` with a
required ``currency``. A row without a currency gets ``[money] currency`` from the config
that runs ``sociable db upgrade`` (USD when none is given), and says so in the log. A value
with more decimals than its currency has is rounded half up. A row whose code is not ISO 4217
stops the upgrade with the order ids to fix: guessing its minor unit could be off by 100x.

Revision ID: 0014_track_money
Revises: 0011_track_link_version
"""

import logging
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from sociable.errors import UserError
from sociable.money import MINOR_UNITS, major, to_minor

revision: str = "0014_track_money"
down_revision: str | Sequence[str] | None = "0011_track_link_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

conversions = sa.table(
    "track_conversion",
    sa.column("id", sa.Integer),
    sa.column("order_id", sa.String),
    sa.column("value", sa.Numeric(18, 4)),
    sa.column("amount_minor", sa.BigInteger),
    sa.column("currency", sa.String),
)


def _default_currency() -> str:
    config = op.get_context().config
    chosen = (config.attributes.get("default_currency") if config else None) or "USD"
    return str(chosen).upper()


def upgrade() -> None:
    default = _default_currency()
    # Everything is checked before the first change: SQLite cannot roll back a half-done
    # table rebuild, so a refused upgrade must leave the table exactly as it was.
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            conversions.c.id, conversions.c.order_id, conversions.c.value, conversions.c.currency
        )
    ).all()
    updates, unknown, defaulted = [], [], 0
    for row_id, order_id, value, currency in rows:
        code = (currency or "").strip().upper()
        if not code:
            code, defaulted = default, defaulted + 1
        if code not in MINOR_UNITS:
            unknown.append(f"{order_id} ({code})")
            continue
        amount = to_minor(Decimal(value or 0), code, exact=False)
        updates.append({"row_id": row_id, "amt": amount, "cur": code})
    if unknown:
        raise UserError(
            "track_conversion rows with a currency that is not ISO 4217: "
            + ", ".join(unknown[:20])
            + "; set their currency to the right code, then upgrade again"
        )
    with op.batch_alter_table("track_conversion") as batch:
        batch.add_column(sa.Column("amount_minor", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("replaced_pixel", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    if updates:
        bind.execute(
            conversions.update()
            .where(conversions.c.id == sa.bindparam("row_id"))
            .values(amount_minor=sa.bindparam("amt"), currency=sa.bindparam("cur")),
            updates,
        )
    if defaulted:
        log.warning(
            "track_conversion: %d conversion(s) without a currency are now in %s "
            "([money] currency of the config used for this upgrade)",
            defaulted,
            default,
        )
    with op.batch_alter_table("track_conversion") as batch:
        batch.alter_column("amount_minor", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("currency", existing_type=sa.String(3), nullable=False)
        batch.drop_column("value")


def downgrade() -> None:
    with op.batch_alter_table("track_conversion") as batch:
        batch.add_column(sa.Column("value", sa.Numeric(18, 4), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(conversions.c.id, conversions.c.amount_minor, conversions.c.currency)
    ).all()
    updates = [
        {"row_id": i, "val": major(int(amt), cur) if cur in MINOR_UNITS else Decimal(amt)}
        for i, amt, cur in rows
    ]
    if updates:
        bind.execute(
            conversions.update()
            .where(conversions.c.id == sa.bindparam("row_id"))
            .values(value=sa.bindparam("val")),
            updates,
        )
    with op.batch_alter_table("track_conversion") as batch:
        batch.alter_column("value", existing_type=sa.Numeric(18, 4), nullable=False)
        batch.alter_column("currency", existing_type=sa.String(3), nullable=True)
        batch.drop_column("replaced_pixel")
        batch.drop_column("amount_minor")
