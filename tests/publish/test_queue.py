"""The queue: slots per account, `queue add`, the best-times hook, evergreen re-queueing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sociable.errors import UserError
from sociable.publish import states
from sociable.publish.posts import create_post, requeue_evergreen
from sociable.publish.queue import QueuePlanner, set_account_slots
from sociable.publish.spec import Evergreen, PostSpec
from sociable.store.db import Database
from sociable.store.models import Account, Workspace
from sociable.store.models.publish import Post, Publication, PubState
from tests.publish.calendar_env import Env, make_env, write

NOW = datetime(2030, 6, 3, 0, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def env(cli, database_url: str, tmp_path: Path) -> Iterator[Env]:  # type: ignore[no-untyped-def]
    e = make_env(cli, database_url, tmp_path, timezone="Europe/Paris")
    e.account("mastodon", "@acme@mastodon.social")
    e.account("x", "acme", slots=["wed 12:00"], tz="America/New_York")
    yield e
    e.close()


def test_slots_command_sets_shows_and_validates(env: Env) -> None:
    result = env.run("queue", "slots", "mastodon", "mon 09:00", "Thursday 18:30")
    assert result.code == 0, result.err
    assert "(Europe/Paris): mon 09:00, thu 18:30" in result.out
    shown = env.run("queue", "slots", "x")
    assert "(America/New_York): wed 12:00" in shown.out
    bad = env.run("queue", "slots", "mastodon", "someday 25:00")
    assert bad.code == 2 and "someday 25:00" in bad.err
    zone_bad = env.run("queue", "slots", "mastodon", "--timezone", "Mars/Base")
    assert zone_bad.code == 2 and "Mars/Base" in zone_bad.err
    nobody = env.run("queue", "slots", "tiktok")
    assert nobody.code == 2 and "unknown account 'tiktok'" in nobody.err


def test_queue_add_takes_the_next_free_slot_per_account(env: Env, tmp_path: Path) -> None:
    env.run("queue", "slots", "mastodon", "mon 09:00", "thu 18:30")
    post = write(tmp_path / "q.md", "---\naccounts: [mastodon, x]\n---\nQueued\n")
    first = env.run("queue", "add", str(post))
    assert first.code == 0, first.err
    second = env.run("queue", "add", str(post))
    assert second.code == 0
    by_account: dict[int | None, list[datetime]] = {}
    for pub in env.publications():
        by_account.setdefault(pub.account_id, []).append(pub.due_at)
    for dues in by_account.values():
        assert len(set(dues)) == 2 and dues[0] < dues[1]  # the second took the next slot
    paris = [d.astimezone(ZoneInfo("Europe/Paris")) for d in by_account[1]]
    assert all((d.weekday(), d.hour, d.minute) in {(0, 9, 0), (3, 18, 30)} for d in paris)
    ny = [d.astimezone(ZoneInfo("America/New_York")) for d in by_account[2]]
    assert all((d.weekday(), d.hour) == (2, 12) for d in ny)
    nxt = env.run("queue", "next", "x", "-n", "2", "--format", "json")
    assert nxt.code == 0
    assert '"local"' in nxt.out


def test_queue_add_without_slots_is_a_clear_error(env: Env, tmp_path: Path) -> None:
    post = write(tmp_path / "q.md", "---\naccounts: [mastodon]\n---\nQueued\n")
    result = env.run("queue", "add", str(post))
    assert result.code == 2 and "has no posting slots" in result.err
    assert env.counts() == (0, 0, 0, 0)


# --- domain level: the hook and evergreen ------------------------------------------------


def _setup(session) -> tuple[Workspace, Account]:  # type: ignore[no-untyped-def]
    ws = Workspace(slug="q", name="Q", timezone="Europe/Paris")
    session.add(ws)
    session.flush()
    acc = Account(workspace_id=ws.id, network="mastodon", handle="@q@m.example", settings={})
    session.add(acc)
    session.flush()
    set_account_slots(acc, ["mon 09:00", "wed 09:00", "fri 09:00"])
    session.flush()
    return ws, acc


class EveryHour:
    """A stand-in for analytics' best times: every hour on the hour (the SlotProvider hook)."""

    def occurrences(self, after: datetime):  # type: ignore[no-untyped-def]
        t = after.replace(minute=0, second=0, microsecond=0)
        while True:
            t += timedelta(hours=1)
            yield t


def test_planner_accepts_any_slot_provider(db: Database) -> None:
    with db.session() as session:
        ws, acc = _setup(session)
        planner = QueuePlanner(session, ws, provider_for=lambda _a, _w: EveryHour())
        got = planner.common_slot([acc], NOW)
        assert got[acc.id] == NOW + timedelta(hours=1)
        assert planner.next_slot(acc, NOW) == NOW + timedelta(hours=2)  # the first is held


def _publish_all(session, post: Post, at: datetime) -> None:  # type: ignore[no-untyped-def]
    for variant in post.variants:
        for pub in variant.publications:
            if pub.state == PubState.SCHEDULED.value:
                states.transition(session, pub, PubState.CLAIMED)
                states.transition(session, pub, PubState.SENDING)
                states.transition(session, pub, PubState.PUBLISHED, published_at=at)


