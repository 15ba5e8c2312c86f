"""Which post, campaign and network get the credit for each conversion.

A conversion carries the click ids the visitor's browser kept (``sc_cid``, oldest first). The
candidates are those clicks by people (not preview bots) within the window before the
conversion. ``last_click`` (the default, as in most analytics tools) gives all credit to the
latest, ``first_click`` to the earliest, ``linear`` splits it evenly. A conversion with no
candidate is reported as unattributed, never dropped.

Revenue is credited in integer minor units of the conversion's own currency; a linear split
hands out the remainder so the shares add up to the sale exactly (100 in 3 is 34, 33, 33).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sociable.errors import UserError
from sociable.money import split


class Model(StrEnum):
    LAST_CLICK = "last_click"
    FIRST_CLICK = "first_click"
    LINEAR = "linear"


def parse_model(name: str) -> Model:
    try:
        return Model(name.strip().lower().replace("-", "_"))
    except ValueError:
        choices = ", ".join(m.value for m in Model)
        raise UserError(f"{name!r}: choose {choices}", where="model") from None


@dataclass(frozen=True)
class Touch:
    """A click, with the link facts a report groups by."""

    click_id: str
    at: datetime
    link_id: int
    code: str
    post_id: int | None
    campaign: str | None
    network: str | None
    is_bot: bool = False


@dataclass(frozen=True)
class ConversionFacts:
    order_id: str
    at: datetime
    amount_minor: int
    currency: str
    click_ids: Sequence[str]
    verified: bool = True


@dataclass(frozen=True)
class Credit:
    order_id: str
    touch: Touch | None  # None: unattributed
    weight: Decimal
    amount_minor: int  # this credit's share of the sale, in the sale's currency
    currency: str
    verified: bool
    at: datetime  # when the conversion happened (the day a rate is looked up for)


def attribute(
    conversion: ConversionFacts,
    touches: dict[str, Touch],
    *,
    model: Model = Model.LAST_CLICK,
    window: timedelta = timedelta(days=7),
) -> list[Credit]:
    """Split one conversion (weight 1, its amount) over its eligible clicks."""
    eligible = sorted(
        (
            t
            for cid in dict.fromkeys(conversion.click_ids)
            if (t := touches.get(cid)) is not None
            and not t.is_bot
            and t.at <= conversion.at
            and conversion.at - t.at <= window
        ),
        key=lambda t: (t.at, t.click_id),
    )
    c = conversion
    if not eligible:
        return [Credit(c.order_id, None, Decimal(1), c.amount_minor, c.currency, c.verified, c.at)]
    if model is Model.LAST_CLICK:
        chosen = [eligible[-1]]
    elif model is Model.FIRST_CLICK:
        chosen = [eligible[0]]
    else:
        chosen = eligible
    share = Decimal(1) / len(chosen)
    amounts = split(c.amount_minor, len(chosen))
    return [
        Credit(c.order_id, t, share, amount, c.currency, c.verified, c.at)
        for t, amount in zip(chosen, amounts, strict=True)
    ]


def attribute_all(
    conversions: Iterable[ConversionFacts],
    touches: dict[str, Touch],
    *,
    model: Model = Model.LAST_CLICK,
    window: timedelta = timedelta(days=7),
) -> list[Credit]:
    out: list[Credit] = []
    for conversion in conversions:
        out.extend(attribute(conversion, touches, model=model, window=window))
    return out
