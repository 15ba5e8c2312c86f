"""Clicks, visitors, conversions and revenue per link, post, campaign or network.

Clicks are counted in SQL (bots apart). Unique visitors are distinct daily visitor hashes: the
salt changes every UTC day, so one person clicking on two days counts twice (the price of not
keeping IPs). Conversions are fractional under linear attribution.
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
from sociable.store.models.track import Click, Conversion, ShortLink
from sociable.track.attribution import ConversionFacts, Model, Touch, attribute_all


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
    revenue: Decimal = Decimal(0)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def conversion_rate(self) -> float | None:
        return float(self.conversions) / self.clicks if self.clicks else None

    def as_dict(self) -> dict[str, Any]:
        rate = self.conversion_rate
        return {
            "key": self.key,
            "clicks": self.clicks,
            "bot_clicks": self.bot_clicks,
            "unique_visitors": self.visitors,
            "conversions": float(round(self.conversions, 4)),
            "revenue": float(round(self.revenue, 2)),
            "conversion_rate": None if rate is None else round(rate, 4),
        }


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
) -> list[Row]:
    """One row per group, busiest first; unattributed conversions as their own row."""
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
    facts = [ConversionFacts(c.order_id, c.at, c.value, c.click_ids) for c in conversions]
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
        row.conversions += credit.weight
        row.revenue += credit.revenue
    return sorted(rows.values(), key=lambda r: (r.key == UNATTRIBUTED, -r.clicks, r.key))


def totals(rows: list[Row]) -> Row:
    total = Row("total")
    for row in rows:
        total.clicks += row.clicks
        total.bot_clicks += row.bot_clicks
        total.visitors += row.visitors
        total.conversions += row.conversions
        total.revenue += row.revenue
    return total
