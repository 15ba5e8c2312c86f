"""Exchange rates the user gives, dated; the only way one currency is turned into another.

A rate says that on ``on`` (a date) one ``base`` was worth ``rate`` ``quote``: ``2026-01-31,
USD, EUR, 0.9215``. They come from ``[[money.rates]]`` in sociable.toml or a CSV file with the
header ``date,from,to,rate``. An amount dated D uses the latest rate dated on or before D
(the inverse of a ``quote -> base`` rate if that is the one given); with none, it is not
converted and the report says so. Nothing is fetched from the network.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sociable.errors import UserError
from sociable.money import currency_code, major, to_minor

MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Rate:
    on: date
    base: str
    quote: str
    rate: Decimal
    source: str  # where the user gave it: "rates.csv:3", "sociable.toml money.rates[0]"

    def describe(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} on {self.on.isoformat()} ({self.source})"


def make_rate(on: object, base: object, quote: object, rate: object, *, source: str) -> Rate:
    """A checked rate; UserError names ``source`` and the bad field."""
    try:
        day = on if isinstance(on, date) else date.fromisoformat(str(on).strip())
    except ValueError:
        raise UserError(
            f"{str(on)[:40]!r} is not a date (YYYY-MM-DD)", where=f"{source} date"
        ) from None
    b = currency_code(base, where=f"{source} from")
    q = currency_code(quote, where=f"{source} to")
    if b == q:
        raise UserError("from and to are the same currency", where=source)
    try:
        value = Decimal(str(rate).strip())
    except InvalidOperation:
        raise UserError(f"{str(rate)[:40]!r} is not a number", where=f"{source} rate") from None
    if not value.is_finite() or value <= 0:
        raise UserError("must be a positive number", where=f"{source} rate")
    return Rate(day, b, q, value, source)


def read_rates_csv(path: Path) -> list[Rate]:
    """Rates from a ``date,from,to,rate`` CSV; UserError names the file, line and field."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"over {MAX_FILE_BYTES // 1024 // 1024} MB", where=str(path))
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", where=str(path)) from None
    except UnicodeDecodeError:
        raise UserError("not UTF-8 text", where=str(path)) from None
    reader = csv.DictReader(text.splitlines())
    need = {"date", "from", "to", "rate"}
    header = {h.strip().lower() for h in reader.fieldnames or []}
    if not need <= header:
        missing = ", ".join(sorted(need - header))
        raise UserError(f"needs the header date,from,to,rate (missing {missing})", where=str(path))
    rates = []
    for row in reader:
        cells = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
        if not any(cells.get(k, "").strip() for k in need):
            continue  # a blank line
        where = f"{path.name}:{reader.line_num}"
        rates.append(
            make_rate(cells["date"], cells["from"], cells["to"], cells["rate"], source=where)
        )
    return rates


@dataclass(frozen=True)
class Converted:
    minor: int
    rate: Rate
    inverse: bool  # the rate was given the other way round and used as 1/rate


class RateTable:
    """Finds the rate in force on a day for one pair of currencies."""

    def __init__(self, rates: Iterable[Rate]) -> None:
        self.rates = sorted(rates, key=lambda r: (r.on, r.source))

    def __bool__(self) -> bool:
        return bool(self.rates)

    def find(self, base: str, quote: str, on: date) -> tuple[Rate, bool] | None:
        """The latest rate dated on or before ``on``: ``(rate, inverse)`` or None."""
        best: tuple[Rate, bool] | None = None
        for r in self.rates:
            if r.on > on:
                break
            if (r.base, r.quote) == (base, quote):
                best = (r, False)
            elif (r.base, r.quote) == (quote, base) and not (
                best is not None and best[0].on == r.on and not best[1]
            ):
                best = (r, True)
        return best

    def convert(self, minor: int, currency: str, target: str, on: date) -> Converted | None:
        """``minor`` of ``currency`` in ``target`` minor units (rounded half up), or None."""
        found = self.find(currency, target, on)
        if found is None:
            return None
        rate, inverse = found
        factor = Decimal(1) / rate.rate if inverse else rate.rate
        amount = major(minor, currency) * factor
        return Converted(to_minor(amount, target, exact=False), rate, inverse)


def describe_use(rate: Rate, inverse: bool) -> str:
    """How a rate was used, for a report: the rate as given, and 1/rate when inverted."""
    if inverse:
        back = Decimal(1) / rate.rate
        return f"{rate.describe()}, used as 1 {rate.quote} = {back:.6g} {rate.base}"
    return rate.describe()


def load_rates(configured: Iterable[object] = (), csv_path: Path | None = None) -> RateTable:
    """The rates from ``[[money.rates]]`` (RateSettings) and, if given, a CSV file."""
    rates = [
        make_rate(
            getattr(r, "date"),  # noqa: B009 - RateSettings, kept untyped to avoid a cycle
            getattr(r, "from_"),  # noqa: B009
            getattr(r, "to"),  # noqa: B009
            getattr(r, "rate"),  # noqa: B009
            source=f"sociable.toml money.rates[{i}]",
        )
        for i, r in enumerate(configured)
    ]
    if csv_path is not None:
        rates.extend(read_rates_csv(csv_path))
    return RateTable(rates)
