"""Slowing down password guessing: a limit per client and a growing delay per account.

- **Per client** (its IP address; an IPv6 address counts as its /64, since one host usually
  holds the whole prefix): ``client_limit`` login attempts that did not succeed within
  ``window`` seconds, then that client is refused until the oldest falls out of the window.
  Junk emails count against the client that sends them, so they cannot flush anything.
- **Per account** (the email typed, known or not, so the answers do not tell which accounts
  exist): after ``free_failures`` wrong passwords within the window, the next attempt on it
  must wait ``base_delay`` seconds after the last failure, doubling with each further one up
  to ``max_delay``. Attempts sooner are refused *without being checked* and count against
  their client. It is a delay, never a lock: an attacker's own client runs out of attempts
  long before it could keep the delay going, and the real user, who waits it out, gets in.

Memory is bounded: both tables keep at most ``max_tracked`` keys and forget the least
recently seen first. A client must spend one of its limited attempts to add an account key,
so flushing the account table takes ``max_tracked / client_limit`` clients; flushing the
client table takes ``max_tracked`` addresses (or IPv6 /64s), while a hammering client stays
the most recently seen one. The state lives in the process (``sociable serve`` is one).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottleLimits:
    client_limit: int = 20
    free_failures: int = 5
    base_delay: float = 1.0
    max_delay: float = 300.0
    window: float = 15 * 60.0
    max_tracked: int = 10_000


@dataclass(frozen=True)
class Refusal:
    """Why an attempt was not checked, and how many whole seconds to wait."""

    reason: str  # "client" or "account"
    retry_after: int


def client_key(host: str | None) -> str:
    """The key a client is limited by: its IPv4 address, or the /64 of its IPv6 address."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class _Recent:
    """Recent event times per key, the least recently touched key forgotten first."""

    def __init__(self, max_keys: int, per_key: int, window: float) -> None:
        self._times: OrderedDict[str, deque[float]] = OrderedDict()
        self._max_keys = max_keys
        self._per_key = per_key
        self._window = window

    def __len__(self) -> int:
        return len(self._times)

    def recent(self, key: str, now: float) -> deque[float]:
        """The key's times within the window (oldest first); marks the key as just seen."""
        times = self._times.get(key)
        if times is None:
            return deque()
        while times and now - times[0] >= self._window:
            times.popleft()
        if not times:
            del self._times[key]
            return times
        self._times.move_to_end(key)
        return times

    def add(self, key: str, now: float) -> None:
        times = self.recent(key, now)
        if key not in self._times:
            while len(self._times) >= self._max_keys:
                self._times.popitem(last=False)
            times = self._times[key] = deque(maxlen=self._per_key)
        times.append(now)

    def drop_latest(self, key: str) -> None:
        times = self._times.get(key)
        if times:
            times.pop()

    def forget(self, key: str) -> None:
        self._times.pop(key, None)


class LoginThrottle:
    """Ask :meth:`attempt` before checking a password; report :meth:`succeeded` if right."""

    def __init__(
        self, limits: ThrottleLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or ThrottleLimits()
        self._clock = clock
        self._lock = threading.Lock()  # sync routes run in a thread pool
        lim = self.limits
        doublings = math.ceil(math.log2(max(lim.max_delay / lim.base_delay, 1.0)))
        self._clients = _Recent(lim.max_tracked, lim.client_limit, lim.window)
        self._accounts = _Recent(lim.max_tracked, lim.free_failures + doublings + 1, lim.window)

    def tracked(self) -> tuple[int, int]:
        """(clients, accounts) currently remembered."""
        with self._lock:
            return len(self._clients), len(self._accounts)

    def _account_wait(self, account: str, now: float) -> float:
        failures = self._accounts.recent(account, now)
        beyond = len(failures) - self.limits.free_failures
        if beyond < 0:
            return 0.0
        delay = min(self.limits.base_delay * 2.0**beyond, self.limits.max_delay)
        return failures[-1] + delay - now

    def attempt(self, client: str, account: str) -> Refusal | None:
        """None when the password may be checked; else why not.

        An attempt let through counts as a failure at once, for its client and its account,
        until :meth:`succeeded` says otherwise: many sent together cannot all slip past
        the limits while their passwords are being checked.
        """
        with self._lock:
            now = self._clock()
            attempts = self._clients.recent(client, now)
            if len(attempts) >= self.limits.client_limit:
                return Refusal("client", math.ceil(attempts[0] + self.limits.window - now))
            self._clients.add(client, now)  # refused or checked, it counts for the client
            wait = self._account_wait(account, now)
            if wait > 0:
                return Refusal("account", math.ceil(wait))
            self._accounts.add(account, now)
            return None

    def succeeded(self, client: str, account: str) -> None:
        """The right password: the attempt no longer counts, and the account's delay is over."""
        with self._lock:
            self._clients.drop_latest(client)
            self._accounts.forget(account)
