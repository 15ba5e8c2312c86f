"""sociable.locale: the workspace's locale from its time zone, numbers and dates written in it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.localedata import locale_identifiers
from babel.numbers import get_decimal_symbol, parse_decimal
from hypothesis import given
from hypothesis import strategies as st

from sociable import locale
from sociable.errors import UserError
from sociable.money import MINOR_UNITS, digits, major


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Paris", "fr_FR"),
        ("Europe/Berlin", "de_DE"),
        ("America/New_York", "en_US"),
        ("Asia/Tokyo", "ja_JP"),
        ("Europe/Zurich", "de_CH"),  # the most spoken official language of CH
        ("UTC", "en"),
        ("Etc/GMT+5", "en"),
    ],
)
def test_a_time_zone_suggests_its_territorys_language(zone: str, expected: str) -> None:
    assert locale.locale_for_zone(zone) == expected


def test_a_named_locale_wins_and_bad_ones_name_the_field() -> None:
    assert locale.effective_locale(None, "Europe/Paris") == "fr_FR"
    assert locale.effective_locale("en-GB", "Europe/Paris") == "en_GB"
    assert locale.bcp47("fr_FR") == "fr-FR"
    with pytest.raises(UserError, match=r"workspace\.locale: unknown locale 'xx_YY'"):
        locale.parse_locale("xx_YY", "workspace.locale")


def test_numbers_dates_and_percentages_follow_the_locale() -> None:
    # CLDR: French groups with a narrow no-break space and writes a decimal comma.
    assert locale.number(1234, "fr_FR") == "1\u202f234"
    assert locale.number(1234.5, "fr_FR") == "1\u202f234,5"
    assert locale.number(1234.5, "en_US") == "1,234.5"
    assert locale.number(3.0, "en_US") == "3"  # a whole count has no decimals
    assert locale.number(None, "fr_FR") == "–"
    assert locale.percent(0.125, "fr_FR") == "12,5\xa0%"
    assert locale.percent(0.125, "en_US") == "12.5%"
    assert locale.day(date(2026, 3, 5), "fr_FR") == "5 mars 2026"
    assert locale.day("2026-03-05", "en_US") == "Mar 5, 2026"
    assert locale.day(date(2026, 3, 5), "fr_FR", "short") == "05/03/2026"


def test_counts_group_digits_the_locales_way() -> None:
    # Indian English groups lakhs and crores: 12,34,567, not 1,234,567.
    assert locale.number(1234567, "en_IN") == "12,34,567"
    assert locale.number(1234567.5, "en_IN") == "12,34,567.5"
    assert locale.number(1234567, "de_CH") == "1\u2019234\u2019567"


def test_money_keeps_the_code_first_and_writes_the_amount_in_the_locale() -> None:
    assert locale.money("1234.50", "fr_FR", "EUR") == "EUR\u00a01\u202f234,50"
    assert locale.money("1234.50", "en", "EUR") == "EUR\u00a01,234.50"
    assert locale.money(Decimal(5000), "fr_FR", "JPY") == "JPY\u00a05\u202f000"  # no minor unit
    assert locale.money("1.234", "de_DE", "KWD") == "KWD\u00a01,234"  # three decimals
    assert locale.money("49.9", "en", "EUR") == "EUR\u00a049.90"  # always the currency's digits


def test_times_of_day_and_moments_follow_the_locale() -> None:
    at = datetime(2026, 7, 14, 22, 15, 42, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    assert locale.clock(at, "fr_FR") == "00:15"
    assert locale.clock(at, "fr_FR", "medium") == "00:15:42"
    assert locale.moment(at, "fr_FR", "medium") == "15 juil. 2026 00:15"
    assert locale.moment(at, "en_US", "medium") == "Jul 15, 2026 12:15\u202fAM"


# Every locale Babel has data for that a workspace may name (the root has no territory),
# and more often those whose separators or grouping differ (Indian lakhs, Swiss apostrophe).
LOCALES = sorted(set(locale_identifiers()) - {"root"})
NOTABLE = ["fr_FR", "en", "en_IN", "hi_IN", "de_CH", "de_DE", "sv_SE", "ar_EG"]


@given(
    st.sampled_from(sorted(MINOR_UNITS)),
    st.integers(min_value=0, max_value=10**16),
    st.one_of(st.sampled_from(NOTABLE), st.sampled_from(LOCALES)),
)
def test_money_on_pages_reads_back_as_the_same_amount(currency: str, minor: int, loc: str) -> None:
    amount = major(minor, currency)
    text = locale.money(amount, loc, currency)
    code, _, shown = text.partition("\u00a0")
    assert code == currency
    assert parse_decimal(shown, locale=loc, strict=True) == amount
    # Exactly the currency's minor digits after the locale's decimal mark, none for JPY.
    mark = get_decimal_symbol(loc)
    _, sep, frac = shown.rpartition(mark)
    places = digits(currency)
    assert (sep == mark and len(frac) == places and frac.isdigit()) if places else mark not in shown


DECIMAL_MARK = {"fr_FR": ",", "en_US": ".", "de_DE": ","}


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(sorted(DECIMAL_MARK)))
def test_whole_counts_are_written_without_decimals(value: int, loc: str) -> None:
    text = locale.number(value, loc)
    assert DECIMAL_MARK[loc] not in text
    assert int("".join(ch for ch in text if ch.isdigit())) == abs(value)
    assert text.startswith("-") == (value < 0)


@given(
    st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False),
    st.sampled_from(["fr_FR", "en_US"]),
)
def test_fractions_keep_at_most_two_decimals(value, loc: str) -> None:  # type: ignore[no-untyped-def]
    text = locale.number(value, loc)
    mark = "," if loc == "fr_FR" else "."
    _, _, frac = text.rpartition(mark) if value != int(value) else (text, "", "")
    assert len(frac) <= 2
    assert (frac == "") == (value == int(value))


def test_init_stores_the_configured_locale(cli, tmp_path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from sociable.store.db import open_database
    from sociable.store.models import Workspace

    assert cli("--database-url", database_url, "init", str(tmp_path), "--name", "Acme").code == 0
    cfg = tmp_path / "sociable.toml"
    cfg.write_text(cfg.read_text().replace("[workspace]\n", '[workspace]\nlocale = "de_AT"\n', 1))
    again = cli("--config", str(cfg), "--database-url", database_url, "init", str(tmp_path))
    assert again.code == 0, again.err
    with open_database(database_url).session() as s:
        assert s.query(Workspace.locale).scalar() == "de_AT"
