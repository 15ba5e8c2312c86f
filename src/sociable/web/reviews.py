"""Approvals: send a post for review, comment, decide; signed links for clients.

A post under review is a draft (variants, no publications), so the dispatcher cannot send
it early. Approving calls :func:`sociable.publish.posts.approve` with the time the author
asked for (or the queue); every rule about times and slots stays there.

A client link carries ``(post id, review round id)`` signed with a key derived from the
workspace secret, with a timestamp; it works until it expires or the round is decided,
whichever comes first, so a link cannot be replayed to approve a later version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from sociable.errors import UserError
from sociable.publish import posts as domain
from sociable.publish.when import not_in_past
from sociable.store.models.publish import Approval, Post
from sociable.store.models.review import ReviewComment, ReviewRequest

LINK_DAYS = 7
MAX_LINK_DAYS = 30
COMMENT_MAX = 5000
APPROVE = "approve"
REQUEST_CHANGES = "request_changes"
DECISIONS = {APPROVE: Approval.APPROVED.value, REQUEST_CHANGES: Approval.CHANGES_REQUESTED.value}
SUBMITTABLE = {Approval.DRAFT.value, Approval.CHANGES_REQUESTED.value}


def open_request(session: Session, post: Post) -> ReviewRequest | None:
    """The post's undecided review round, if it is in review."""
    if post.approval != Approval.IN_REVIEW.value:
        return None
    return session.scalar(
        select(ReviewRequest)
        .where(ReviewRequest.post_id == post.id, ReviewRequest.decision.is_(None))
        .order_by(ReviewRequest.id.desc())
        .limit(1)
    )


def submit(
    session: Session,
    post: Post,
    *,
    user_id: int | None,
    when: datetime | None,
    queue: bool,
    now: datetime,
) -> ReviewRequest:
    """Put a draft (or a post sent back for changes) in review, with the wanted time."""
    if post.approval not in SUBMITTABLE:
        raise UserError(f"post {post.id} is {post.approval}; only drafts can be sent for review")
    if domain.publications_of(post):
        raise UserError(f"post {post.id} is already scheduled; it needs no review")
    if when is not None:
        not_in_past(when, now, "when")
    request = ReviewRequest(
        workspace_id=post.workspace_id,
        post_id=post.id,
        requested_by=user_id,
        when=when,
        queue=when is None and queue,
    )
    session.add(request)
    post.approval = Approval.IN_REVIEW.value
    session.flush()
    return request


def comment(
    session: Session,
    post: Post,
    body: str,
    *,
    author_id: int | None,
    author_name: str,
    via_link: bool = False,
    decision: str | None = None,
) -> ReviewComment:
    body = body.strip()
    if not body and decision is None:
        raise UserError("comment: write something")
    if len(body) > COMMENT_MAX:
        raise UserError(f"comment: {len(body)} characters, at most {COMMENT_MAX}")
    row = ReviewComment(
        workspace_id=post.workspace_id,
        post_id=post.id,
        author_id=author_id,
        author_name=author_name[:320],
        via_link=via_link,
        body=body,
        decision=decision,
    )
    session.add(row)
    session.flush()
    return row


def decide(
    session: Session,
    post: Post,
    decision: str,
    *,
    by: str,
    author_id: int | None,
    now: datetime,
    note: str = "",
    when: datetime | None = None,
    queue: bool | None = None,
    via_link: bool = False,
) -> ReviewRequest | None:
    """Approve (schedule at the asked time, or ``when``/``queue`` given here) or send back."""
    if decision not in DECISIONS:
        raise UserError(f"decision: {decision!r}; expected approve or request_changes")
    request = open_request(session, post)
    if request is None and via_link:
        raise UserError("this review is already decided")
    if decision == APPROVE:
        if when is None and queue is None and request is not None:
            when, queue = request.when, request.queue
        if when is None and not queue and not domain.publications_of(post):
            queue = True  # nothing asked for: the next free slots
        domain.approve(session, post, when=when, now=now, queue=bool(queue))
    else:
        if post.approval not in (Approval.IN_REVIEW.value, Approval.DRAFT.value):
            raise UserError(
                f"post {post.id} is {post.approval}; changes can only be asked in review"
            )
        post.approval = Approval.CHANGES_REQUESTED.value
    if request is not None:
        request.decision = DECISIONS[decision]
        request.decided_at = now
        request.decided_by = by
    comment(
        session,
        post,
        note,
        author_id=author_id,
        author_name=by,
        via_link=via_link,
        decision=DECISIONS[decision],
    )
    session.flush()
    return request


def comments_of(session: Session, post: Post) -> list[ReviewComment]:
    return list(
        session.scalars(
            select(ReviewComment).where(ReviewComment.post_id == post.id).order_by(ReviewComment.id)
        )
    )


# -- client links ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientLink:
    token: str
    expires_at: datetime


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt="sociable-review-link")


def make_link(key: str, request: ReviewRequest, *, days: int = LINK_DAYS) -> ClientLink:
    if not 1 <= days <= MAX_LINK_DAYS:
        raise UserError(f"days: 1 to {MAX_LINK_DAYS}")
    token = _serializer(key).dumps({"p": request.post_id, "r": request.id, "d": days})
    return ClientLink(token, datetime.now(UTC) + timedelta(days=days))


def read_link(session: Session, key: str, token: str) -> tuple[Post, ReviewRequest]:
    """The post and review round a link is for; UserError when bad, expired or decided."""
    serializer = _serializer(key)
    try:
        data = serializer.loads(token, max_age=MAX_LINK_DAYS * 86400)
        days = int(data["d"])
        serializer.loads(token, max_age=days * 86400)
        post_id, request_id = int(data["p"]), int(data["r"])
    except SignatureExpired:
        raise UserError("this review link has expired; ask for a new one") from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise UserError("this review link is not valid") from None
    post = session.get(Post, post_id)
    request = session.get(ReviewRequest, request_id)
    if post is None or request is None or request.post_id != post.id:
        raise UserError("this review link is not valid")
    if request.decision is not None or post.approval != Approval.IN_REVIEW.value:
        raise UserError("this review is already decided; thank you")
    return post, request
