"""The publication state machine: the allowed moves as data, and the one function that moves.

:func:`transition` is the only way a publication's ``state`` changes. It is a compare-and-set
(``UPDATE ... WHERE state = <what we read>``, and the claim token when given), so two workers,
or a worker and the lease reaper, can never both win; and it appends a PublicationEvent in the
same transaction, so the log and the state cannot disagree.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from sociable.clock import Clock, system_clock
from sociable.errors import SociableError, UserError
from sociable.store.models.publish import Publication, PublicationEvent, PubState, Variant

S = PubState

#: from-state -> the states it may move to.
TRANSITIONS: dict[PubState, frozenset[PubState]] = {
    S.SCHEDULED: frozenset({S.CLAIMED, S.CANCELLED, S.SCHEDULED}),
    S.CLAIMED: frozenset(
        {S.SENDING, S.SCHEDULED, S.FAILED, S.FAILED_RETRYABLE, S.MISSED, S.CANCELLED}
    ),
    S.SENDING: frozenset({S.PUBLISHED, S.FAILED_RETRYABLE, S.FAILED, S.UNKNOWN}),
    S.FAILED_RETRYABLE: frozenset({S.CLAIMED, S.CANCELLED, S.SCHEDULED, S.FAILED}),
    # unknown is resolved by reconciliation (published / sending again with the same key /
    # scheduled when the network surely has nothing) or by a person (failed, cancelled).
    S.UNKNOWN: frozenset({S.PUBLISHED, S.SENDING, S.SCHEDULED, S.FAILED, S.CANCELLED}),
    S.FAILED: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.MISSED: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.CANCELLED: frozenset({S.SCHEDULED}),
    S.PUBLISHED: frozenset(),
}

#: States the dispatcher will never touch again without a person.
TERMINAL = frozenset({S.PUBLISHED, S.FAILED, S.MISSED, S.CANCELLED})
#: States that hold a lease (a worker is on it).
LEASED = frozenset({S.CLAIMED, S.SENDING})

# Columns a transition may set besides the state.
_FIELDS = frozenset(
    {
        "worker",
        "claim_token",
        "claimed_at",
        "lease_until",
        "next_attempt_at",
        "attempts",
        "sent_at",
        "published_at",
        "remote_id",
        "url",
        "reason",
        "due_at",
    }
)


class InvalidTransition(UserError):
    """The state machine does not allow this move (e.g. cancelling a published post)."""


class StaleTransition(SociableError):
    """Someone else moved the publication first; the caller must not act on it."""


def allowed(from_state: str, to_state: str) -> bool:
    return PubState(to_state) in TRANSITIONS[PubState(from_state)]


def transition(
    session: Session,
    publication: Publication,
    to: PubState | str,
    *,
    worker: str | None = None,
    error: str | None = None,
    expect_token: str | None = None,
    clock: Clock = system_clock,
    **fields: Any,
) -> PublicationEvent:
    """Move ``publication`` to ``to`` and log it; raise StaleTransition if it moved meanwhile.

    ``fields`` sets other columns in the same UPDATE (lease_until, remote_id, reason ...).
    For failed, unknown and missed the ``error`` becomes the visible ``reason`` unless one is
    given. ``expect_token`` also requires the claim token to match (a worker finishing its
    own claim).
    """
    to = PubState(to)
    current = PubState(publication.state)
    if not allowed(current, to):
        raise InvalidTransition(
            f"publication {publication.id}: cannot go from {current.value} to {to.value}"
        )
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"transition() cannot set {sorted(unknown)}")
    if to in (S.FAILED, S.UNKNOWN, S.MISSED, S.FAILED_RETRYABLE) and "reason" not in fields:
        fields["reason"] = error
    if to in (S.SCHEDULED, S.PUBLISHED, S.CANCELLED) and "reason" not in fields:
        fields["reason"] = None
    if worker is not None and "worker" not in fields:
        fields["worker"] = worker
    now = clock()
    values: dict[str, Any] = {"state": to.value, "updated_at": now, **fields}
    stmt = (
        update(Publication)
        .where(Publication.id == publication.id, Publication.state == current.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if expect_token is not None:
        stmt = stmt.where(Publication.claim_token == expect_token)
    result = session.execute(stmt)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleTransition(
            f"publication {publication.id} is no longer {current.value}"
            + (" with our claim" if expect_token else "")
        )
    for key, value in values.items():
        set_committed_value(publication, key, value)
    event = PublicationEvent(
        publication_id=publication.id,
        at=now,
        from_state=current.value,
        to_state=to.value,
        worker=worker,
        error=error,
    )
    session.add(event)
    return event


def record_created(
    session: Session,
    publication: Publication,
    *,
    worker: str | None = None,
    at: datetime | None = None,
    clock: Clock = system_clock,
) -> PublicationEvent:
    """The first event of a new publication (from nothing to its initial state)."""
    if publication.id is None:
        session.flush([publication])
    event = PublicationEvent(
        publication_id=publication.id,
        at=at or clock(),
        from_state=None,
        to_state=publication.state,
        worker=worker,
    )
    session.add(event)
    return event


def new_idempotency_key() -> str:
    """A key that stays with the publication across retries (Idempotency-Key, record key)."""
    return uuid.uuid4().hex


def schedule(
    session: Session,
    variant: Variant,
    due_at: datetime,
    *,
    worker: str | None = None,
    clock: Clock = system_clock,
) -> Publication:
    """A new ``scheduled`` publication of ``variant`` at ``due_at`` (aware), with its event."""
    if due_at.tzinfo is None:
        raise UserError("due time has no time zone; give an offset or an IANA zone")
    workspace_id = variant.post.workspace_id
    publication = Publication(
        variant=variant,
        workspace_id=workspace_id,
        account_id=variant.account_id,
        state=S.SCHEDULED.value,
        due_at=due_at.astimezone(UTC),
        next_attempt_at=due_at.astimezone(UTC),
        idempotency_key=new_idempotency_key(),
        attempts=0,
    )
    session.add(publication)
    session.flush([publication])
    record_created(session, publication, worker=worker, clock=clock)
    return publication


def reschedule(
    session: Session,
    publication: Publication,
    due_at: datetime,
    *,
    worker: str | None = None,
    clock: Clock = system_clock,
) -> PublicationEvent:
    """Move a not-yet-sent (or failed, missed, cancelled) publication to a new time."""
    if due_at.tzinfo is None:
        raise UserError("due time has no time zone; give an offset or an IANA zone")
    when = due_at.astimezone(UTC)
    return transition(
        session,
        publication,
        S.SCHEDULED,
        worker=worker,
        error=None,
        clock=clock,
        due_at=when,
        next_attempt_at=when,
        lease_until=None,
        claim_token=None,
    )


def cancel(
    session: Session,
    publication: Publication,
    *,
    worker: str | None = None,
    clock: Clock = system_clock,
) -> PublicationEvent:
    return transition(
        session, publication, S.CANCELLED, worker=worker, clock=clock, lease_until=None
    )


def transition_many(
    session: Session,
    rows: Sequence[tuple[int, str, str | None]],
    to: PubState | str,
    *,
    worker: str | None = None,
    clock: Clock = system_clock,
    **fields: Any,
) -> int:
    """Move many publications at once: ``rows`` are ``(id, current state, error)``.

    For rows the caller has locked (claim, lease recovery). Each row must still be in the
    state given, or StaleTransition is raised and the caller's transaction must roll back.
    Returns how many moved.
    """
    to = PubState(to)
    if not rows:
        return 0
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"transition_many() cannot set {sorted(unknown)}")
    now = clock()
    by_state: dict[str, list[int]] = {}
    for pub_id, state, _error in rows:
        if not allowed(state, to):
            raise InvalidTransition(f"publication {pub_id}: cannot go from {state} to {to.value}")
        by_state.setdefault(state, []).append(pub_id)
    values: dict[str, Any] = {"state": to.value, "updated_at": now, **fields}
    if worker is not None and "worker" not in fields:
        values["worker"] = worker
    errors = {pub_id: error for pub_id, _state, error in rows}
    for state, ids in by_state.items():
        result = session.execute(
            update(Publication)
            .where(Publication.id.in_(ids), Publication.state == state)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != len(ids):  # type: ignore[attr-defined]
            raise StaleTransition(f"{len(ids) - result.rowcount} publications moved meanwhile")  # type: ignore[attr-defined]
        if to in (S.FAILED, S.UNKNOWN, S.MISSED, S.FAILED_RETRYABLE) and "reason" not in fields:
            for pub_id in ids:
                if errors[pub_id]:
                    session.execute(
                        update(Publication)
                        .where(Publication.id == pub_id)
                        .values(reason=errors[pub_id])
                        .execution_options(synchronize_session=False)
                    )
    session.execute(
        insert(PublicationEvent),
        [
            {
                "publication_id": pub_id,
                "at": now,
                "from_state": state,
                "to_state": to.value,
                "worker": worker,
                "error": error,
            }
            for pub_id, state, error in rows
        ],
    )
    return len(rows)


def transition_batch(
    session: Session,
    ids: Sequence[int],
    from_state: PubState | str,
    to: PubState | str,
    *,
    token: str | None,
    worker: str | None = None,
    error: str | None = None,
    clock: Clock = system_clock,
    at: datetime | None = None,
    **fields: Any,
) -> list[int]:
    """Compare-and-set for rows of one claim: those still in ``from_state`` with ``token``.

    Returns the ids that moved (others were taken over meanwhile and must be left alone) and
    logs an event for each. One statement whatever the number of rows.
    """
    from_state, to = PubState(from_state), PubState(to)
    if not allowed(from_state, to):
        raise InvalidTransition(f"cannot go from {from_state.value} to {to.value}")
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"transition_batch() cannot set {sorted(unknown)}")
    if not ids:
        return []
    now = at or clock()
    if to in (S.FAILED, S.UNKNOWN, S.MISSED, S.FAILED_RETRYABLE) and "reason" not in fields:
        fields["reason"] = error
    if to in (S.SCHEDULED, S.PUBLISHED, S.CANCELLED) and "reason" not in fields:
        fields["reason"] = None
    values: dict[str, Any] = {"state": to.value, "updated_at": now, **fields}
    if worker is not None and "worker" not in fields:
        values["worker"] = worker
    stmt = (
        update(Publication)
        .where(Publication.id.in_(list(ids)), Publication.state == from_state.value)
        .values(**values)
        .returning(Publication.id)
        .execution_options(synchronize_session=False)
    )
    if token is not None:
        stmt = stmt.where(Publication.claim_token == token)
    moved = list(session.scalars(stmt).all())
    if moved:
        session.execute(
            insert(PublicationEvent),
            [
                {
                    "publication_id": pub_id,
                    "at": now,
                    "from_state": from_state.value,
                    "to_state": to.value,
                    "worker": worker,
                    "error": error,
                }
                for pub_id in moved
            ],
        )
    return moved


def record_published(
    session: Session,
    rows: Sequence[tuple[int, dict[str, Any]]],
    *,
    worker: str | None,
) -> None:
    """``sending`` -> ``published`` for rows the caller has locked and checked are its own.

    ``rows`` are ``(id, fields)`` with ``published_at`` among the fields. One executemany
    (a single round trip with psycopg's pipeline) and one insert for the events.
    """
    if not rows:
        return
    for _pub_id, fields in rows:
        unknown = set(fields) - _FIELDS
        if unknown:
            raise TypeError(f"record_published() cannot set {sorted(unknown)}")
    params = [
        {
            "b_id": pub_id,
            "state": S.PUBLISHED.value,
            "updated_at": fields["published_at"],
            "worker": worker,
            "reason": None,
            **fields,
        }
        for pub_id, fields in rows
    ]
    table = Publication.__table__  # Core table: executemany without ORM bookkeeping
    keys = [k for k in params[0] if k != "b_id"]
    session.connection().execute(
        update(table)  # type: ignore[arg-type]
        .where(table.c.id == bindparam("b_id"), table.c.state == S.SENDING.value)
        .values({k: bindparam(k) for k in keys}),
        params,
    )
    session.execute(
        insert(PublicationEvent),
        [
            {
                "publication_id": pub_id,
                "at": fields["published_at"],
                "from_state": S.SENDING.value,
                "to_state": S.PUBLISHED.value,
                "worker": worker,
                "error": None,
            }
            for pub_id, fields in rows
        ],
    )
