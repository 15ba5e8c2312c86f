"""Conversions reported by the site: checked input, signed postbacks, one per order id.

Two ways in:

* ``POST /c`` from the shop's server (verified): ``Authorization: Bearer <secret>`` or
  ``X-Sociable-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>``.
* ``GET /p.gif`` from the thank-you page's script (unverified: anyone can call it).

One conversion per order id. A verified postback always wins: it replaces a pixel's
conversion for the same order whenever it arrives (the pixel can never pre-empt an order),
and a pixel never changes a verified one (see :func:`sociable.track.flusher.write_records`).
Reports count unverified (pixel) conversions apart and say how many were replaced.

Amounts are integer minor units of an ISO 4217 currency (:mod:`sociable.money`); a conversion
that names no currency is in ``[money] currency``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sociable.errors import UserError
from sociable.money import currency_code, parse_amount

ORDER_RE = re.compile(r"[\x21-\x7e]{1,128}")
CLICK_ID_RE = re.compile(r"[A-Za-z0-9_-]{8,32}")
MAX_CLICK_IDS = 20
SIGNATURE_HEADER = "x-sociable-signature"


@dataclass(frozen=True)
class ConversionIn:
    order_id: str
    amount_minor: int
    currency: str
    click_ids: list[str] = field(default_factory=list)

    def record(self, *, workspace_id: int, source: str, at: float) -> dict[str, Any]:
        """The click-log record (see :mod:`sociable.track.flusher`)."""
        return {
            "t": "v",
            "w": workspace_id,
            "o": self.order_id,
            "amt": self.amount_minor,
            "cur": self.currency,
            "ids": self.click_ids,
            "s": source,
            "at": at,
        }


def _ids(raw: Any) -> list[str]:
    if raw is None or raw == "":
        return []
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise UserError("must be a click id or a list of them", where="click_ids")
    out: list[str] = []
    for item in items[:MAX_CLICK_IDS]:
        if not isinstance(item, str) or not CLICK_ID_RE.fullmatch(item.strip()):
            raise UserError(f"{str(item)[:40]!r} is not a click id", where="click_ids")
        if item.strip() not in out:
            out.append(item.strip())
    return out


def parse_conversion(data: Mapping[str, Any], *, default_currency: str) -> ConversionIn:
    """Validate a conversion from JSON or query parameters; UserError names the bad field.

    Accepts ``order_id`` (or ``o``), ``value`` (``v``, in major units: ``49.90``),
    ``currency`` (``cur``, ISO 4217; ``default_currency`` when absent) and
    ``click_id`` / ``sc_cid`` / ``click_ids`` (``ids``, comma separated or a list). A value
    with more decimals than its currency has (``49.905`` EUR, ``10.5`` JPY) is refused.
    """
    order = data.get("order_id", data.get("o"))
    if not isinstance(order, str | int) or isinstance(order, bool):
        raise UserError("is required (1-128 printable characters)", where="order_id")
    order = str(order).strip()
    if not ORDER_RE.fullmatch(order):
        raise UserError("must be 1-128 printable ASCII characters", where="order_id")
    raw_currency = data.get("currency", data.get("cur"))
    currency = default_currency if raw_currency in (None, "") else currency_code(raw_currency)
    amount = parse_amount(data.get("value", data.get("v", 0)), currency, where="value")
    ids = _ids(data.get("click_ids", data.get("ids")))
    for key in ("click_id", "sc_cid"):
        for cid in _ids(data.get(key)):
            if cid not in ids:
                ids.append(cid)
    return ConversionIn(order, amount, currency, ids[:MAX_CLICK_IDS])


def sign(secret: str, body: bytes) -> str:
    """The signature header value for a postback body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_postback(
    secret: str | None, *, authorization: str | None, signature: str | None, body: bytes
) -> bool:
    """True when the postback carries the shared secret or a valid HMAC of its body."""
    if not secret:
        return False
    if authorization and authorization.startswith("Bearer "):
        return hmac.compare_digest(authorization[7:].strip().encode(), secret.encode())
    if signature:
        return hmac.compare_digest(signature.strip().encode(), sign(secret, body).encode())
    return False
