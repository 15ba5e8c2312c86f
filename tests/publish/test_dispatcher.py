"""The dispatcher on SQLite and PostgreSQL: claim, send, retry, lease recovery, bad input."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from sociable.clock import FrozenClock
from sociable.config import PublishSettings
from sociable.errors import UserError
from sociable.publish.connectors.base import (
    AuthExpired,
    Capabilities,
    Connector,
    OutcomeUnknown,
    PublishRequest,
    PublishResult,
)
from sociable.publish.connectors.registry import connector_class
from sociable.publish.dispatcher import Dispatcher
from sociable.publish.reconcile import reconcile_due
from sociable.publish.worker import run_pass
from sociable.store.db import Database
from sociable.store.models import Account
from sociable.store.models.publish import (
    AccountThrottle,
    Publication,
    PublicationEvent,
    PublishPolicy,
)
from sociable.store.secrets import SecretBox, generate_key, use_box
from tests.publish import factories as f
from tests.publish.receiver import Receiver

T0 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the night Europe leaves summer time


def settings(**overrides: Any) -> PublishSettings:
    base: dict[str, Any] = {
        "allow_private": True,
        "http_timeout_seconds": 0.5,
        "lease_seconds": 5,
        "concurrency": 1,
        "backoff_base_seconds": 10,
    }
    return PublishSettings(**(base | overrides))


class Fake(Connector):
    """A network we control: records calls; behaviour per test."""

    network: ClassVar[str] = "fake"
    capabilities: ClassVar[Capabilities] = Capabilities(max_media=4)
    sent: ClassVar[list[PublishRequest]] = []
    behaviour: ClassVar[list[Any]] = []  # exceptions or results, consumed in order
    found: ClassVar[Any] = NotImplementedError
    refreshed: ClassVar[int] = 0

    def publish(self, request: PublishRequest) -> PublishResult:
        Fake.sent.append(request)
        if Fake.behaviour:
            item = Fake.behaviour.pop(0)
            if isinstance(item, Exception):
                raise item
        return PublishResult(remote_id=f"fake-{request.idempotency_key}", url=None)

    def check(self) -> str:
        return "fake"

    def reconcile(self, request: PublishRequest) -> PublishResult | None:
        if Fake.found is NotImplementedError:
            raise NotImplementedError("fake cannot tell")
        return Fake.found  # type: ignore[no-any-return]

    def refresh(self) -> dict[str, Any] | None:
        Fake.refreshed += 1
        return {"token": f"new-{Fake.refreshed}", "expires_at": "2030-01-01T00:00:00Z"}


class IdempotentFake(Fake):
    capabilities: ClassVar[Capabilities] = Capabilities(max_media=4, idempotency_key=True)


class RefreshingFake(Fake):
    capabilities: ClassVar[Capabilities] = Capabilities(max_media=4, token_refresh=True)


class XFake(Fake):
    network: ClassVar[str] = "x"


FAKES: dict[str, type[Connector]] = {
    "fake": Fake,
    "idem": IdempotentFake,
    "refreshing": RefreshingFake,
    "x": XFake,
}


def lookup(network: str) -> type[Connector]:
    return FAKES[network] if network in FAKES else connector_class(network)


@pytest.fixture(autouse=True)
def _reset_fakes() -> None:
    Fake.sent = []
    Fake.behaviour = []
    Fake.found = NotImplementedError
    Fake.refreshed = 0


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


def dispatcher(db: Database, clock: FrozenClock, name: str = "w1", **kw: Any) -> Dispatcher:
    return Dispatcher(db, settings(**kw), worker_id=name, clock=clock, connector_for=lookup)


def make(
    db: Database,
    *,
    network: str = "fake",
    due: datetime = T0,
    n: int = 1,
    text: str = "Hello",
    credentials: dict[str, Any] | None = None,
    account_settings: dict[str, Any] | None = None,
) -> list[int]:
    with db.session() as s:
        ws = f.workspace(s)
        acc = f.account(s, ws, network=network, credentials=credentials, settings=account_settings)
        return [f.publication(s, ws, acc, due, text=f"{text} {i}").id for i in range(n)]


def pub(db: Database, pub_id: int) -> Publication:
    with db.session() as s:
        found = s.get(Publication, pub_id)
        assert found is not None
        s.expunge(found)
        return found


def events(db: Database, pub_id: int) -> list[tuple[str | None, str]]:
    with db.session() as s:
        rows = s.scalars(
            select(PublicationEvent)
            .where(PublicationEvent.publication_id == pub_id)
            .order_by(PublicationEvent.id)
        ).all()
        return [(e.from_state, e.to_state) for e in rows]


def test_due_publication_is_sent_once_and_the_future_one_waits(
    db: Database, clock: FrozenClock, receiver: Receiver
) -> None:
    secret = {"secret": receiver.secret}
    due = make(db, network="webhook", credentials=secret, account_settings={"url": receiver.url})
    with db.session() as s:
        ws_id = s.get(Publication, due[0]).workspace_id  # type: ignore[union-attr]
        acc_id = s.get(Publication, due[0]).account_id  # type: ignore[union-attr]
        ws = s.get(f.Workspace, ws_id)
        acc = s.get(Account, acc_id)
        later = f.publication(s, ws, acc, T0 + timedelta(hours=1)).id  # type: ignore[arg-type]
    d = dispatcher(db, clock)
    stats = run_pass(d)
    assert stats.outcomes == {"published": 1}
    done = pub(db, due[0])
    assert (done.state, done.remote_id, done.attempts) == (
        "published",
        f"r-{done.idempotency_key}",
        1,
    )
    assert done.published_at == T0
    assert events(db, due[0]) == [
        (None, "scheduled"),
        ("scheduled", "claimed"),
        ("claimed", "sending"),
        ("sending", "published"),
    ]
    assert pub(db, later).state == "scheduled"
    assert run_pass(d).claimed == 0  # nothing is sent twice
    assert receiver.raw() == {done.idempotency_key: 1}
    d.close()


def test_timeout_after_sending_is_unknown_and_never_retried_blindly(
    db: Database, clock: FrozenClock, receiver: Receiver
) -> None:
    receiver.fault = lambda key, seen: "hang"
    [pid] = make(
        db,
        network="webhook",
        credentials={"secret": receiver.secret},
        account_settings={"url": receiver.url},
    )
    d = dispatcher(db, clock)
    assert run_pass(d).outcomes == {"unknown": 1}
    p = pub(db, pid)
    assert p.state == "unknown" and "after sending" in (p.reason or "")
    clock.advance(timedelta(hours=1))
    run_pass(d)  # reconciliation: a plain webhook cannot tell, so it stays unknown
    p = pub(db, pid)
    assert p.state == "unknown" and p.next_attempt_at is None
    assert "cannot be asked" in (p.reason or "")
    assert receiver.raw() == {p.idempotency_key: 1}
    d.close()


def test_rate_limit_waits_retry_after_then_sends(
    db: Database, clock: FrozenClock, receiver: Receiver
) -> None:
    receiver.fault = lambda key, seen: "limit" if seen == 0 else "ok"
    [pid] = make(
        db,
        network="webhook",
        credentials={"secret": receiver.secret},
        account_settings={"url": receiver.url},
    )
    d = dispatcher(db, clock)
    assert run_pass(d).outcomes == {"failed_retryable": 1}
    p = pub(db, pid)
    assert p.next_attempt_at == T0 + timedelta(seconds=1)
    with db.session() as s:
        throttle = s.get(AccountThrottle, p.account_id)
        assert throttle is not None and throttle.until == T0 + timedelta(seconds=1)
    assert run_pass(d).claimed == 0  # not before Retry-After
    clock.advance(timedelta(seconds=1))
    assert run_pass(d).outcomes == {"published": 1}
    assert receiver.applied() == {p.idempotency_key: 1}
    d.close()


def test_transient_failures_back_off_then_give_up(db: Database, clock: FrozenClock) -> None:
    from sociable.publish.connectors.base import Transient

    Fake.behaviour = [Transient("502 before acceptance")] * 3
    [pid] = make(db)
    d = dispatcher(db, clock, max_attempts=3)
    waits = []
    for _ in range(3):
        run_pass(d)
        p = pub(db, pid)
        if p.state != "failed_retryable":
            break
        assert p.next_attempt_at is not None
        waits.append((p.next_attempt_at - clock()).total_seconds())
        clock.advance(p.next_attempt_at - clock())
    p = pub(db, pid)
    assert p.state == "failed" and "gave up after 3 attempts" in (p.reason or "")
    assert len(waits) == 2 and 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20
    assert len(Fake.sent) == 3


def test_too_late_is_missed_with_the_policy_of_its_workspace(
    db: Database, clock: FrozenClock
) -> None:
    [pid] = make(db, due=T0 - timedelta(minutes=90))
    d = dispatcher(db, clock, late_minutes=60)
    run_pass(d)
    p = pub(db, pid)
    assert p.state == "missed" and "90 min late" in (p.reason or "")
    assert Fake.sent == []
    with db.session() as s:
        s.add(PublishPolicy(workspace_id=p.workspace_id, late_minutes=120))
        ws = s.get(f.Workspace, p.workspace_id)
        acc = s.get(Account, p.account_id)
        late_ok = f.publication(s, ws, acc, T0 - timedelta(minutes=90)).id  # type: ignore[arg-type]
    run_pass(d)
    assert pub(db, late_ok).state == "published"


def test_lint_failure_fails_before_any_request(db: Database, clock: FrozenClock) -> None:
    [pid] = make(db, network="x", text="a" * 300)
    run_pass(dispatcher(db, clock))
    p = pub(db, pid)
    assert p.state == "failed"
    assert "x would reject it" in (p.reason or "") and "POST101" in (p.reason or "")
    assert Fake.sent == []


@pytest.mark.parametrize("problem", ["unknown network", "deleted account", "bad credentials"])
def test_bad_account_fails_with_a_clear_reason(
    db: Database, clock: FrozenClock, problem: str
) -> None:
    network = "myspace" if problem == "unknown network" else "fake"
    [pid] = make(db, network=network, credentials={"token": "t"})
    if problem == "deleted account":
        with db.session() as s:
            s.delete(s.get(Account, pub(db, pid).account_id))
    if problem == "bad credentials":
        use_box(SecretBox(generate_key()))  # the key changed since the token was stored
    run_pass(dispatcher(db, clock))
    p = pub(db, pid)
    assert p.state == "failed"
    expected = {
        "unknown network": "no connector for network 'myspace'",
        "deleted account": "account for this publication was deleted",
        "bad credentials": "cannot be decrypted",
    }[problem]
    assert expected in (p.reason or "")
    assert Fake.sent == []
    assert events(db, pid)[-2:] == [("scheduled", "claimed"), ("claimed", "failed")]


def test_expired_claim_goes_back_to_the_queue_and_expired_send_becomes_unknown(
    db: Database, clock: FrozenClock
) -> None:
    a, b = make(db, n=2)
    dead = dispatcher(db, clock, name="dead")
    claims = dead.claim()
    assert sorted(pid for pid, _ in claims) == [a, b]
    # ``dead`` committed ``sending`` for b, then was killed before the outcome.
    job_b = next(j for j in dead.load(claims) if j.publication.id == b)
    from sociable.publish.states import transition

    with db.session() as s:
        transition(s, job_b.publication, "sending", worker="dead", expect_token=job_b.token)
    clock.advance(timedelta(seconds=6))
    live = dispatcher(db, clock, name="live")
    stats = run_pass(live)
    assert stats.recovered == 2
    assert pub(db, a).state == "published"  # never sent before: safe to send
    p_b = pub(db, b)
    assert p_b.state == "unknown" and "ran out while sending" in (p_b.reason or "")
    assert [r.publication_id for r in Fake.sent] == [a]
    # The dead worker wakes up: its stale claim cannot send or overwrite anything.
    assert dead.run_job(next(j for j in dead.load(claims) if j.publication.id == a)) == "lost"
    assert len(Fake.sent) == 1


def test_late_result_of_a_hung_worker_still_counts(db: Database, clock: FrozenClock) -> None:
    [pid] = make(db)
    slow = dispatcher(db, clock, name="slow")
    [job] = slow.load(slow.claim())

    def publish_while_reaped(request: PublishRequest) -> PublishResult:
        clock.advance(timedelta(seconds=6))
        dispatcher(db, clock, name="reaper").recover_expired()
        assert pub(db, pid).state == "unknown"
        return PublishResult(remote_id="late-1")

    job.connector.publish = publish_while_reaped  # type: ignore[method-assign,union-attr]
    assert slow.run_job(job) == "published"
    p = pub(db, pid)
    assert (p.state, p.remote_id) == ("published", "late-1")
    assert events(db, pid)[-2:] == [("sending", "unknown"), ("unknown", "published")]


def test_reconcile_resends_on_idempotent_networks(db: Database, clock: FrozenClock) -> None:
    Fake.behaviour = [OutcomeUnknown("read timeout")]
    [pid] = make(db, network="idem")
    d = dispatcher(db, clock)
    run_pass(d)
    assert pub(db, pid).state == "unknown"
    clock.advance(timedelta(seconds=11))
    assert reconcile_due(d) == 1
    p = pub(db, pid)
    assert p.state == "published"
    keys = [r.idempotency_key for r in Fake.sent]
    assert keys == [p.idempotency_key, p.idempotency_key]


@pytest.mark.parametrize("found", [True, False])
def test_reconcile_by_reading_the_network(db: Database, clock: FrozenClock, found: bool) -> None:
    Fake.behaviour = [OutcomeUnknown("read timeout")]
    [pid] = make(db)
    d = dispatcher(db, clock)
    run_pass(d)
    Fake.found = PublishResult(remote_id="seen-1") if found else None
    clock.advance(timedelta(seconds=11))
    reconcile_due(d)
    p = pub(db, pid)
    if found:
        assert (p.state, p.remote_id) == ("published", "seen-1")
        assert len(Fake.sent) == 1
    else:
        assert p.state == "scheduled"
        run_pass(d)
        assert pub(db, pid).state == "published" and len(Fake.sent) == 2


def test_token_is_refreshed_before_it_expires(db: Database, clock: FrozenClock) -> None:
    [pid] = make(db, network="refreshing", credentials={"token": "old"})
    with db.session() as s:
        acc = s.get(Account, pub(db, pid).account_id)
        assert acc is not None
        acc.token_expires_at = T0 + timedelta(minutes=2)
    run_pass(dispatcher(db, clock))
    assert pub(db, pid).state == "published"
    assert Fake.refreshed == 1
    with db.session() as s:
        acc = s.get(Account, pub(db, pid).account_id)
        assert acc is not None
        assert acc.credentials == {"token": "new-1", "expires_at": "2030-01-01T00:00:00Z"}
        assert acc.token_expires_at == datetime(2030, 1, 1, tzinfo=UTC)


def test_expired_token_is_refreshed_once_then_sent(db: Database, clock: FrozenClock) -> None:
    Fake.behaviour = [AuthExpired("401")]
    [pid] = make(db, network="refreshing", credentials={"token": "old"})
    run_pass(dispatcher(db, clock))
    assert pub(db, pid).state == "published"
    assert Fake.refreshed == 1 and len(Fake.sent) == 2
    assert Fake.sent[1].idempotency_key == Fake.sent[0].idempotency_key


def test_expired_token_without_refresh_fails_with_reconnect(
    db: Database, clock: FrozenClock
) -> None:
    Fake.behaviour = [AuthExpired("token rejected (HTTP 401)")]
    [pid] = make(db)
    run_pass(dispatcher(db, clock))
    p = pub(db, pid)
    assert p.state == "failed" and "reconnect the account" in (p.reason or "")


def test_account_pacing_sends_one_per_interval(db: Database, clock: FrozenClock) -> None:
    ids = make(db, n=3, account_settings={"min_interval_seconds": 60})
    d = dispatcher(db, clock, batch_size=10)
    run_pass(d)
    assert len(Fake.sent) == 1
    clock.advance(timedelta(seconds=60))
    run_pass(d)
    assert len(Fake.sent) == 2
    assert sorted(pub(db, i).state for i in ids) == ["published", "published", "scheduled"]


def test_two_workers_in_threads_send_each_exactly_once(db: Database, clock: FrozenClock) -> None:
    ids = make(db, n=60)
    workers = [dispatcher(db, clock, name=f"w{i}", batch_size=5, concurrency=2) for i in range(3)]
    threads = [threading.Thread(target=run_pass, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent = [r.publication_id for r in Fake.sent]
    assert sorted(sent) == sorted(ids)
    assert {pub(db, i).state for i in ids} == {"published"}
    for w in workers:
        w.close()


def test_lease_must_outlive_the_http_timeout(db: Database) -> None:
    with pytest.raises(UserError, match="lease_seconds"):
        Dispatcher(db, settings(lease_seconds=1, http_timeout_seconds=5))


def test_reconcile_gives_up_after_max_attempts(db: Database, clock: FrozenClock) -> None:
    Fake.behaviour = [OutcomeUnknown("read timeout")] * 10
    [pid] = make(db, network="idem")
    d = dispatcher(db, clock, max_attempts=2)
    run_pass(d)
    for _ in range(5):
        clock.advance(timedelta(minutes=5))
        reconcile_due(d)
    p = pub(db, pid)
    assert p.state == "unknown" and p.next_attempt_at is None
    assert "gave up after 2 checks" in (p.reason or "")
    assert len(Fake.sent) == 3  # the first send and two safe re-sends with the same key


def test_worker_survives_a_database_outage(
    db: Database, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from sociable.publish import worker

    calls: list[int] = []
    real = worker.run_pass
    stop = threading.Event()

    def flaky(d: Dispatcher, s: threading.Event | None = None) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        stats = real(d, s)
        stop.set()
        return stats

    monkeypatch.setattr(worker, "run_pass", flaky)
    [pid] = make(db)
    worker.run_worker(dispatcher(db, clock), poll=0.01, stop=stop)
    assert len(calls) == 2
    assert pub(db, pid).state == "published"
