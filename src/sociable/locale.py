"""The workspace's locale: how its dates and numbers are written, at the edges (pages, charts).

A workspace may name its locale (``[workspace] locale = "fr_FR"``); when it does not, the
locale follows its time zone: the territory of the zone (Europe/Paris -> FR, from the CLDR
data Babel ships) and that territory's most spoken official language (fr), so a
Europe/Paris workspace reads 05/03/2026 and 1 234,5, not 3/5/2026 and 1,234.5. Zones with no
territory (UTC, Etc/...) read as plain English (``en``).
"""

from __future__ import annotations

import copy
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import NumberPattern

from sociable.errors import UserError
from sociable.money import digits

FALLBACK = "en"


def parse_locale(value: str, where: str = "locale") -> str:
    """``fr-FR`` / ``fr_FR`` / ``fr`` -> the canonical ``fr_FR``; UserError naming ``where``."""
    try:
        return str(Locale.parse(value.strip().replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise UserError(f"{where}: unknown locale {value!r} (use e.g. fr_FR, en_US, de)") from exc


@lru_cache(maxsize=256)
def locale_for_zone(timezone: str) -> str:
    """The locale a time zone suggests: its territory's main official language there."""
    territory = get_global("zone_territories").get(timezone)
    if not territory:
        return FALLBACK
    languages = get_global("territory_languages").get(territory, {})
    official = [
        (info.get("population_percent", 0.0), lang)
        for lang, info in languages.items()
        if info.get("official_status") in ("official", "de_facto_official")
    ]
    for _share, lang in sorted(official, reverse=True):
        try:
            return str(Locale.parse(f"{lang}_{territory}"))
        except (UnknownLocaleError, ValueError):
            continue
    return FALLBACK


def effective_locale(locale: str | None, timezone: str) -> str:
    """The workspace's own locale, else the one its time zone suggests."""
    return parse_locale(locale) if locale else locale_for_zone(timezone)


def bcp47(locale: str) -> str:
    """``fr_FR`` -> ``fr-FR``: the form of ``<html lang>`` and the browser's Intl."""
    return locale.replace("_", "-")


@lru_cache(maxsize=256)
def _decimal_pattern(locale: str, least: int, most: int) -> NumberPattern:
    """The locale's own decimal pattern (its grouping: 1 234 567, 12,34,567) with
    ``least``..``most`` fraction digits."""
    pattern = copy.copy(Locale.parse(locale).decimal_formats[None])
    pattern.frac_prec = (least, most)
    return pattern


def number(value: float | int | Decimal | None, locale: str, decimals: int = 2) -> str:
    """A count or a share in the locale; whole values without decimals ("3", "0,5")."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return _decimal_pattern(locale, 0, 0).apply(int(value), locale)
    return _decimal_pattern(locale, 0, decimals).apply(value, locale)


def money(amount: Decimal | str | int, locale: str, currency: str) -> str:
    """An amount in major units of ``currency`` for a person: "EUR 1 234,50", "EUR 1,234.50".

    The ISO code comes first, as in :func:`sociable.money.format_money` (no symbol can make
    one currency look like another); the amount takes the locale's separators and exactly the
    currency's minor digits (JPY none, KWD three). A no-break space keeps code and amount
    on one line.
    """
    places = digits(currency)
    text = _decimal_pattern(locale, places, places).apply(Decimal(amount), locale)
    return f"{currency}\u00a0{text}"


def percent(value: float | None, locale: str, decimals: int = 1) -> str:
    """A ratio (0.125) as the locale writes a percentage ("12,5 %" in French)."""
    if value is None:
        return "–"
    # The locale's own pattern (its sign, spacing and digits), with ``decimals`` fractions.
    pattern = copy.copy(Locale.parse(locale).percent_formats[None])
    pattern.frac_prec = (decimals, decimals)
    return pattern.apply(value, locale)


def day(value: date | datetime | str, locale: str, fmt: str = "medium") -> str:
    """A date (or an ISO ``YYYY-MM-DD``) as the locale writes it ("5 mars 2026", "Mar 5, 2026")."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, format=fmt, locale=locale)


MOMENT_SKELETONS = {"long": "yMMMEd", "medium": "yMMMd", "short": "MMMd"}


def moment(value: datetime, locale: str, fmt: str = "long") -> str:
    """A date and time (already in the workspace zone) the locale's way, to the minute.

    ``long``: "jeu. 5 mars 2026 09:30" / "Thu, Mar 5, 2026 9:30 AM"; ``medium`` leaves out
    the weekday ("5 mars 2026 09:30"), ``short`` the year too ("5 mars 09:30").
    """
    on = format_skeleton(MOMENT_SKELETONS.get(fmt, fmt), value, locale=locale)
    return f"{on} {clock(value, locale)}"


def clock(value: datetime | time, locale: str, fmt: str = "short") -> str:
    """A time of day (already in the workspace zone): "09:30" / "9:30 AM"; ``medium`` has
    the seconds."""
    return format_time(value, fmt, locale=locale)
