"""Fill a workspace with demo data: an owner, a webhook account, posts, links, an audit."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from sociable.config import Settings
from sociable.publish.posts import create_post
from sociable.publish.spec import PostSpec
from sociable.store.db import Database
from sociable.store.models import Account, Role, User
from sociable.store.models.publish import Post
from sociable.track.links import create_link
from sociable.workspaces import add_member, ensure_workspace

SITE = Path(__file__).resolve().parent / "site"
OWNER = "demo@sociable.local"
HOOK_HANDLE = "demo-receiver"

POSTS = [
    "Fresh roast day! This week's washed Yirgacheffe tastes of jasmine and bergamot. "
    "Harvest notes: https://demo.example/blog/ethiopia-yirgacheffe.html #SpecialtyCoffee",
    "Our house blend is back in 1 kg bags: chocolate, hazelnut, made for milk drinks. "
    "https://demo.example/shop/house-blend.html",
    "Tuesday cupping at the roastery, 18:00. Bring a friend, we bring the coffee. "
    "#Lyon #CoffeeCupping",
    "How we pick a green coffee: 3 cuppings, 2 roast profiles, 1 decision. "
    "Thread on our journal https://demo.example/",
    "Shipping across Europe in 48 hours, roasted to order. Which origin should we add next?",
]


@dataclass
class DemoResult:
    workspace: str
    email: str
    password: str | None
    created_posts: int = 0
    notes: list[str] = field(default_factory=list)


def _password_file(base: Path) -> Path:
    return base / "LOGIN.txt"


def _owner(db: Database, settings: Settings) -> tuple[str | None, bool]:
    """The demo owner's password: new (and saved 0600 beside the config) or the saved one."""
    path = _password_file(settings.base_dir)
    with db.session() as session:
        workspace, _ = ensure_workspace(session, settings)
        exists = session.scalar(select(User.id).where(User.email == OWNER)) is not None
        if exists:
            saved = path.read_text().split()[-1] if path.exists() else None
            return saved, False
        password = secrets.token_urlsafe(12)
        add_member(session, workspace, OWNER, password, Role.OWNER, "Demo owner")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"Log in at http://127.0.0.1:8000 as {OWNER} with password {password}\n")
    return password, True


def _webhook_account(db: Database, settings: Settings, receiver_url: str) -> int:
    with db.session() as session:
        workspace, _ = ensure_workspace(session, settings)
        account = session.scalar(
            select(Account).where(
                Account.workspace_id == workspace.id,
                Account.network == "webhook",
                Account.handle == HOOK_HANDLE,
            )
        )
        if account is None:
            account = Account(
                workspace_id=workspace.id,
                network="webhook",
                handle=HOOK_HANDLE,
                display_name="Demo receiver (inside sociable serve)",
                credentials={"url": receiver_url, "secret": secrets.token_urlsafe(24)},
                settings={"url": receiver_url, "idempotent": True},
            )
            session.add(account)
            session.flush()
        return account.id


def _posts(db: Database, settings: Settings, now: datetime) -> int:
    """Two posts due in the first minutes (to watch them publish), the rest over 3 weeks."""
    with db.session() as session:
        workspace, _ = ensure_workspace(session, settings)
        if session.scalar(select(Post.id).where(Post.workspace_id == workspace.id).limit(1)):
            return 0
        from sociable.clock import zone

        tz = zone(workspace.timezone)
        times = [now + timedelta(minutes=2), now + timedelta(minutes=4)]
        day = now.astimezone(tz).date()
        for offset in (2, 6, 11):
            local = datetime.combine(day + timedelta(days=offset), time(10, 0), tzinfo=tz)
            times.append(local)
        for text, when in zip(POSTS, times, strict=True):
            spec = PostSpec(
                text=text,
                accounts=[f"webhook:{HOOK_HANDLE}"],
                when=when,
                labels=["demo"],
                campaign="winter-roast",
                source="demo",
            )
            create_post(session, workspace, spec, now=now)
        return len(times)


def _links(db: Database, settings: Settings) -> None:
    with db.session() as session:
        workspace, _ = ensure_workspace(session, settings)
        for slug, url, network in (
            ("yirga", "https://demo.example/blog/ethiopia-yirgacheffe.html", "mastodon"),
            ("blend", "https://demo.example/shop/house-blend.html", "bluesky"),
        ):
            from sociable.store.models.track import ShortLink

            taken = session.scalar(select(ShortLink.id).where(ShortLink.code == slug))
            if taken is None:
                create_link(
                    session,
                    url,
                    workspace_id=workspace.id,
                    campaign="winter-roast",
                    network=network,
                    slug=slug,
                )


def _audit(db: Database, settings: Settings) -> bool:
    """An audit of the demo site shipped in the package, so the audit pages have a report."""
    from sociable.store.models.audit import AuditRun
    from sociable.web.jobs import audit_folder

    with db.session() as session:
        workspace, _ = ensure_workspace(session, settings)
        if session.scalar(select(AuditRun.id).where(AuditRun.workspace_id == workspace.id)):
            return False
        workspace_id = workspace.id
    audit_folder(
        db, workspace_id, SITE, "https://demo.example", networks=settings.workspace.networks
    )
    return True


def _analytics(db: Database, settings: Settings, now: datetime) -> dict[str, int] | None:
    """90 days of made-up posts, metrics, followers, clicks and sales for the Analytics page."""
    from sociable.demo.analytics import seed_analytics

    with db.session() as session:
        workspace, _ = ensure_workspace(session, settings)
        return seed_analytics(session, workspace, now)


def create_demo(db: Database, settings: Settings, *, now: datetime, port: int = 8000) -> DemoResult:
    """Idempotent: running it again adds nothing that is already there."""
    receiver = f"http://127.0.0.1:{port}/demo/receiver"
    password, _ = _owner(db, settings)
    _webhook_account(db, settings, receiver)
    created = _posts(db, settings, now)
    _links(db, settings)
    audited = _audit(db, settings)
    numbers = _analytics(db, settings, now)
    result = DemoResult(settings.workspace.name, OWNER, password, created)
    if numbers:
        result.notes.append(
            f"demo analytics (made-up numbers): {numbers['posts']} posts, "
            f"{numbers['snapshots']} metric readings, {numbers['clicks']} clicks, "
            f"{numbers['conversions']} sales over the last 90 days"
        )
    if audited:
        result.notes.append("audited the demo site shipped with the package")
    return result
