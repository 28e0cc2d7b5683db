"""Login rate limiting: an attempt is reserved before its password is verified, so parallel guesses count.

Wrong passwords are counted per (username, client address): after `per_user_address` of them
the next attempt from that address waits `base_delay_seconds`, doubling with each further
failure up to `max_delay_seconds`, and only one attempt at a time is let through. The same
user from another address is not held up (no lock-out of a person by a stranger). An address
is also capped across all usernames (`per_ip` in `window_seconds`), which stops spraying.

`reserve()` checks and reserves in one synchronous step: nothing can run between the check
and the reservation on the event loop, so 40 parallel requests see each other's reservations.
In memory, per engine process; behind several engines a shared store would be needed.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


class LoginThrottled(Exception):
    error_id = "console.login.throttled"

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after:.0f} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginLimits:
    per_user_address: int = 5           # wrong passwords for one user from one address before delays start
    base_delay_seconds: float = 30.0    # the first delay; doubles with each further failure
    max_delay_seconds: float = 900.0
    per_ip: int = 30                    # failures from one address, any usernames, in the window
    window_seconds: float = 900.0
    forget_after_seconds: float = 86400.0  # a user+address pair without failures this long starts again
    max_tracked: int = 10_000  # keys kept; oldest dropped first so a flood cannot exhaust memory

    def delay(self, failures: int) -> float:
        """Seconds to wait after the last failure before the next attempt (0: none)."""
        over = failures - self.per_user_address
        if over < 0:
            return 0.0
        return min(self.max_delay_seconds, self.base_delay_seconds * (2 ** min(over, 30)))


@dataclass
class _Pair:
    failures: int = 0
    last_failure: float = 0.0
    in_flight: int = 0


@dataclass(frozen=True)
class Lockout:
    """A user+address pair an admin sees on the users page (and may unlock)."""

    username: str
    address: str
    failures: int
    retry_after: float


class Reservation:
    """One login attempt let through; settle it exactly once (failed / succeeded / cancelled)."""

    def __init__(self, limiter: LoginLimiter, username: str, ip: str) -> None:
        self._limiter, self.username, self.ip = limiter, username, ip
        self._open = True

    def _close(self) -> bool:
        was, self._open = self._open, False
        return was

    def failed(self) -> None:
        if self._close():
            self._limiter._settle(self, failed=True)

    def succeeded(self) -> None:
        if self._close():
            self._limiter._settle(self, failed=False, clear=True)

    def cancelled(self) -> None:
        """The password was never checked (server busy): the attempt does not count."""
        if self._close():
            self._limiter._settle(self, failed=False)


class LoginLimiter:
    def __init__(self, clock: Callable[[], datetime], limits: LoginLimits = LoginLimits()) -> None:
        self._clock = clock
        self.limits = limits
        self._pairs: dict[tuple[str, str], _Pair] = {}
        self._ips: dict[str, deque[float]] = {}
        self._ip_in_flight: dict[str, int] = {}

    def _now(self) -> float:
        return self._clock().timestamp()

    def _pair(self, key: tuple[str, str], now: float) -> _Pair | None:
        pair = self._pairs.get(key)
        if pair is not None and not pair.in_flight and pair.failures and \
                now - pair.last_failure >= self.limits.forget_after_seconds:
            del self._pairs[key]
            return None
        return pair

    def _ip_failures(self, ip: str, now: float) -> deque[float]:
        times = self._ips.get(ip)
        if times is None:
            return deque()
        while times and times[0] <= now - self.limits.window_seconds:
            times.popleft()
        if not times:
            del self._ips[ip]
        return times

    def _bound(self, table: dict) -> None:
        while len(table) >= self.limits.max_tracked:
            table.pop(next(iter(table)))

    def reserve(self, username: str, ip: str) -> Reservation:
        """Raises LoginThrottled, or reserves one attempt before the password is even looked at."""
        now, key = self._now(), (username.lower(), ip)
        times = self._ip_failures(ip, now)
        if len(times) + self._ip_in_flight.get(ip, 0) >= self.limits.per_ip:
            raise LoginThrottled(max(1.0, times[0] + self.limits.window_seconds - now) if times else 1.0)
        pair = self._pair(key, now)
        if pair is not None:
            if pair.failures + pair.in_flight < self.limits.per_user_address:
                pass
            elif pair.in_flight:
                raise LoginThrottled(max(1.0, self.limits.delay(pair.failures + pair.in_flight)))
            else:
                wait = pair.last_failure + self.limits.delay(pair.failures) - now
                if wait > 0:
                    raise LoginThrottled(max(1.0, wait))
        else:
            self._bound(self._pairs)
            pair = self._pairs[key] = _Pair()
        pair.in_flight += 1
        self._ip_in_flight[ip] = self._ip_in_flight.get(ip, 0) + 1
        return Reservation(self, username, ip)

    def _settle(self, reservation: Reservation, *, failed: bool, clear: bool = False) -> None:
        now, key, ip = self._now(), (reservation.username.lower(), reservation.ip), reservation.ip
        left = self._ip_in_flight.get(ip, 1) - 1
        if left > 0:
            self._ip_in_flight[ip] = left
        else:
            self._ip_in_flight.pop(ip, None)
        pair = self._pairs.get(key)
        if pair is not None:
            pair.in_flight = max(0, pair.in_flight - 1)
            if failed:
                pair.failures += 1
                pair.last_failure = now
            if clear or (not pair.failures and not pair.in_flight):
                self._pairs.pop(key, None)
        if failed:
            if ip not in self._ips:
                self._bound(self._ips)
            self._ips.setdefault(ip, deque()).append(now)

    def lockouts(self) -> list[Lockout]:
        """Pairs that must wait now, longest wait first (for the admin's users page)."""
        now, found = self._now(), []
        for (username, ip), pair in list(self._pairs.items()):
            wait = pair.last_failure + self.limits.delay(pair.failures) - now
            if pair.failures >= self.limits.per_user_address and wait > 0:
                found.append(Lockout(username, ip, pair.failures, wait))
        return sorted(found, key=lambda lock: -lock.retry_after)

    def unlock(self, username: str) -> int:
        """An admin unlocks a user: every address's failures for that name are forgotten."""
        name = username.lower()
        keys = [k for k, pair in self._pairs.items() if k[0] == name and not pair.in_flight]
        for key in keys:
            del self._pairs[key]
        for key, pair in self._pairs.items():
            if key[0] == name:
                pair.failures = 0
        return len(keys)

    def reset(self) -> None:
        """Forget every failure (tests; an operator restarting the engine has the same effect)."""
        self._pairs.clear()
        self._ips.clear()

    def tracked(self) -> int:
        return len(self._pairs) + len(self._ips)
