"""Conversions reported by the site: checked input, signed postbacks, one per order id.

Two ways in:

* ``POST /c`` from the shop's server (verified): ``Authorization: Bearer <secret>`` or
  ``X-Sociable-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>``.
* ``GET /p.gif`` from the thank-you page's script (unverified: anyone can call it, so a report
  can tell the two apart by ``source``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sociable.errors import UserError

ORDER_RE = re.compile(r"[\x21-\x7e]{1,128}")
CLICK_ID_RE = re.compile(r"[A-Za-z0-9_-]{8,32}")
CURRENCY_RE = re.compile(r"[A-Za-z]{3}")
MAX_VALUE = Decimal("1e12")
MAX_CLICK_IDS = 20
SIGNATURE_HEADER = "x-sociable-signature"


@dataclass(frozen=True)
class ConversionIn:
    order_id: str
    value: Decimal = Decimal(0)
    currency: str | None = None
    click_ids: list[str] = field(default_factory=list)

    def record(self, *, workspace_id: int, source: str, at: float) -> dict[str, Any]:
        """The click-log record (see :mod:`sociable.track.flusher`)."""
        return {
            "t": "v",
            "w": workspace_id,
            "o": self.order_id,
            "val": str(self.value),
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


def parse_conversion(data: Mapping[str, Any]) -> ConversionIn:
    """Validate a conversion from JSON or query parameters; UserError names the bad field.

    Accepts ``order_id`` (or ``o``), ``value`` (``v``), ``currency`` (``cur``) and
    ``click_id`` / ``sc_cid`` / ``click_ids`` (``ids``, comma separated or a list).
    """
    order = data.get("order_id", data.get("o"))
    if not isinstance(order, str | int) or isinstance(order, bool):
        raise UserError("is required (1-128 printable characters)", where="order_id")
    order = str(order).strip()
    if not ORDER_RE.fullmatch(order):
        raise UserError("must be 1-128 printable ASCII characters", where="order_id")
    raw_value = data.get("value", data.get("v", 0))
    if isinstance(raw_value, bool) or raw_value is None:
        raise UserError("must be a number", where="value")
    try:
        value = Decimal(str(raw_value).strip() or "0")
    except InvalidOperation:
        raise UserError(f"{str(raw_value)[:40]!r} is not a number", where="value") from None
    if not value.is_finite() or value < 0 or value >= MAX_VALUE:
        raise UserError("must be a finite amount between 0 and 10^12", where="value")
    value = value.quantize(Decimal("0.0001"))
    currency = data.get("currency", data.get("cur"))
    if currency in (None, ""):
        currency = None
    elif not isinstance(currency, str) or not CURRENCY_RE.fullmatch(currency):
        raise UserError("must be a 3-letter ISO 4217 code", where="currency")
    else:
        currency = currency.upper()
    ids = _ids(data.get("click_ids", data.get("ids")))
    for key in ("click_id", "sc_cid"):
        for cid in _ids(data.get(key)):
            if cid not in ids:
                ids.append(cid)
    return ConversionIn(order, value, currency, ids[:MAX_CLICK_IDS])


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