def test_evergreen_requeues_after_cooldown_until_max_count(db: Database) -> None:
    with db.session() as session:
        ws, _acc = _setup(session)
        spec = PostSpec(
            text="Evergreen tip",
            accounts=["mastodon"],
            when=datetime(2030, 6, 3, 7, 0, tzinfo=UTC),
            evergreen=Evergreen(cooldown_days=10, max_count=3),
        )
        post = create_post(session, ws, spec, now=NOW)
        # Nothing to re-queue while the first run is pending.
        assert requeue_evergreen(session, ws, now=NOW) == []
        runs = [datetime(2030, 6, 3, 7, 0, tzinfo=UTC)]
        now = NOW
        for _ in range(2):
            _publish_all(session, post, runs[-1])
            now = runs[-1] + timedelta(hours=1)
            created = requeue_evergreen(session, ws, now=now)
            assert len(created) == 1
            due = created[0].due_at
            assert due >= runs[-1] + timedelta(days=10)  # the cooldown
            assert due - (runs[-1] + timedelta(days=10)) < timedelta(days=3)  # next slot
            assert due.astimezone(ZoneInfo("Europe/Paris")).hour == 9
            runs.append(due)
            assert requeue_evergreen(session, ws, now=now) == []  # idempotent
        _publish_all(session, post, runs[-1])
        assert requeue_evergreen(session, ws, now=runs[-1] + timedelta(days=60)) == []  # 3 runs
        count = len(session.scalars(select(Publication)).all())
        assert count == 3


def test_evergreen_stops_at_its_end_date(db: Database) -> None:
    with db.session() as session:
        ws, _acc = _setup(session)
        spec = PostSpec(
            text="Until June",
            accounts=["mastodon"],
            when=datetime(2030, 6, 3, 7, 0, tzinfo=UTC),
            evergreen=Evergreen(cooldown_days=7, until=datetime(2030, 6, 12, tzinfo=UTC)),
        )
        post = create_post(session, ws, spec, now=NOW)
        _publish_all(session, post, spec.when)
        first = requeue_evergreen(session, ws, now=NOW + timedelta(hours=2))
        assert [p.due_at for p in first] == [datetime(2030, 6, 10, 7, 0, tzinfo=UTC)]
        _publish_all(session, post, first[0].due_at)
        assert requeue_evergreen(session, ws, now=first[0].due_at + timedelta(hours=1)) == []


def test_evergreen_needs_an_end_condition(tmp_path: Path) -> None:
    from sociable.publish.spec import read_post_file

    path = write(tmp_path / "e.md", "---\naccounts: [x]\nevergreen: {cooldown_days: 7}\n---\nTip\n")
    with pytest.raises(UserError, match="end condition"):
        read_post_file(path, "UTC")


def test_two_queue_adds_at_once_never_share_a_slot(db: Database) -> None:
    """The account is locked while a slot is chosen (PostgreSQL: FOR UPDATE; SQLite: the
    write lock). A holds its transaction open after choosing; B starts meanwhile, waits for
    A, then takes the next slot. Without the lock both landed on the same slot.
    """
    import threading

    with db.session() as session:
        ws, acc = _setup(session)
        ws_id, acc_id = ws.id, acc.id
    chosen = threading.Event()
    results: dict[str, object] = {}

    def add(name: str, hold: bool) -> None:
        try:
            with db.session() as s:
                w = s.get(Workspace, ws_id)
                assert w is not None
                spec = PostSpec(text=f"post {name}", accounts=["mastodon"])
                post = create_post(s, w, spec, now=NOW, queue=True)
                results[name] = post.variants[0].publications[0].due_at
                if hold:
                    chosen.set()
                    threading.Event().wait(0.5)  # keep the transaction (and lock) open
        except Exception as exc:
            results[name] = exc
            chosen.set()

    a = threading.Thread(target=add, args=("a", True))
    a.start()
    chosen.wait(30)
    b = threading.Thread(target=add, args=("b", False))
    b.start()
    a.join(60)
    b.join(60)
    assert isinstance(results["a"], datetime), results
    assert isinstance(results["b"], datetime), results
    assert results["a"] != results["b"]
    with db.session() as session:
        dues = session.scalars(
            select(Publication.due_at).where(Publication.account_id == acc_id)
        ).all()
        assert len(dues) == len(set(dues))


def test_evergreen_requeue_from_two_workers_at_once_schedules_one_run(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a worker pass calls (`requeue_evergreen_all`), twice at once.

    The first caller pauses inside its transaction right after scheduling; the second starts
    then, waits on the post's lock, and finds the new run pending. Without the lock both
    scheduled a run.
    """
    import threading

    from sociable.publish import posts as posts_module
    from sociable.publish.posts import requeue_evergreen_all

    with db.session() as session:
        ws, _acc = _setup(session)
        spec = PostSpec(
            text="Tip",
            accounts=["mastodon"],
            when=datetime(2030, 6, 3, 7, 0, tzinfo=UTC),
            evergreen=Evergreen(cooldown_days=7, max_count=5),
        )
        post = create_post(session, ws, spec, now=NOW)
        _publish_all(session, post, spec.when)

    real_schedule = posts_module.states.schedule
    scheduled = threading.Event()

    def slow_schedule(*args, **kwargs):  # type: ignore[no-untyped-def]
        pub = real_schedule(*args, **kwargs)
        if not scheduled.is_set():
            scheduled.set()
            threading.Event().wait(0.5)  # hold the transaction open
        return pub

    monkeypatch.setattr(posts_module.states, "schedule", slow_schedule)
    counts: list[int] = []
    later = NOW + timedelta(days=1)

    def run() -> None:
        counts.append(requeue_evergreen_all(db, now=later))

    first = threading.Thread(target=run)
    first.start()
    assert scheduled.wait(30)
    second = threading.Thread(target=run)
    second.start()
    first.join(60)
    second.join(60)
    assert sorted(counts) == [0, 1]
    with db.session() as session:
        assert len(session.scalars(select(Publication)).all()) == 2
