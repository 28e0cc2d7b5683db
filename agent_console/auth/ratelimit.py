"""Login rate limiting: failures counted per username and per client address in a sliding window.

In memory, per engine process: enough to stop password guessing through the console;
behind several engines a shared store would be needed (see the report/docs).
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
    per_username: int = 5
    per_ip: int = 20
    window_seconds: float = 900.0
    max_tracked: int = 10_000  # keys kept; oldest dropped first so a flood cannot exhaust memory


class LoginLimiter:
    def __init__(self, clock: Callable[[], datetime], limits: LoginLimits = LoginLimits()) -> None:
        self._clock = clock
        self.limits = limits
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _now(self) -> float:
        return self._clock().timestamp()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.limits.window_seconds:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def check(self, username: str, ip: str) -> None:
        """Raises LoginThrottled before the password is even looked at."""
        now = self._now()
        for key, limit in ((("user", username.lower()), self.limits.per_username), (("ip", ip), self.limits.per_ip)):
            times = self._recent(key, now)
            if len(times) >= limit:
                raise LoginThrottled(max(1.0, times[0] + self.limits.window_seconds - now))

    def failed(self, username: str, ip: str) -> None:
        now = self._now()
        for key in (("user", username.lower()), ("ip", ip)):
            if key not in self._failures and len(self._failures) >= self.limits.max_tracked:
                self._failures.pop(next(iter(self._failures)))
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(("user", username.lower()), None)

    def reset(self) -> None:
        """Forget every failure (an operator unlocking accounts)."""
        self._failures.clear()

    def tracked(self) -> int:
        return len(self._failures)
