"""A workspace with analytics in it, written through the real models: two accounts, posts in
a period and in the period before it, metric readings (older and latest), followers, short
links with clicks (people and a bot) and conversions in two currencies.

Tests compute what they expect from :data:`POSTS`, :data:`CLICKS` and :data:`SALES` (never
from the page or the report under test).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sociable.analytics.measures import ENGAGEMENT_PARTS
from sociable.store.db import Database
from sociable.store.models import Account
from sociable.store.models.analytics import SocialPost
from sociable.store.models.collect import MetricSnapshot
from sociable.store.models.track import Click, Conversion, ShortLink

PARIS = ZoneInfo("Europe/Paris")
START, END = date(2026, 11, 1), date(2026, 11, 28)  # 28 days
PREV_START, PREV_END = date(2026, 10, 4), date(2026, 10, 31)


@dataclass(frozen=True)
class SeedPost:
    network: str
    local: datetime  # Europe/Paris
    kind: str
    metrics: dict[str, int]  # the latest readings (an older, smaller one is written too)
    text: str = "a post"


def _at(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=PARIS)


POSTS = (
    SeedPost(
        "mastodon",
        _at(2026, 11, 3, 9, 15),
        "text",
        {"likes": 10, "comments": 2, "shares": 3},
        "Cupping on Tuesday #coffee",
    ),
    SeedPost(
        "mastodon",
        _at(2026, 11, 10, 18, 40),
        "image",
        {"likes": 20, "comments": 1, "shares": 4},
        "New roast #coffee #beans",
    ),
    SeedPost(
        "linkedin",
        _at(2026, 11, 4, 9, 5),
        "link",
        {"impressions": 1000, "reach": 800, "likes": 30, "comments": 5, "shares": 5, "clicks": 12},
        "Our journal https://acme.example/",
    ),
    SeedPost(
        "linkedin",
        _at(2026, 11, 20, 12, 30),
        "video",
        {
            "impressions": 2000,
            "reach": 1500,
            "likes": 50,
            "comments": 10,
            "shares": 8,
            "clicks": 20,
        },
        "First crack, sound on",
    ),
    # the period before
    SeedPost("mastodon", _at(2026, 10, 10, 9, 0), "text", {"likes": 5, "comments": 1, "shares": 1}),
    SeedPost(
        "linkedin",
        _at(2026, 10, 15, 10, 0),
        "link",
        {"impressions": 500, "reach": 400, "likes": 10, "comments": 2, "shares": 2},
    ),
)
# (network, local time, is_bot)
CLICKS = (
    ("mastodon", _at(2026, 11, 3, 10, 0), False),
    ("mastodon", _at(2026, 11, 3, 11, 0), False),
    ("linkedin", _at(2026, 11, 4, 9, 30), False),
    ("linkedin", _at(2026, 11, 4, 9, 31), True),
    ("mastodon", _at(2026, 10, 11, 9, 0), False),
)
# (order id, index into CLICKS, amount in minor units, currency)
SALES = (("o1", 0, 4990, "EUR"), ("o2", 2, 1000, "USD"), ("o3", 4, 2000, "EUR"))
FOLLOWERS = {
    "mastodon": ((date(2026, 10, 1), 100), (date(2026, 11, 1), 120), (date(2026, 11, 28), 150)),
    "linkedin": ((date(2026, 10, 1), 500), (date(2026, 11, 1), 520), (date(2026, 11, 28), 560)),
}


def in_period(when: datetime, start: date = START, end: date = END) -> bool:
    return start <= when.astimezone(PARIS).date() <= end


def engagements(post: SeedPost) -> int:
    return sum(post.metrics.get(part, 0) for part in ENGAGEMENT_PARTS)


def seed(db: Database, workspace_id: int) -> dict[str, int]:
    """Write it all; returns the account id per network."""
    ids: dict[str, int] = {}
    with db.session() as s:
        for network, handle in (("mastodon", "acme@mastodon.example"), ("linkedin", "acme-li")):
            account = Account(
                workspace_id=workspace_id,
                network=network,
                handle=handle,
                status="imported",
                credentials=None,
            )
            s.add(account)
            s.flush()
            ids[network] = account.id
        for i, post in enumerate(POSTS):
            posted = post.local.astimezone(UTC)
            remote = f"r{i}"
            s.add(
                SocialPost(
                    workspace_id=workspace_id,
                    account_id=ids[post.network],
                    network=post.network,
                    remote_id=remote,
                    dedupe_key=remote,
                    posted_at=posted,
                    text=post.text,
                    content_type=post.kind,
                    hashtags=[],
                    labels=[],
                    source="import",
                    url=f"https://{post.network}.example/p/{i}",
                )
            )
            for after, share in ((timedelta(hours=2), 0.5), (timedelta(days=3), 1.0)):
                for metric, value in post.metrics.items():
                    s.add(
                        MetricSnapshot(
                            workspace_id=workspace_id,
                            account_id=ids[post.network],
                            remote_id=remote,
                            network=post.network,
                            metric=metric,
                            value=int(value * share),
                            cumulative=True,
                            api_version="import:test",
                            taken_at=posted + after,
                            fresh_as_of=posted + after,
                        )
                    )
        for network, readings in FOLLOWERS.items():
            for day, value in readings:
                at = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
                s.add(
                    MetricSnapshot(
                        workspace_id=workspace_id,
                        account_id=ids[network],
                        remote_id=None,
                        network=network,
                        metric="followers",
                        value=value,
                        cumulative=True,
                        api_version="import:test",
                        taken_at=at,
                        fresh_as_of=at,
                    )
                )
        links = {}
        for network in ("mastodon", "linkedin"):
            link = ShortLink(
                workspace_id=workspace_id,
                code=f"ws{workspace_id}{network}",
                url="https://acme.example/",
                destination="https://acme.example/",
                network=network,
                campaign="autumn",
            )
            s.add(link)
            s.flush()
            links[network] = link
        for i, (network, local, bot) in enumerate(CLICKS):
            link = links[network]
            s.add(
                Click(
                    click_id=f"w{workspace_id}c{i}",
                    link_id=link.id,
                    code=link.code,
                    at=local.astimezone(UTC),
                    visitor=f"v{i}",
                    is_bot=bot,
                )
            )
        for order, click, minor, currency in SALES:
            at = CLICKS[click][1].astimezone(UTC) + timedelta(minutes=5)
            s.add(
                Conversion(
                    workspace_id=workspace_id,
                    order_id=order,
                    amount_minor=minor,
                    currency=currency,
                    click_ids=[f"w{workspace_id}c{click}"],
                    source="postback",
                    at=at,
                )
            )
    return ids
