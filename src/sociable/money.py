"""Money as integer minor units of one ISO 4217 currency; never added across currencies.

An amount is ``(minor, currency)``: 4990 EUR is 49.90 EUR, 5000 JPY is 5000 yen (JPY has no
minor unit), 1234 KWD is 1.234 dinars. Sums are kept per currency (:class:`Totals`); turning one
currency into another takes a rate the user gave (:mod:`sociable.rates`), never a guess.

The minor units are ISO 4217 List One (SIX, the ISO 4217 maintenance agency, published
2025-01-01): every active code has 2 decimals except those listed below. Funds and precious
metals without a minor unit (XAU, XDR, XTS, XXX...) are not money a shop is paid in and are
refused. Codes withdrawn since 2020 (HRK, SLL, ZWL, CUC, ANG, VEF, MRO, STD) stay accepted
so that old rows and logs still read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sociable.errors import UserError

_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP "
    "GBP GEL GHS GIP GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT "
    "LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRO MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN "
    "NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL "
    "SOS SRD SSP STD STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VEF "
    "VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
)
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"

#: ISO 4217 code -> number of decimal places of its minor unit.
MINOR_UNITS: dict[str, int] = {
    code: digits
    for digits, table in ((2, _TWO), (0, _ZERO), (3, _THREE), (4, _FOUR))
    for code in table.split()
}

#: The largest amount accepted, in major units (a trillion).
MAX_MAJOR = Decimal(10) ** 12


def currency_code(raw: object, *, where: str = "currency") -> str:
    """A known ISO 4217 code, upper case; UserError naming ``where`` otherwise."""
    if not isinstance(raw, str) or len(raw.strip()) != 3:
        raise UserError("must be a 3-letter ISO 4217 code such as EUR or USD", where=where)
    code = raw.strip().upper()
    if code not in MINOR_UNITS:
        raise UserError(f"{code!r} is not an ISO 4217 currency code", where=where)
    return code


def digits(currency: str) -> int:
    """Decimal places of the currency's minor unit (EUR 2, JPY 0, KWD 3)."""
    return MINOR_UNITS[currency]


def to_minor(amount: Decimal, currency: str, *, where: str = "value", exact: bool = True) -> int:
    """A decimal amount in major units as integer minor units.

    ``exact``: more decimals than the currency has is an error (49.905 EUR); otherwise the
    amount is rounded half up (used only where old data must be kept, e.g. a migration).
    """
    places = digits(currency)
    scaled = amount.scaleb(places)
    whole = scaled.to_integral_value(rounding=ROUND_HALF_UP)
    if exact and whole != scaled:
        unit = "no minor unit" if places == 0 else f"{places} decimal places"
        raise UserError(f"{amount} has more decimals than {currency} allows ({unit})", where=where)
    return int(whole)


def parse_amount(raw: object, currency: str, *, where: str = "value") -> int:
    """``"49.90"`` (or a number) in ``currency`` as minor units (4990); UserError names the field.

    No thousands separators: ``1,000`` is an error, not a thousand.
    """
    if isinstance(raw, bool) or raw is None:
        raise UserError("must be a number", where=where)
    text = str(raw).strip() or "0"
    if isinstance(raw, float):
        text = repr(raw)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise UserError(f"{text[:40]!r} is not a number", where=where) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_MAJOR:
        raise UserError("must be a finite amount between 0 and 10^12", where=where)
    return to_minor(amount, currency, where=where)


def major(minor: int, currency: str) -> Decimal:
    """Minor units back as an exact Decimal in major units (4990 EUR -> Decimal('49.90'))."""
    return Decimal(minor).scaleb(-digits(currency))


def format_amount(minor: int, currency: str) -> str:
    """The amount with exactly the currency's decimals: ``49.90``, ``5000``, ``1.234``."""
    places = digits(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"


def format_money(minor: int, currency: str) -> str:
    """``EUR 49.90``: the code first, so no locale can make one currency look like another."""
    return f"{currency} {format_amount(minor, currency)}"


def split(minor: int, parts: int) -> list[int]:
    """``minor`` in ``parts`` integer shares that add up to it exactly (the first get the
    remainder): 100 in 3 is [34, 33, 33]."""
    base, extra = divmod(minor, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class Totals(Mapping[str, int]):
    """Sums per currency in minor units. Adding always keeps currencies apart."""

    def __init__(self, items: Iterable[tuple[str, int]] = ()) -> None:
        self._sums: dict[str, int] = {}
        for currency, minor in items:
            self.add(currency, minor)

    def add(self, currency: str, minor: int) -> None:
        self._sums[currency] = self._sums.get(currency, 0) + minor

    def merge(self, other: Mapping[str, int]) -> None:
        for currency, minor in other.items():
            self.add(currency, minor)

    def __getitem__(self, currency: str) -> int:
        return self._sums[currency]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._sums))

    def __len__(self) -> int:
        return len(self._sums)

    def as_text(self) -> dict[str, str]:
        """``{"EUR": "49.90", "JPY": "5000"}``: exact decimal strings, codes sorted."""
        return {c: format_amount(self[c], c) for c in self}

    def __str__(self) -> str:
        return " · ".join(format_money(self[c], c) for c in self) or "–"

    def __repr__(self) -> str:
        return f"Totals({dict(self)!r})"
