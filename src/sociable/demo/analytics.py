"""Demo numbers for the Analytics page: 90 days of posts, their metrics, followers, clicks
and a few sales, on four demo accounts.

Everything here is made up, from a seeded random generator (the same numbers every run,
shifted to end at the day the demo is made), and marked as such: the accounts are
``status="imported"`` and named "(demo data)", the posts come from one ``analytics_import``
row whose format is ``demo``, snapshots carry ``api_version="import:demo"`` and conversions
have ``demo-`` order ids. Nothing is ever collected for these accounts (collection reads
only active accounts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.analytics.posts import tags_of
from sociable.clock import zone
from sociable.store.models import Account, Workspace
from sociable.store.models.analytics import AnalyticsImport, SocialPost
from sociable.store.models.collect import MetricSnapshot
from sociable.store.models.track import Click, Conversion, ShortLink
from sociable.track.links import create_link

DAYS = 90
SEED = 13
FORMAT = "demo"
API_VERSION = "import:demo"


@dataclass(frozen=True)
class DemoAccount:
    network: str
    handle: str
    followers: int  # 90 days ago
    daily_posts: float  # chance of a post on a day
    impressions: bool  # the network reports impressions (X, LinkedIn; not Mastodon, Bluesky)
    link: str  # the short link its posts carry


ACCOUNTS = (
    DemoAccount("x", "democoffee", 4200, 0.7, True, "cupping"),
    DemoAccount("bluesky", "roastery.demo.example", 1800, 0.45, False, "blend"),
    DemoAccount("mastodon", "roastery@demo.example", 950, 0.4, False, "yirga"),
    DemoAccount("linkedin", "demo-coffee-roasters", 2600, 0.25, True, "journal"),
)
LINKS = {
    "cupping": "https://demo.example/blog/",
    "journal": "https://demo.example/",
}
TEXTS = (
    ("Fresh roast day: washed Yirgacheffe, jasmine and bergamot. #SpecialtyCoffee", "image"),
    ("Our house blend is back in 1 kg bags. https://demo.example/shop/house-blend.html", "link"),
    ("Tuesday cupping at the roastery, 18:00. Bring a friend. #Lyon #CoffeeCupping", "text"),
    ("How we pick a green coffee: 3 cuppings, 2 roast profiles, 1 decision.", "thread"),
    ("60 seconds of first crack, sound on. #CoffeeRoasting", "video"),
    ("Five origins side by side, swipe for the tasting notes. #SpecialtyCoffee", "carousel"),
    ("Shipping across Europe in 48 hours, roasted to order. Which origin next?", "text"),
    ("Brew guide: the V60 recipe we use at the bar. https://demo.example/blog/", "link"),
)
# Local hours people post at, and how much more the audience engages at some of them.
HOURS = (7, 8, 9, 10, 11, 12, 13, 17, 18, 19, 20, 21)
HOUR_LIFT = {8: 1.3, 9: 1.6, 10: 1.4, 12: 1.2, 18: 1.5, 19: 1.3}
WEEKDAY_LIFT = (1.0, 1.25, 1.3, 1.2, 1.0, 0.7, 0.6)  # Monday first
KIND_LIFT = {"video": 1.5, "carousel": 1.3, "image": 1.15, "text": 1.0, "thread": 1.1, "link": 0.8}


def _account(s: Session, workspace_id: int, spec: DemoAccount) -> Account:
    found = s.scalar(
        select(Account).where(
            Account.workspace_id == workspace_id,
            Account.network == spec.network,
            Account.handle == spec.handle,
        )
    )
    if found is not None:
        return found
    account = Account(
        workspace_id=workspace_id,
        network=spec.network,
        handle=spec.handle,
        display_name="Demo Coffee Roasters (demo data)",
        status="imported",
        credentials=None,
        settings={"demo": True},
    )
    s.add(account)
    s.flush()
    return account


def _link(s: Session, workspace_id: int, code: str, network: str) -> ShortLink:
    found = s.scalar(select(ShortLink).where(ShortLink.code == code))
    if found is not None:
        return found
    return create_link(
        s,
        LINKS.get(code, "https://demo.example/"),
        workspace_id=workspace_id,
        campaign="winter-roast",
        network=network,
        slug=code,
    )


def _snapshot(
    account: Account, remote_id: str | None, metric: str, value: int, at: datetime
) -> MetricSnapshot:
    return MetricSnapshot(
        workspace_id=account.workspace_id,
        account_id=account.id,
        remote_id=remote_id,
        network=account.network,
        metric=metric,
        value=value,
        cumulative=True,
        api_version=API_VERSION,
        taken_at=at,
        fresh_as_of=at,
    )


class _Seeder:
    def __init__(self, s: Session, workspace: Workspace, now: datetime) -> None:
        self.s = s
        self.workspace = workspace
        self.now = now
        self.tz = zone(workspace.timezone)
        self.rng = random.Random(SEED)
        self.first_day = now.astimezone(self.tz).date() - timedelta(days=DAYS)
        self.counts = {"posts": 0, "snapshots": 0, "clicks": 0, "conversions": 0}

    def run(self) -> dict[str, int]:
        batch = AnalyticsImport(
            workspace_id=self.workspace.id,
            filename="demo data (generated by `sociable demo`)",
            sha256="0" * 64,
            format=FORMAT,
            imported_at=self.now,
            options={"demo": True, "seed": SEED, "days": DAYS},
        )
        self.s.add(batch)
        self.s.flush()
        for spec in ACCOUNTS:
            account = _account(self.s, self.workspace.id, spec)
            link = _link(self.s, self.workspace.id, spec.link, spec.network)
            self._followers(account, spec)
            self._posts(account, spec, batch.id)
            self._clicks(link, spec)
        batch.rows = batch.posts_added = self.counts["posts"]
        batch.snapshots_added = self.counts["snapshots"]
        self.s.flush()
        return self.counts

    def _followers(self, account: Account, spec: DemoAccount) -> None:
        followers = spec.followers
        for i in range(DAYS + 1):
            day = self.first_day + timedelta(days=i)
            at = datetime.combine(day, time(6, 0), tzinfo=self.tz).astimezone(UTC)
            if at > self.now:
                break
            followers += max(-3, round(self.rng.gauss(spec.followers * 0.0025, 4)))
            self.s.add(_snapshot(account, None, "followers", followers, at))
            self.counts["snapshots"] += 1

    def _posts(self, account: Account, spec: DemoAccount, import_id: int) -> None:
        rng = self.rng
        for i in range(DAYS):
            day = self.first_day + timedelta(days=i + 1)
            if rng.random() > spec.daily_posts:
                continue
            hour = rng.choice(HOURS)
            local = datetime.combine(day, time(hour, rng.randrange(0, 60, 5)), tzinfo=self.tz)
            posted = local.astimezone(UTC)
            if posted > self.now - timedelta(hours=2):
                continue
            text, kind = rng.choice(TEXTS)
            remote_id = f"demo-{spec.network}-{day.isoformat()}-{hour:02d}"
            campaign = "winter-roast" if i >= DAYS - 35 and rng.random() < 0.6 else None
            self.s.add(
                SocialPost(
                    workspace_id=account.workspace_id,
                    account_id=account.id,
                    network=spec.network,
                    remote_id=remote_id,
                    dedupe_key=remote_id,
                    posted_at=posted,
                    text=text,
                    content_type=kind,
                    hashtags=tags_of(text),
                    labels=["demo"],
                    campaign=campaign,
                    segment="shop" if "shop" in text or "Shipping" in text else "roastery",
                    link=LINKS.get(spec.link),
                    url=f"https://demo.example/{spec.network}/{remote_id}",
                    source="import",
                    import_id=import_id,
                )
            )
            self.counts["posts"] += 1
            lift = HOUR_LIFT.get(hour, 1.0) * WEEKDAY_LIFT[day.weekday()] * KIND_LIFT[kind]
            self._metrics(account, spec, remote_id, posted, lift)

    def _metrics(
        self, account: Account, spec: DemoAccount, remote_id: str, posted: datetime, lift: float
    ) -> None:
        rng = self.rng
        audience = spec.followers * rng.uniform(0.6, 1.4) * lift
        final: dict[str, int] = {}
        if spec.impressions:
            final["impressions"] = round(audience * rng.uniform(0.3, 0.7))
            if spec.network == "linkedin":
                final["reach"] = round(final["impressions"] * rng.uniform(0.6, 0.8))
            final["clicks"] = round(final["impressions"] * rng.uniform(0.004, 0.02))
        likes = round(audience * rng.uniform(0.01, 0.03))
        final["likes"] = likes
        final["comments"] = round(likes * rng.uniform(0.05, 0.2))
        final["shares"] = round(likes * rng.uniform(0.1, 0.3))
        for after, share in ((timedelta(days=1), 0.7), (timedelta(days=7), 1.0)):
            at = min(posted + after, self.now)
            for metric, value in final.items():
                self.s.add(_snapshot(account, remote_id, metric, round(value * share), at))
                self.counts["snapshots"] += 1
            if at == self.now:
                break

    def _clicks(self, link: ShortLink, spec: DemoAccount) -> None:
        rng = self.rng
        referrer = {"x": "t.co", "bluesky": "bsky.app", "linkedin": "lnkd.in"}
        for i in range(DAYS):
            day = self.first_day + timedelta(days=i + 1)
            for n in range(rng.randint(0, 5)):
                at = datetime.combine(day, time(rng.randrange(7, 23), rng.randrange(60)))
                at = at.replace(tzinfo=self.tz).astimezone(UTC)
                if at > self.now:
                    continue
                click_id = f"demo{link.id}d{i}n{n}"
                bot = rng.random() < 0.08
                self.s.add(
                    Click(
                        click_id=click_id,
                        link_id=link.id,
                        code=link.code,
                        at=at,
                        referrer_host=referrer.get(spec.network, "demo.example"),
                        ua_family="Other" if bot else rng.choice(("Firefox", "Chrome", "Safari")),
                        device="other" if bot else rng.choice(("desktop", "mobile", "mobile")),
                        visitor=f"demo{rng.randrange(10**9):09d}",
                        is_bot=bot,
                    )
                )
                self.counts["clicks"] += 1
                if not bot and rng.random() < 0.06:
                    self.counts["conversions"] += 1
                    self.s.add(
                        Conversion(
                            workspace_id=self.workspace.id,
                            order_id=f"demo-{click_id}",
                            amount_minor=rng.choice((1490, 2490, 3990, 4990)),
                            currency="EUR",
                            click_ids=[click_id],
                            source="postback",
                            at=at + timedelta(minutes=rng.randint(2, 50)),
                        )
                    )


def seed_analytics(s: Session, workspace: Workspace, now: datetime) -> dict[str, int] | None:
    """Add the demo numbers once per workspace; None when they are there already."""
    done = s.scalar(
        select(AnalyticsImport.id).where(
            AnalyticsImport.workspace_id == workspace.id, AnalyticsImport.format == FORMAT
        )
    )
    if done is not None:
        return None
    return _Seeder(s, workspace, now).run()
