"""Creating and changing posts: check everything first, then write it all in one transaction.

Flow for a new post: resolve the accounts, compose one variant per account (adapt + lint:
a text too long for one target stops everything, naming the account), decide each due time
(the given ``when``, or each account's next free slot), and only then insert the Post, its
Variants and one ``scheduled`` Publication per variant. Callers run this inside
``Database.session()``, so an error anywhere rolls the whole post back.

Approval policy: the CLI has no login, so a post created from it is the workspace owner's
and is ``approved`` (its publications are scheduled at once). ``draft=True`` stores it as a
draft with variants but no publications; ``approve`` schedules it later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.errors import UserError
from sociable.publish import states
from sociable.publish.accounts_ref import AccountIndex
from sociable.publish.calendar import account_label
from sociable.publish.compose import Composed, compose
from sociable.publish.queue import QueuePlanner, lock_row
from sociable.publish.spec import PostSpec, check_spec
from sociable.publish.when import not_in_past
from sociable.store.db import Database
from sociable.store.models import Account, Workspace
from sociable.store.models.publish import Approval, Post, Publication, PubState, Variant

#: Publication states a person may still reschedule or edit (nothing was sent).
EDITABLE = frozenset(
    {
        PubState.SCHEDULED.value,
        PubState.FAILED.value,
        PubState.MISSED.value,
        PubState.CANCELLED.value,
        PubState.FAILED_RETRYABLE.value,
    }
)


@dataclass
class PlannedVariant:
    account: Account
    content: Composed
    due_at: datetime | None


@dataclass
class PlannedPost:
    spec: PostSpec
    variants: list[PlannedVariant]


def plan_post(
    session: Session,
    workspace: Workspace,
    spec: PostSpec,
    *,
    now: datetime,
    accounts: AccountIndex | None = None,
    planner: QueuePlanner | None = None,
    queue: bool = False,
    draft: bool = False,
    platform_overrides: dict[str, dict[str, Any]] | None = None,
    handles: dict[str, dict[str, str]] | None = None,
) -> PlannedPost:
    """Check ``spec`` against the workspace and compose its variants; writes nothing."""
    check_spec(spec)
    where = spec.source or "post"
    index = accounts or AccountIndex.load(session, workspace)
    targets = index.resolve_all(spec.accounts, where)
    if spec.when is not None:
        not_in_past(spec.when, now, f"{where}: when")
    if draft and spec.when is not None:
        raise UserError(
            "a draft has no time yet: remove `when`, or drop --draft to schedule it", where=where
        )
    if not draft and not queue and spec.when is None:
        raise UserError(
            "when: no time given; add `when:` or use `sociable queue add` for the next slot",
            where=where,
        )
    variants = []
    for account in targets:
        try:
            content = compose(spec, account, platform_overrides, handles)
        except UserError as exc:
            raise UserError(str(exc), where=where) from None
        variants.append(PlannedVariant(account, content, spec.when))
    if queue and not draft and spec.when is None:
        planner = planner or QueuePlanner(session, workspace)
        for planned in variants:
            try:
                planned.due_at = planner.next_slot(planned.account, now)
            except UserError as exc:
                raise UserError(str(exc), where=where) from None
            planner.hold(planned.account, planned.due_at)
    return PlannedPost(spec, variants)


def store_post(
    session: Session,
    workspace: Workspace,
    planned: PlannedPost,
    *,
    draft: bool = False,
    author_id: int | None = None,
) -> Post:
    return store_posts(session, workspace, [planned], draft=draft, author_id=author_id)[0]


def store_posts(
    session: Session,
    workspace: Workspace,
    planned_posts: list[PlannedPost],
    *,
    draft: bool = False,
    author_id: int | None = None,
) -> list[Post]:
    """Write checked posts: Posts and Variants, then their scheduled Publications and events.

    Rows go in batches (three flushes for any number of posts, not one per row): an import
    of thousands of rows is a few multi-row INSERTs. New publications are built as
    :func:`sociable.publish.states.schedule` builds one (state ``scheduled``, a fresh
    idempotency key, a "created" event), just many at a time.
    """
    posts: list[Post] = []
    pending: list[tuple[Variant, datetime]] = []
    for planned in planned_posts:
        spec = planned.spec
        post = Post(
            workspace_id=workspace.id,
            source_text=spec.text,
            media=[m.as_json() for m in spec.media],
            link=spec.link,
            campaign=spec.campaign,
            labels=list(spec.labels),
            author_id=author_id,
            approval=(Approval.DRAFT if draft else Approval.APPROVED).value,
            source_path=spec.source,
            evergreen=spec.evergreen is not None,
            evergreen_cooldown_days=spec.evergreen.cooldown_days if spec.evergreen else None,
            evergreen_until=spec.evergreen.until if spec.evergreen else None,
            evergreen_max_count=spec.evergreen.max_count if spec.evergreen else None,
            evergreen_count=0,
        )
        session.add(post)
        posts.append(post)
        for planned_variant in planned.variants:
            content = planned_variant.content
            variant = Variant(
                post=post,
                account_id=planned_variant.account.id,
                text=content.text,
                media=content.media,
                first_comment=content.first_comment,
                thread=list(content.thread),
            )
            session.add(variant)
            if not draft:
                assert planned_variant.due_at is not None
                pending.append((variant, planned_variant.due_at))
    session.flush()
    if pending:
        publications = []
        for variant, due_at in pending:
            when = due_at.astimezone(UTC)
            publication = Publication(
                variant=variant,
                workspace_id=workspace.id,
                account_id=variant.account_id,
                state=PubState.SCHEDULED.value,
                due_at=when,
                next_attempt_at=when,
                idempotency_key=states.new_idempotency_key(),
                attempts=0,
            )
            session.add(publication)
            publications.append(publication)
        session.flush()
        for publication in publications:
            states.record_created(session, publication)
        session.flush()
    return posts


def create_post(
    session: Session,
    workspace: Workspace,
    spec: PostSpec,
    *,
    now: datetime,
    queue: bool = False,
    draft: bool = False,
    author_id: int | None = None,
    platform_overrides: dict[str, dict[str, Any]] | None = None,
    handles: dict[str, dict[str, str]] | None = None,
) -> Post:
    planned = plan_post(
        session,
        workspace,
        spec,
        now=now,
        queue=queue,
        draft=draft,
        platform_overrides=platform_overrides,
        handles=handles,
    )
    return store_post(session, workspace, planned, draft=draft, author_id=author_id)


def get_post(session: Session, workspace: Workspace, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or post.workspace_id != workspace.id:
        raise UserError(f"no post {post_id} in this workspace (see `sociable post list`)")
    return post


def publications_of(post: Post) -> list[Publication]:
    return [p for v in post.variants for p in v.publications]


def approve(
    session: Session, post: Post, *, when: datetime | None, now: datetime, queue: bool = False
) -> list[Publication]:
    """Approve a post; a draft gets its publications now (at ``when`` or the next slots)."""
    if post.approval == Approval.APPROVED.value:
        raise UserError(f"post {post.id} is already approved")
    created = []
    if not publications_of(post):
        if when is None and not queue:
            raise UserError(f"post {post.id} has no time: give --when or --queue")
        if when is not None:
            not_in_past(when, now, "--when")
        workspace = session.get(Workspace, post.workspace_id)
        assert workspace is not None
        planner = QueuePlanner(session, workspace)
        for variant in post.variants:
            account = session.get(Account, variant.account_id) if variant.account_id else None
            if account is None:
                raise UserError(f"post {post.id}: an account of this post was deleted")
            due = when if when is not None else planner.next_slot(account, now)
            planner.hold(account, due)
            created.append(states.schedule(session, variant, due))
    post.approval = Approval.APPROVED.value
    session.flush()
    return created


def cancel_post(session: Session, post: Post) -> int:
    """Cancel every publication that has not started; the ones in flight are left (and said)."""
    count = 0
    busy = []
    for pub in publications_of(post):
        if pub.state in (PubState.SCHEDULED.value, PubState.FAILED_RETRYABLE.value):
            states.cancel(session, pub)
            count += 1
        elif pub.state in (PubState.CLAIMED.value, PubState.SENDING.value, PubState.UNKNOWN.value):
            busy.append(f"{pub.id} ({pub.state})")
    if busy and not count:
        raise UserError(
            f"post {post.id}: publications in flight cannot be cancelled: {', '.join(busy)}"
        )
    return count


def reschedule_post(
    session: Session,
    post: Post,
    when: datetime,
    *,
    now: datetime,
    account: Account | None = None,
) -> list[Publication]:
    """Move the post's unsent publications (or one account's) to ``when``."""
    not_in_past(when, now, "--when")
    moved = []
    for pub in publications_of(post):
        if account is not None and pub.account_id != account.id:
            continue
        if pub.state not in EDITABLE:
            raise UserError(
                f"publication {pub.id} is {pub.state}; only unsent publications can be moved"
            )
        states.reschedule(session, pub, when)
        moved.append(pub)
    if not moved:
        raise UserError(f"post {post.id} has nothing to reschedule")
    return moved


def edit_post(
    session: Session,
    workspace: Workspace,
    post: Post,
    spec: PostSpec,
    *,
    now: datetime,
    platform_overrides: dict[str, dict[str, Any]] | None = None,
    handles: dict[str, dict[str, str]] | None = None,
) -> Post:
    """Replace a post's content from ``spec`` (same accounts); all checks run first."""
    check_spec(spec)
    pubs = publications_of(post)
    sent = [p for p in pubs if p.state not in EDITABLE]
    if sent:
        raise UserError(
            f"post {post.id}: publication {sent[0].id} is {sent[0].state}; "
            "a post that has started sending cannot be edited"
        )
    where = spec.source or "post"
    index = AccountIndex.load(session, workspace)
    targets = index.resolve_all(spec.accounts, where)
    current = {v.account_id for v in post.variants}
    if {a.id for a in targets} != current:
        raise UserError(
            "accounts: an edit keeps the post's accounts; cancel it and create a new post "
            "to change them",
            where=where,
        )
    if spec.when is not None:
        if not pubs:
            raise UserError(
                "a draft has no time yet: remove `when` and use `sociable post approve --when`",
                where=where,
            )
        not_in_past(spec.when, now, f"{where}: when")
    by_account: dict[int | None, Account] = {a.id: a for a in targets}
    composed = {}
    for variant in post.variants:
        account = by_account[variant.account_id]
        try:
            composed[variant.id] = compose(spec, account, platform_overrides, handles)
        except UserError as exc:
            raise UserError(str(exc), where=where) from None
    post.source_text = spec.text
    post.media = [m.as_json() for m in spec.media]
    post.link = spec.link
    post.campaign = spec.campaign
    post.labels = list(spec.labels)
    for variant in post.variants:
        content = composed[variant.id]
        variant.text = content.text
        variant.media = content.media
        variant.first_comment = content.first_comment
        variant.thread = list(content.thread)
    if spec.when is not None:
        for pub in pubs:
            if pub.state != PubState.SCHEDULED.value or pub.due_at != spec.when:
                states.reschedule(session, pub, spec.when)
    session.flush()
    return post


