"""Exchange rates come only from the user, dated; the rate in force on the day is used."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from sociable.errors import UserError
from sociable.rates import RateTable, load_rates, make_rate, read_rates_csv


def _table() -> RateTable:
    return RateTable(
        [
            make_rate("2026-01-01", "USD", "EUR", "0.90", source="a"),
            make_rate("2026-02-01", "USD", "EUR", "0.95", source="b"),
            make_rate("2026-01-15", "EUR", "JPY", "160", source="c"),
        ]
    )


def test_the_latest_rate_on_or_before_the_day_is_used() -> None:
    table = _table()
    jan = table.convert(10000, "USD", "EUR", date(2026, 1, 31))
    feb = table.convert(10000, "USD", "EUR", date(2026, 2, 1))
    assert jan is not None and (jan.minor, jan.rate.source) == (9000, "a")
    assert feb is not None and (feb.minor, feb.rate.source) == (9500, "b")
    assert table.convert(10000, "USD", "EUR", date(2025, 12, 31)) is None  # no rate yet
    assert table.convert(100, "GBP", "EUR", date(2026, 3, 1)) is None  # never given


def test_an_inverse_rate_is_used_and_said_so() -> None:
    done = _table().convert(5000, "JPY", "EUR", date(2026, 1, 20))
    assert done is not None and done.inverse and done.minor == 3125  # 5000 / 160 = 31.25 EUR


def test_rates_csv(tmp_path: Path) -> None:
    good = tmp_path / "rates.csv"
    good.write_text("date,from,to,rate\n2026-01-31,usd,EUR,0.9215\n\n2026-01-31,JPY,EUR,0.0062\n")
    rates = read_rates_csv(good)
    assert [(r.base, r.quote, r.rate, r.source) for r in rates] == [
        ("USD", "EUR", Decimal("0.9215"), "rates.csv:2"),
        ("JPY", "EUR", Decimal("0.0062"), "rates.csv:4"),
    ]
    cases = {
        "day,from,to,rate\n": "header",
        "date,from,to,rate\n2026-13-01,USD,EUR,1\n": r"rates.csv:2 date",
        "date,from,to,rate\n2026-01-01,USD,EUX,1\n": r"rates.csv:2 to",
        "date,from,to,rate\n2026-01-01,USD,EUR,-1\n": r"rates.csv:2 rate",
        "date,from,to,rate\n2026-01-01,USD,EUR,abc\n": r"rates.csv:2 rate",
        "date,from,to,rate\n2026-01-01,EUR,EUR,1\n": "same currency",
    }
    for text, message in cases.items():
        good.write_text(text)
        with pytest.raises(UserError, match=message):
            read_rates_csv(good)
    with pytest.raises(UserError, match="cannot read"):
        read_rates_csv(tmp_path / "missing.csv")


def test_configured_rates_name_their_place() -> None:
    class Configured:
        date, from_, to, rate = "2026-01-01", "USD", "EUR", "0.9"

    table = load_rates([Configured()])
    [rate] = table.rates
    assert rate.source == "sociable.toml money.rates[0]"
    assert "1 USD = 0.9 EUR on 2026-01-01" in rate.describe()
