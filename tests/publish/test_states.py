"""The state machine: only allowed moves, a compare-and-set, and an event for every move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sociable.publish import states
from sociable.publish.states import (
    TRANSITIONS,
    InvalidTransition,
    StaleTransition,
    transition,
)
from sociable.store.db import Database
from sociable.store.models.publish import Publication, PublicationEvent, PubState
from tests.publish import factories as f

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def test_every_state_has_its_moves_listed() -> None:
    assert set(TRANSITIONS) == set(PubState)
    assert TRANSITIONS[PubState.PUBLISHED] == frozenset()


def test_schedule_and_transition_write_events(db: Database) -> None:
    with db.session() as s:
        ws = f.workspace(s)
        acc = f.account(s, ws)
        pub = f.publication(s, ws, acc, T0)
        transition(s, pub, PubState.CLAIMED, worker="w1", claim_token="tok")
        transition(s, pub, PubState.SENDING, worker="w1", expect_token="tok")
        transition(s, pub, PubState.PUBLISHED, worker="w1", remote_id="42", url="https://x/42")
        pub_id = pub.id
    with db.session() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        assert (pub.state, pub.remote_id, pub.worker) == ("published", "42", "w1")
        assert pub.next_attempt_at == T0
        events = s.scalars(
            select(PublicationEvent).where(PublicationEvent.publication_id == pub_id)
        ).all()
        assert [(e.from_state, e.to_state) for e in events] == [
            (None, "scheduled"),
            ("scheduled", "claimed"),
            ("claimed", "sending"),
            ("sending", "published"),
        ]


def test_disallowed_move_is_refused_and_changes_nothing(db: Database) -> None:
    with db.session() as s:
        ws = f.workspace(s)
        pub = f.publication(s, ws, f.account(s, ws), T0)
        with pytest.raises(InvalidTransition, match="from scheduled to published"):
            transition(s, pub, PubState.PUBLISHED)
        assert pub.state == "scheduled"


def test_compare_and_set_loses_to_a_concurrent_move(db: Database) -> None:
    with db.session() as s:
        ws = f.workspace(s)
        pub_id = f.publication(s, ws, f.account(s, ws), T0).id
    with db.session() as a:
        stale = a.get(Publication, pub_id)
        assert stale is not None
        a.expunge(stale)
    with db.session() as b:
        fresh = b.get(Publication, pub_id)
        assert fresh is not None
        transition(b, fresh, PubState.CLAIMED, worker="b", claim_token="b-token")
    with db.session() as a, pytest.raises(StaleTransition):
        transition(a, stale, PubState.CLAIMED, worker="a", claim_token="a-token")
    with db.session() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None and pub.worker == "b"
        transition(s, pub, PubState.SENDING, worker="b", expect_token="b-token")
        with pytest.raises(StaleTransition):
            transition(s, pub, PubState.PUBLISHED, expect_token="a-token")


def test_failure_reason_is_kept_and_cleared_on_reschedule(db: Database) -> None:
    with db.session() as s:
        ws = f.workspace(s)
        pub = f.publication(s, ws, f.account(s, ws), T0)
        transition(s, pub, PubState.CLAIMED, worker="w")
        transition(s, pub, PubState.FAILED, worker="w", error="text too long for x")
        assert pub.reason == "text too long for x"
        states.reschedule(s, pub, T0 + timedelta(hours=1))
        assert (pub.state, pub.reason, pub.next_attempt_at) == (
            "scheduled",
            None,
            T0 + timedelta(hours=1),
        )


def test_events_are_append_only(db: Database) -> None:
    with db.session() as s:
        ws = f.workspace(s)
        pub = f.publication(s, ws, f.account(s, ws), T0)
        s.flush()
        event = pub.events[0] if pub.events else s.scalars(select(PublicationEvent)).first()
        assert event is not None
        event.error = "rewritten"
        with pytest.raises(ValueError, match="append-only"):
            s.flush()
        s.rollback()


def test_naive_due_time_is_refused(db: Database) -> None:
    with db.session() as s:
        ws = f.workspace(s)
        with pytest.raises(Exception, match="time zone"):
            f.publication(s, ws, f.account(s, ws), datetime(2026, 1, 1))
        s.rollback()
