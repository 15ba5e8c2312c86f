"""Recording the posts whose numbers we hold (``social_post``), from any of their sources.

Collection calls :func:`record_remote` for the posts a timeline page brings and
:func:`record_published` for our own publications; an import calls :func:`upsert`. Each is
idempotent on (account, dedupe key): what is known already is completed, never duplicated.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.analytics.measures import content_type as normal_content_type
from sociable.content.entities import hashtags as find_hashtags
from sociable.publish.connectors.base import RemotePost
from sociable.store.models.analytics import SocialPost, dedupe_key
from sociable.store.models.publish import Post, Publication, PubState, Variant


@dataclass
class PostFacts:
    """What one source knows of a post; None or empty means "not known here"."""

    account_id: int
    network: str
    posted_at: datetime
    text: str = ""
    remote_id: str | None = None
    content_type: str | None = None
    hashtags: list[str] | None = None
    labels: list[str] = field(default_factory=list)
    campaign: str | None = None
    segment: str | None = None
    link: str | None = None
    url: str | None = None
    publication_id: int | None = None
    post_id: int | None = None
    import_id: int | None = None


def tags_of(text: str) -> list[str]:
    """The text's hashtags, lower-cased, each once, in order."""
    seen: dict[str, None] = {}
    for entity in find_hashtags(text):
        seen.setdefault(entity.text.casefold(), None)
    return list(seen)


def upsert(s: Session, workspace_id: int, facts: PostFacts, source: str) -> tuple[SocialPost, bool]:
    """The post row for ``facts``, created (True) or completed with what was missing (False).

    A known field is never overwritten by an unknown one, and a post first seen on the
    timeline that turns out to be ours gains its publication.
    """
    key = dedupe_key(facts.remote_id, facts.posted_at, facts.text)
    row = s.scalars(
        select(SocialPost).where(
            SocialPost.account_id == facts.account_id, SocialPost.dedupe_key == key
        )
    ).first()
    tags = facts.hashtags if facts.hashtags is not None else tags_of(facts.text)
    kind = normal_content_type(facts.content_type)
    if row is None:
        row = SocialPost(
            workspace_id=workspace_id,
            account_id=facts.account_id,
            network=facts.network,
            remote_id=facts.remote_id,
            dedupe_key=key,
            publication_id=facts.publication_id,
            post_id=facts.post_id,
            posted_at=facts.posted_at,
            text=facts.text,
            content_type=kind,
            hashtags=tags,
            labels=list(facts.labels),
            campaign=facts.campaign,
            segment=facts.segment,
            link=facts.link,
            url=facts.url,
            source=source,
            import_id=facts.import_id,
        )
        s.add(row)
        s.flush()
        return row, True
    fill: dict[str, Any] = {
        "remote_id": facts.remote_id,
        "publication_id": facts.publication_id,
        "post_id": facts.post_id,
        "text": facts.text or None,
        "content_type": kind,
        "campaign": facts.campaign,
        "segment": facts.segment,
        "link": facts.link,
        "url": facts.url,
    }
    for name, value in fill.items():
        if value is not None and not getattr(row, name):
            setattr(row, name, value)
    if tags and not row.hashtags:
        row.hashtags = tags
    if facts.labels and not row.labels:
        row.labels = list(facts.labels)
    return row, False


def record_remote(
    s: Session,
    workspace_id: int,
    account_id: int,
    network: str,
    posts: Iterable[RemotePost],
    ours: dict[str, int],
) -> int:
    """Timeline posts (made anywhere) as rows; returns how many were new."""
    added = 0
    for post in posts:
        if post.created_at is None:
            continue  # no date, no place in any report; its metrics still are snapshots
        facts = PostFacts(
            account_id=account_id,
            network=network,
            posted_at=post.created_at,
            text=post.text,
            remote_id=post.remote_id,
            content_type=post.content_type,
            url=post.url,
            publication_id=ours.get(post.remote_id),
        )
        added += upsert(s, workspace_id, facts, "timeline")[1]
    return added


def record_published(s: Session, workspace_id: int, account_id: int) -> int:
    """Every publication of this account published and not yet a row; returns how many."""
    known = select(SocialPost.publication_id).where(
        SocialPost.account_id == account_id, SocialPost.publication_id.is_not(None)
    )
    rows = s.execute(
        select(Publication, Variant, Post)
        .join(Variant, Publication.variant_id == Variant.id)
        .join(Post, Variant.post_id == Post.id)
        .where(
            Publication.account_id == account_id,
            Publication.state == PubState.PUBLISHED.value,
            Publication.published_at.is_not(None),
            Publication.id.not_in(known),
        )
    ).all()
    added = 0
    for pub, variant, post in rows:
        assert pub.published_at is not None
        facts = PostFacts(
            account_id=account_id,
            network=_network(s, account_id),
            posted_at=pub.published_at,
            text=variant.text,
            remote_id=pub.remote_id,
            content_type=publication_content_type(variant, post),
            labels=list(post.labels or []),
            campaign=post.campaign,
            link=post.link,
            url=pub.url,
            publication_id=pub.id,
            post_id=post.id,
        )
        added += upsert(s, workspace_id, facts, "published")[1]
    return added


def publication_content_type(variant: Variant, post: Post) -> str:
    """What we published: a thread, a carousel, a video, an image, a link or plain text."""
    if variant.thread:
        return "thread"
    media = variant.media or post.media or []
    if len(media) > 1:
        return "carousel"
    if media:
        item = media[0] if isinstance(media[0], dict) else {}
        mime = item.get("mime_type") or mimetypes.guess_type(str(item.get("path", "")))[0] or ""
        return "video" if mime.startswith("video/") else "image"
    return "link" if post.link else "text"


def _network(s: Session, account_id: int) -> str:
    from sociable.store.models import Account

    account = s.get(Account, account_id)
    return account.network if account is not None else ""
