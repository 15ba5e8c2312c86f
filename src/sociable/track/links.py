"""Short links: create, find, disable, and route a post's URLs through them.

A link stores the URL as given and the destination we redirect to (the URL plus its UTM
tags), so the redirect server never builds URLs on the hot path and only ever sends people to
a destination someone registered (no open redirect).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sociable.clock import Clock, system_clock
from sociable.config import TrackSettings
from sociable.content.utm import UTM_KEYS, add_utm, check_url, normalize_utm_value
from sociable.errors import UserError
from sociable.store.models.track import Click, ShortLink

CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O/1/l/I
CODE_LENGTH = 7
MAX_CODE_LENGTH = 64
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# Paths the redirect server answers itself; a slug may not take them.
RESERVED = frozenset({"c", "p.gif", "s.js", "healthz", "favicon.ico", "robots.txt"})
PAID_MEDIUMS = frozenset({"paid_social", "cpc", "paid"})

# URLs in post text: stop at whitespace, quotes and angle brackets.
URL_RE = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*'\""


@dataclass(frozen=True)
class LinkView:
    code: str
    short_url: str
    destination: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "short_url": self.short_url, "destination": self.destination}


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def check_slug(slug: str) -> str:
    """A custom code: letters, digits, ``-`` and ``_``, up to 64, not a reserved path."""
    if not CODE_RE.fullmatch(slug):
        raise UserError(
            f"{slug[:80]!r}: use 1-{MAX_CODE_LENGTH} letters, digits, '-' or '_', "
            "starting with a letter or digit",
            where="slug",
        )
    if slug.lower() in RESERVED:
        raise UserError(f"{slug!r} is reserved by the redirect server", where="slug")
    return slug


def short_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/{code}"


def parse_expiry(text: str, *, now: datetime) -> datetime:
    """``30d``, ``12h``, ``90m`` from now, or an ISO 8601 time (UTC if no offset)."""
    m = re.fullmatch(r"\s*(\d{1,5})\s*([dhm])\s*", text)
    if m:
        amount, unit = int(m.group(1)), m.group(2)
        delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount)}.get(
            unit, timedelta(minutes=amount)
        )
        return now + delta
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{text!r}: give a duration like 30d, 12h, 90m or an ISO time", where="expires"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=now.tzinfo)
    if when <= now:
        raise UserError(f"{text!r} is in the past", where="expires")
    return when


def build_destination(
    url: str,
    *,
    network: str | None,
    campaign: str | None = None,
    post_id: int | None = None,
    medium: str = "social",
    utm: dict[str, str] | None = None,
) -> tuple[str, dict[str, str]]:
    """The URL with its UTM tags (GA4: source=network, medium, campaign, content=post)."""
    check_url(url)
    tags: dict[str, str] = {}
    if network:
        tags["utm_source"] = network
        tags["utm_medium"] = medium
    if campaign:
        tags["utm_campaign"] = campaign
    if post_id is not None:
        tags["utm_content"] = f"post-{post_id}"
    for key, value in (utm or {}).items():
        name = key.lower().replace("-", "_")
        name = name if name.startswith("utm_") else f"utm_{name}"
        if name not in UTM_KEYS:
            raise UserError(
                f"unknown UTM key {key!r}; use source, medium, campaign, content or term",
                where="utm",
            )
        tags[name] = value
    tags = {k: normalize_utm_value(v, field=k) for k, v in tags.items()}
    if not tags:
        return url, {}
    if "utm_source" not in tags:
        raise UserError("UTM tags need a source: give --network or --utm-source", where="utm")
    destination = add_utm(
        url,
        source=tags["utm_source"],
        medium=tags.get("utm_medium", medium),
        campaign=tags.get("utm_campaign"),
        content=tags.get("utm_content"),
        term=tags.get("utm_term"),
    )
    tags.setdefault("utm_medium", normalize_utm_value(medium, field="utm_medium"))
    return destination, tags


def create_link(
    session: Session,
    url: str,
    *,
    workspace_id: int,
    campaign: str | None = None,
    post_id: int | None = None,
    network: str | None = None,
    slug: str | None = None,
    utm: dict[str, str] | None = None,
    expires_at: datetime | None = None,
    medium: str = "social",
) -> ShortLink:
    """Register a short link; a custom slug that is taken is a UserError."""
    destination, tags = build_destination(
        url, network=network, campaign=campaign, post_id=post_id, medium=medium, utm=utm
    )
    if network is not None:
        network = normalize_utm_value(network, field="network")[:32]
    if campaign is not None:
        campaign = normalize_utm_value(campaign, field="campaign")
    code = check_slug(slug) if slug else None
    for _ in range(8):
        link = ShortLink(
            workspace_id=workspace_id,
            code=code or new_code(),
            url=url,
            destination=destination,
            campaign=campaign,
            network=network,
            post_id=post_id,
            utm=tags,
            expires_at=expires_at,
        )
        try:
            with session.begin_nested():
                session.add(link)
                session.flush()
        except IntegrityError:
            if code:
                raise UserError(f"{code!r} is already taken", where="slug") from None
            continue
        return link
    raise UserError("could not find a free code; try again")  # pragma: no cover


def view(link: ShortLink, base_url: str) -> LinkView:
    return LinkView(link.code, short_url(base_url, link.code), link.destination)


def get_link(session: Session, code: str, *, workspace_id: int | None = None) -> ShortLink:
    query = select(ShortLink).where(ShortLink.code == code)
    if workspace_id is not None:
        query = query.where(ShortLink.workspace_id == workspace_id)
    link = session.scalar(query)
    if link is None:
        raise UserError(f"no short link {code[:80]!r}", where="code")
    return link


def list_links(
    session: Session,
    *,
    workspace_id: int,
    campaign: str | None = None,
    network: str | None = None,
) -> list[ShortLink]:
    query = select(ShortLink).where(ShortLink.workspace_id == workspace_id)
    if campaign:
        query = query.where(ShortLink.campaign == normalize_utm_value(campaign))
    if network:
        query = query.where(ShortLink.network == normalize_utm_value(network))
    return list(session.scalars(query.order_by(ShortLink.id)))


def click_counts(session: Session, link_ids: list[int]) -> dict[int, int]:
    """Human clicks (bots left out) per link id; links without clicks are absent."""
    if not link_ids:
        return {}
    rows = session.execute(
        select(Click.link_id, func.count())
        .where(Click.link_id.in_(link_ids), Click.is_bot.is_(False))
        .group_by(Click.link_id)
    )
    return {int(i): int(n) for i, n in rows}


def set_disabled(session: Session, code: str, *, workspace_id: int, disabled: bool = True) -> None:
    get_link(session, code, workspace_id=workspace_id).disabled = disabled


def is_live(link: ShortLink, now: datetime) -> bool:
    return not link.disabled and (link.expires_at is None or link.expires_at > now)


def _split_trailing(url: str) -> tuple[str, str]:
    """Punctuation that ends a sentence is not part of the URL; nor is an unmatched ')'."""
    end = len(url)
    while end > 0:
        ch = url[end - 1]
        if ch in _TRAILING or (ch == ")" and url[:end].count("(") < url[:end].count(")")):
            end -= 1
            continue
        break
    return url[:end], url[end:]


def shorten_links_in_text(
    session: Session,
    text: str,
    *,
    workspace_id: int,
    network: str,
    campaign: str | None = None,
    post_id: int | None = None,
    track: TrackSettings | None = None,
    clock: Clock = system_clock,
) -> str:
    """Replace each http(s) URL in a post with its short link (UTM per network).

    Idempotent: a URL already on the short domain is left alone, and the same URL for the
    same network, campaign and post reuses its link, so a retried publish makes no new codes.
    With ``track.shorten_links`` false the text is returned unchanged.
    """
    track = track or TrackSettings()
    if not track.shorten_links:
        return text
    network = normalize_utm_value(network, field="network")[:32]
    if campaign is not None:
        campaign = normalize_utm_value(campaign, field="campaign")
    base = urlsplit(track.base_url)
    base_prefix = f"{base.netloc.lower()}{base.path.rstrip('/')}/"
    now = clock()

    def replace(match: re.Match[str]) -> str:
        url, tail = _split_trailing(match.group(0))
        parts = urlsplit(url)
        if f"{parts.netloc.lower()}{parts.path}".startswith(base_prefix):
            return match.group(0)
        try:
            check_url(url)
        except UserError:
            return match.group(0)
        found = session.scalar(
            select(ShortLink)
            .where(
                ShortLink.workspace_id == workspace_id,
                ShortLink.url == url,
                ShortLink.network == network.lower(),
                ShortLink.campaign.is_(None)
                if campaign is None
                else ShortLink.campaign == campaign,
                ShortLink.post_id.is_(None) if post_id is None else ShortLink.post_id == post_id,
            )
            .order_by(ShortLink.id)
        )
        link = found if found is not None and is_live(found, now) else None
        if link is None:
            link = create_link(
                session,
                url,
                workspace_id=workspace_id,
                campaign=campaign,
                post_id=post_id,
                network=network,
                medium=track.medium,
            )
        return short_url(track.base_url, link.code) + tail

    return URL_RE.sub(replace, text)
