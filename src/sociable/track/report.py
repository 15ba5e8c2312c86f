"""Clicks, visitors, conversions and revenue per link, post, campaign or network.

Clicks are counted in SQL (bots apart). Unique visitors are distinct daily visitor hashes: the
salt changes every UTC day, so one person clicking on two days counts twice (the price of not
keeping IPs). Conversions are fractional under linear attribution.

Revenue is kept per currency (:class:`sociable.money.Totals`) and never added across
currencies. Given a target currency and the user's dated rates, each credit is also converted
with the rate in force on its conversion's day, and the report lists every rate it used;
what has no rate stays unconverted and is shown as such. Unverified (pixel) conversions are
counted apart, and the report says how many pixel conversions a signed postback replaced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sociable.content.utm import normalize_utm_value
from sociable.money import Totals, format_amount
from sociable.rates import RateTable, describe_use
from sociable.store.models.track import Click, Conversion, ShortLink
from sociable.track.attribution import ConversionFacts, Credit, Model, Touch, attribute_all


class By(StrEnum):
    LINK = "link"
    POST = "post"
    CAMPAIGN = "campaign"
    NETWORK = "network"


UNATTRIBUTED = "(unattributed)"


@dataclass
class Row:
    key: str
    clicks: int = 0
    bot_clicks: int = 0
    visitors: int = 0
    conversions: Decimal = Decimal(0)
    unverified: Decimal = Decimal(0)  # the part of ``conversions`` only a pixel reported
    revenue: Totals = field(default_factory=Totals)
    unverified_revenue: Totals = field(default_factory=Totals)
    # With a target currency: the converted sum, and what had no rate (per currency).
    converted: int | None = None
    not_converted: Totals = field(default_factory=Totals)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def conversion_rate(self) -> float | None:
        return float(self.conversions) / self.clicks if self.clicks else None

    def add(self, credit: Credit) -> None:
        self.conversions += credit.weight
        self.revenue.add(credit.currency, credit.amount_minor)
        if not credit.verified:
            self.unverified += credit.weight
            self.unverified_revenue.add(credit.currency, credit.amount_minor)

    def as_dict(self, convert_to: str | None = None) -> dict[str, Any]:
        rate = self.conversion_rate
        out: dict[str, Any] = {
            "key": self.key,
            "clicks": self.clicks,
            "bot_clicks": self.bot_clicks,
            "unique_visitors": self.visitors,
            "conversions": float(round(self.conversions, 4)),
            "unverified_conversions": float(round(self.unverified, 4)),
            "revenue": self.revenue.as_text(),
            "unverified_revenue": self.unverified_revenue.as_text(),
            "conversion_rate": None if rate is None else round(rate, 4),
        }
        if convert_to is not None:
            out["converted_revenue"] = {
                "currency": convert_to,
                "amount": format_amount(self.converted or 0, convert_to),
            }
            out["not_converted"] = self.not_converted.as_text()
        return out


@dataclass
class LinkReport:
    rows: list[Row]
    total: Row
    convert_to: str | None = None
    rates_used: list[str] = field(default_factory=list)  # each rate as given and how used
    replaced_pixel: int = 0  # orders whose pixel figures a signed postback replaced


def _dimension(by: By) -> Any:
    return {
        By.LINK: ShortLink.code,
        By.POST: ShortLink.post_id,
        By.CAMPAIGN: ShortLink.campaign,
        By.NETWORK: ShortLink.network,
    }[by]


def _key(value: Any) -> str:
    return "(none)" if value is None else str(value)


def _touch_key(touch: Touch, by: By) -> str:
    return _key(
        {
            By.LINK: touch.code,
            By.POST: touch.post_id,
            By.CAMPAIGN: touch.campaign,
            By.NETWORK: touch.network,
        }[by]
    )


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def link_report(
    session: Session,
    *,
    workspace_id: int,
    by: By = By.LINK,
    campaign: str | None = None,
    network: str | None = None,
    since: datetime | None = None,
    model: Model = Model.LAST_CLICK,
    window: timedelta = timedelta(days=7),
    convert_to: str | None = None,
    rates: RateTable | None = None,
) -> LinkReport:
    """One row per group, busiest first; unattributed conversions as their own row.

    ``convert_to`` (an ISO 4217 code) with ``rates``: also sum revenue in that currency,
    each credit at the rate in force on its conversion's day (see :mod:`sociable.rates`).
    """
    dim = _dimension(by)
    link_filter = [ShortLink.workspace_id == workspace_id]
    if campaign:
        link_filter.append(ShortLink.campaign == normalize_utm_value(campaign, field="campaign"))
    if network:
        link_filter.append(ShortLink.network == normalize_utm_value(network, field="network"))
    human = case((Click.is_bot.is_(False), 1), else_=None)
    query = (
        select(
            dim,
            func.count(human),
            func.count(case((Click.is_bot.is_(True), 1), else_=None)),
            func.count(func.distinct(case((Click.is_bot.is_(False), Click.visitor), else_=None))),
        )
        .join(ShortLink, ShortLink.id == Click.link_id)
        .where(*link_filter)
        .group_by(dim)
    )
    if since is not None:
        query = query.where(Click.at >= since)
    rows: dict[str, Row] = {}
    for value, clicks, bots, visitors in session.execute(query):
        rows[_key(value)] = Row(_key(value), int(clicks), int(bots), int(visitors))

    conv_query = select(Conversion).where(Conversion.workspace_id == workspace_id)
    if since is not None:
        conv_query = conv_query.where(Conversion.at >= since)
    conversions = list(session.scalars(conv_query))
    wanted = sorted({cid for c in conversions for cid in c.click_ids})
    touches: dict[str, Touch] = {}
    for chunk in _chunks(wanted):
        found = session.execute(
            select(Click, ShortLink)
            .join(ShortLink, ShortLink.id == Click.link_id)
            .where(Click.click_id.in_(chunk), ShortLink.workspace_id == workspace_id)
        )
        for click, link in found:
            touches[click.click_id] = Touch(
                click.click_id,
                click.at,
                link.id,
                link.code,
                link.post_id,
                link.campaign,
                link.network,
                click.is_bot,
            )
    facts = [
        ConversionFacts(c.order_id, c.at, c.amount_minor, c.currency, c.click_ids, c.verified)
        for c in conversions
    ]
    replaced = {c.order_id for c in conversions if c.replaced_pixel}
    counted: set[str] = set()
    used: dict[tuple[Any, ...], str] = {}
    table = rates or RateTable([])
    filtered = bool(campaign or network)
    for credit in attribute_all(facts, touches, model=model, window=window):
        if credit.touch is None:
            if filtered:
                continue
            key = UNATTRIBUTED
        else:
            if campaign and credit.touch.campaign != normalize_utm_value(campaign):
                continue
            if network and credit.touch.network != normalize_utm_value(network):
                continue
            key = _touch_key(credit.touch, by)
        row = rows.setdefault(key, Row(key))
        row.add(credit)
        counted.add(credit.order_id)
        if convert_to is not None:
            _convert(row, credit, convert_to, table, used)
    ordered = sorted(rows.values(), key=lambda r: (r.key == UNATTRIBUTED, -r.clicks, r.key))
    return LinkReport(
        ordered,
        totals(ordered, convert_to),
        convert_to,
        [used[k] for k in sorted(used)],
        len(replaced & counted),
    )


def _convert(
    row: Row, credit: Credit, target: str, table: RateTable, used: dict[tuple[Any, ...], str]
) -> None:
    if row.converted is None:
        row.converted = 0
    if credit.currency == target:
        row.converted += credit.amount_minor
        return
    done = table.convert(credit.amount_minor, credit.currency, target, credit.at.date())
    if done is None:
        row.not_converted.add(credit.currency, credit.amount_minor)
        return
    row.converted += done.minor
    r = done.rate
    used[(r.on, r.base, r.quote, r.source, done.inverse)] = describe_use(r, done.inverse)


def totals(rows: list[Row], convert_to: str | None = None) -> Row:
    """The sums of the rows; revenue stays per currency."""
    total = Row("total")
    for row in rows:
        total.clicks += row.clicks
        total.bot_clicks += row.bot_clicks
        total.visitors += row.visitors
        total.conversions += row.conversions
        total.unverified += row.unverified
        total.revenue.merge(row.revenue)
        total.unverified_revenue.merge(row.unverified_revenue)
        total.not_converted.merge(row.not_converted)
    if convert_to is not None:
        total.converted = sum(row.converted or 0 for row in rows)
    return total
