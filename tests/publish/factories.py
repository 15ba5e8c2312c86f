"""Small builders for publish tests: a workspace, an account, a post with one publication."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sociable.publish.states import schedule
from sociable.store.models import Account, Workspace
from sociable.store.models.publish import Approval, Post, Publication, Variant


def workspace(session: Session, slug: str = "acme") -> Workspace:
    ws = Workspace(slug=slug, name=slug.title(), timezone="UTC")
    session.add(ws)
    session.flush()
    return ws


def account(
    session: Session,
    ws: Workspace,
    *,
    network: str = "webhook",
    handle: str = "hook",
    credentials: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> Account:
    acc = Account(
        workspace_id=ws.id,
        network=network,
        handle=handle,
        credentials=credentials if credentials is not None else {},
        settings=settings or {},
    )
    session.add(acc)
    session.flush()
    return acc


def publication(
    session: Session,
    ws: Workspace,
    acc: Account | None,
    due_at: datetime,
    text: str = "Hello world",
) -> Publication:
    post = Post(workspace_id=ws.id, source_text=text, approval=Approval.APPROVED.value)
    session.add(post)
    variant = Variant(post=post, account_id=acc.id if acc else None, text=text)
    session.add(variant)
    session.flush()
    return schedule(session, variant, due_at)