def requeue_evergreen(
    session: Session, workspace: Workspace, *, now: datetime, planner: QueuePlanner | None = None
) -> list[Publication]:
    """Schedule the next run of each evergreen post whose last run is done and cooled down.

    A run is one publication per variant; the runs so far are counted from the publications
    themselves (the most any variant has, cancelled ones aside), not from a counter, so a
    crash between scheduling and counting cannot lose or add a run. A post gets a new run,
    in each account's next free slot at or after ``last published + cooldown``, when none of
    its publications is still pending, at least one was published, the runs are fewer than
    ``evergreen_max_count`` and the new slot is not after ``evergreen_until``. Safe to call
    as often as wanted: a pending run blocks the next.
    """
    planner = planner or QueuePlanner(session, workspace)
    created: list[Publication] = []
    post_ids = session.scalars(
        select(Post.id)
        .where(
            Post.workspace_id == workspace.id,
            Post.evergreen.is_(True),
            Post.approval == Approval.APPROVED.value,
        )
        .order_by(Post.id)
    ).all()
    for post_id in post_ids:
        # Lock the post, then read its publications fresh: two workers running this at the
        # same time cannot both schedule the next run.
        lock_row(session, Post, post_id)
        rows = session.execute(
            select(
                Publication.variant_id,
                Publication.state,
                Publication.due_at,
                Publication.published_at,
            )
            .join(Variant, Publication.variant_id == Variant.id)
            .where(Variant.post_id == post_id)
        ).all()
        if any(r.state in PENDING for r in rows):
            continue
        published = [r for r in rows if r.state == PubState.PUBLISHED.value]
        if not published:
            continue
        per_variant: dict[int, int] = {}
        for r in rows:
            if r.state != PubState.CANCELLED.value:
                per_variant[r.variant_id] = per_variant.get(r.variant_id, 0) + 1
        runs = max(per_variant.values())
        post = session.get(Post, post_id)
        assert post is not None
        session.refresh(post)
        if post.evergreen_max_count is not None and runs >= post.evergreen_max_count:
            continue
        last = max(
            [r.published_at or r.due_at for r in published]
            + ([post.last_published_at] if post.last_published_at else [])
        )
        earliest = max(last + timedelta(days=post.evergreen_cooldown_days or 1), now)
        planned: list[tuple[Variant, Account, datetime]] = []
        for variant in post.variants:
            account = session.get(Account, variant.account_id) if variant.account_id else None
            if account is None:
                continue
            due = planner.next_slot(account, earliest - timedelta(microseconds=1))
            if post.evergreen_until is not None and due > post.evergreen_until:
                planned = []
                break
            planned.append((variant, account, due))
        for variant, account, due in planned:
            planner.hold(account, due)
            created.append(states.schedule(session, variant, due))
    session.flush()
    return created


