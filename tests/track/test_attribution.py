"""Attribution models: who gets the credit, always exactly one conversion's worth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sociable.errors import UserError
from sociable.track.attribution import (
    ConversionFacts,
    Model,
    Touch,
    attribute,
    parse_model,
)

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def touch(cid: str, hours_before: float, campaign: str, *, bot: bool = False) -> Touch:
    return Touch(cid, T0 - timedelta(hours=hours_before), 1, "c", None, campaign, "x", bot)


TOUCHES = {
    "aaaaaaaa1": touch("aaaaaaaa1", 200, "too_old"),  # outside the 7-day window
    "aaaaaaaa2": touch("aaaaaaaa2", 100, "first"),
    "aaaaaaaa3": touch("aaaaaaaa3", 50, "middle"),
    "aaaaaaaa4": touch("aaaaaaaa4", 1, "last"),
    "aaaaaaaa5": touch("aaaaaaaa5", 0.5, "bot", bot=True),
    "aaaaaaaa6": touch("aaaaaaaa6", -1, "after"),  # after the sale
}
SALE = ConversionFacts("o1", T0, 9000, "EUR", list(TOUCHES))


def campaigns(
    model: Model, window_days: int = 7, sale: ConversionFacts = SALE
) -> dict[str | None, int]:
    credits = attribute(sale, TOUCHES, model=model, window=timedelta(days=window_days))
    assert {c.currency for c in credits} == {sale.currency}
    return {(c.touch.campaign if c.touch else None): c.amount_minor for c in credits}


def test_models() -> None:
    assert campaigns(Model.LAST_CLICK) == {"last": 9000}
    assert campaigns(Model.FIRST_CLICK) == {"first": 9000}
    assert campaigns(Model.LINEAR) == {"first": 3000, "middle": 3000, "last": 3000}
    assert campaigns(Model.FIRST_CLICK, window_days=30) == {"too_old": 9000}
    assert campaigns(Model.LAST_CLICK, window_days=1) == {"last": 9000}


def test_linear_split_keeps_every_minor_unit() -> None:
    sale = ConversionFacts("o3", T0, 100, "JPY", list(TOUCHES))
    assert campaigns(Model.LINEAR, sale=sale) == {"first": 34, "middle": 33, "last": 33}


def test_unattributed_when_no_eligible_click() -> None:
    sale = ConversionFacts("o2", T0, 500, "USD", ["aaaaaaaa5", "unknown00"], verified=False)
    [credit] = attribute(sale, TOUCHES)
    assert credit.touch is None and credit.amount_minor == 500 and credit.weight == 1
    assert not credit.verified and credit.currency == "USD"


def test_parse_model() -> None:
    assert parse_model("first-click") is Model.FIRST_CLICK
    with pytest.raises(UserError, match="model"):
        parse_model("u-shaped")


offsets = st.lists(st.floats(min_value=-48, max_value=400, allow_nan=False), max_size=8)


@given(
    offsets,
    st.sampled_from(list(Model)),
    st.integers(1, 30),
    st.integers(min_value=0, max_value=10**14),
)
def test_credit_always_sums_to_one_conversion(hours, model, days, value) -> None:  # type: ignore[no-untyped-def]
    touches = {f"id{i:08d}": touch(f"id{i:08d}", h, f"c{i}") for i, h in enumerate(hours)}
    sale = ConversionFacts("o", T0, value, "EUR", list(touches))
    credits = attribute(sale, touches, model=model, window=timedelta(days=days))
    assert abs(sum(c.weight for c in credits) - 1) < Decimal("1e-20")
    assert sum(c.amount_minor for c in credits) == value  # exactly, in minor units
    for c in credits:
        if c.touch is not None:
            assert c.touch.at <= T0 and T0 - c.touch.at <= timedelta(days=days)
