"""The login throttle on its own clock: bounded, and junk cannot flush what it remembers."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from sociable.web.throttle import LoginThrottle, ThrottleLimits, client_key


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ten_thousand_junk_emails_from_one_client_change_nothing() -> None:
    clock = ManualClock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(5):
        assert throttle.attempt("203.0.113.9", "owner@acme.example") is None  # all wrong
    checked = 0
    for i in range(10_000):  # all within the account's one-second delay
        if throttle.attempt("203.0.113.9", f"junk{i}@spam.example") is None:
            checked += 1
    assert checked == 15
    refused = throttle.attempt("203.0.113.9", "owner@acme.example")
    assert refused is not None and refused.reason == "client"
    assert throttle.tracked() == (1, 16)  # one client; the account and 15 junk emails
    # The account still carries its five failures for any other client.
    other = throttle.attempt("198.51.100.7", "owner@acme.example")
    assert other is not None and other.reason == "account"


def test_attempts_in_flight_count_before_their_answer() -> None:
    """Forty guesses sent together: only the free ones get their password checked."""
    throttle = LoginThrottle(clock=ManualClock())
    let_through = [throttle.attempt(f"192.0.2.{n}", "owner@acme.example") for n in range(40)]
    assert let_through.count(None) == 5
    one_client = [throttle.attempt("203.0.113.9", f"u{n}@acme.example") for n in range(40)]
    assert one_client.count(None) == 20


def test_a_right_password_does_not_spend_the_clients_attempts() -> None:
    throttle = LoginThrottle(clock=ManualClock())
    for n in range(100):  # an office behind one address, everybody logging in
        assert throttle.attempt("198.51.100.7", f"person{n}@acme.example") is None
        throttle.succeeded("198.51.100.7", f"person{n}@acme.example")
    assert throttle.tracked() == (1, 0)


def test_both_tables_stay_bounded_under_many_clients() -> None:
    clock = ManualClock()
    throttle = LoginThrottle(ThrottleLimits(max_tracked=1_000), clock=clock)
    for i in range(50_000):
        client, email = f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", f"junk{i}@spam.example"
        throttle.attempt(client, email)
    assert throttle.tracked() == (1_000, 1_000)


def test_an_ipv6_host_is_one_client_across_its_64() -> None:
    assert client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key(None) == "unknown"


LIMITS = ThrottleLimits(
    client_limit=25, free_failures=3, base_delay=2.0, max_delay=30.0, window=600
)
events = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["x@e.example", "y@e.example"]),
        # Seconds since the last attempt: often about a delay, sometimes past the window.
        st.one_of(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 3.5, 7.0]), st.floats(0, 700)),
        st.integers(0, 9).map(lambda n: n == 0),  # now and then the right password
    ),
    max_size=200,
)


@settings(max_examples=150, deadline=None)
@given(events)
def test_guesses_checked_stay_within_the_limits(steps: list[tuple[str, str, float, bool]]) -> None:
    clock = ManualClock()
    throttle = LoginThrottle(LIMITS, clock=clock)
    by_client: dict[str, list[float]] = defaultdict(list)
    by_account: dict[str, list[float]] = defaultdict(list)
    for client, account, gap, right in steps:
        clock.now += gap
        if throttle.attempt(client, account) is not None:
            continue
        if right:
            throttle.succeeded(client, account)
            by_account[account].clear()
            continue
        by_client[client].append(clock.now)
        by_account[account].append(clock.now)
        # No client gets more than its limit of wrong guesses checked in any window.
        recent = [t for t in by_client[client] if clock.now - t < LIMITS.window]
        assert len(recent) <= LIMITS.client_limit
        # Past the free failures, an account's checked guesses are spaced by the delay.
        failures = [t for t in by_account[account] if clock.now - t < LIMITS.window]
        beyond = len(failures) - 1 - LIMITS.free_failures
        if beyond >= 0:
            delay = min(LIMITS.base_delay * 2**beyond, LIMITS.max_delay)
            assert failures[-1] - failures[-2] >= delay