def requeue_evergreen_all(db: Database, *, now: datetime) -> int:
    """Every workspace's evergreen re-queue, each in its own transaction (for a worker pass)."""
    with db.session() as session:
        ids = session.scalars(select(Workspace.id).order_by(Workspace.id)).all()
    total = 0
    for workspace_id in ids:
        with db.session() as session:
            workspace = session.get(Workspace, workspace_id)
            if workspace is not None:
                total += len(requeue_evergreen(session, workspace, now=now))
    return total


#: A publication in one of these states means the post's current run is not over.
PENDING = frozenset(
    {
        PubState.SCHEDULED.value,
        PubState.CLAIMED.value,
        PubState.SENDING.value,
        PubState.FAILED_RETRYABLE.value,
        PubState.UNKNOWN.value,
    }
)


def post_as_json(
    post: Post, tz_name: str, names: dict[int | None, str] | None = None
) -> dict[str, Any]:
    """A post and each publication with its state, for ``--format json``."""
    from sociable.clock import zone
    from sociable.publish.when import format_local

    tz = zone(tz_name)
    pubs = []
    for variant in post.variants:
        account = variant.account_id
        for pub in variant.publications:
            pubs.append(
                {
                    "id": pub.id,
                    "account_id": account,
                    "account": (names or {}).get(account),
                    "state": pub.state,
                    "due_at": pub.due_at.astimezone(UTC).isoformat(),
                    "due_local": format_local(pub.due_at, tz),
                    "attempts": pub.attempts,
                    "reason": pub.reason,
                    "url": pub.url,
                    "published_at": pub.published_at.isoformat() if pub.published_at else None,
                }
            )
    return {
        "id": post.id,
        "approval": post.approval,
        "text": post.source_text,
        "labels": list(post.labels or []),
        "campaign": post.campaign,
        "link": post.link,
        "media": list(post.media or []),
        "evergreen": post.evergreen,
        "variants": [
            {
                "id": v.id,
                "account_id": v.account_id,
                "account": (names or {}).get(v.account_id),
                "text": v.text,
                "first_comment": v.first_comment,
                "thread": list(v.thread or []),
            }
            for v in post.variants
        ],
        "publications": pubs,
    }


def account_names(session: Session, ids: list[int | None]) -> dict[int | None, str]:
    found: dict[int | None, str] = {
        a.id: account_label(a)
        for a in session.scalars(select(Account).where(Account.id.in_([i for i in ids if i])))
    }
    return {i: found.get(i, account_label(None)) for i in ids}
