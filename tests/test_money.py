"""Money: ISO 4217 minor units, exact parsing and formatting, sums that keep currencies apart."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sociable.errors import UserError
from sociable.money import (
    MINOR_UNITS,
    Totals,
    currency_code,
    format_amount,
    format_money,
    parse_amount,
    split,
)

codes = st.sampled_from(sorted(MINOR_UNITS))
minors = st.integers(min_value=0, max_value=10**12 - 1)


def test_minor_units_follow_iso_4217() -> None:
    # Spot checks against ISO 4217 List One, including the currencies that are not 2.
    assert [MINOR_UNITS[c] for c in ("EUR", "USD", "JPY", "KRW", "KWD", "BHD", "CLF", "ISK")] == [
        2, 2, 0, 0, 3, 3, 4, 0,
    ]  # fmt: skip
    assert parse_amount("49.90", "EUR") == 4990
    assert parse_amount("5000", "JPY") == 5000
    assert parse_amount("1.234", "KWD") == 1234
    assert format_money(514990, "EUR") == "EUR 5149.90"
    assert format_money(5000, "JPY") == "JPY 5000"


def test_codes_are_validated() -> None:
    assert currency_code(" eur ") == "EUR"
    for bad in ("EU", "EURO", "XYZ", "XAU", "", None, 978):
        with pytest.raises(UserError, match="currency"):
            currency_code(bad)


def test_amounts_the_currency_cannot_hold_are_refused() -> None:
    for raw, code in (("49.905", "EUR"), ("10.5", "JPY"), ("1.2345", "KWD")):
        with pytest.raises(UserError, match=f"value: .*{code}"):
            parse_amount(raw, code)
    for raw in ("-1", "lots", "NaN", "Infinity", "1e12", "1,000", True, None):
        with pytest.raises(UserError, match="value"):
            parse_amount(raw, "EUR")
    assert parse_amount("5000.00", "JPY") == 5000  # zeros past the unit are not money lost


@given(minors, codes)
def test_format_then_parse_is_the_identity(minor: int, code: str) -> None:
    text = format_amount(minor, code)
    assert parse_amount(text, code) == minor
    places = MINOR_UNITS[code]
    assert ("." in text) == (places > 0) and len(text.partition(".")[2]) == places


@given(codes, st.data())
def test_parse_then_format_keeps_the_value(code: str, data: st.DataObject) -> None:
    places = MINOR_UNITS[code]
    amount = data.draw(st.decimals(min_value=0, max_value=10**9, places=places, allow_nan=False))
    text = str(amount)
    minor = parse_amount(text, code)
    assert Decimal(format_amount(minor, code)) == amount


@given(st.lists(st.tuples(codes, minors), max_size=30))
def test_totals_never_add_across_currencies(items: list[tuple[str, int]]) -> None:
    totals = Totals(items)
    for code in {c for c, _ in items}:
        assert totals[code] == sum(m for c, m in items if c == code)
    assert set(totals) == {c for c, _ in items}
    assert list(totals) == sorted(totals)


@given(st.integers(0, 10**15), st.integers(1, 50))
def test_split_adds_up_exactly(minor: int, parts: int) -> None:
    shares = split(minor, parts)
    assert sum(shares) == minor and len(shares) == parts
    assert max(shares) - min(shares) <= 1
