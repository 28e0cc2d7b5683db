"""A sliding-window counter per key (client address, phone number) for the public pages.

`hit()` checks and counts in one synchronous step, so parallel requests see each other. In memory,
per engine process, bounded: the oldest keys are dropped first so a flood cannot exhaust memory.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime


class Limited(Exception):
    error_id = "citizen.rate_limited"

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class WindowLimiter:
    def __init__(self, clock: Callable[[], datetime], limit: int, window_seconds: float,
                 max_keys: int = 50_000) -> None:
        self._clock, self.limit, self.window, self._max = clock, limit, window_seconds, max_keys
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._hits.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def check(self, key: str) -> None:
        """Raise Limited if `key` has used its allowance, without counting."""
        now = self._clock().timestamp()
        times = self._recent(key, now)
        if len(times) >= self.limit:
            raise Limited(max(1.0, times[0] + self.window - now))

    def hit(self, key: str) -> None:
        """Count one use of `key`, or raise Limited (not counted) if it is over its allowance."""
        self.check(key)
        now = self._clock().timestamp()
        if key not in self._hits:
            while len(self._hits) >= self._max:
                self._hits.pop(next(iter(self._hits)))
            self._hits[key] = deque()
        self._hits[key].append(now)


class Busy(Exception):
    error_id = "citizen.busy"


class InFlight:
    """At most `limit` submissions at once in this process; the next one is refused at once (Busy)
    rather than queued: under a flood a quick 503 is better for the citizen and the IVR on the same
    loop than a 30 s wait for a database connection that may end in a half-stored request."""

    def __init__(self, limit: int) -> None:
        self.limit, self.now, self.refused = limit, 0, 0

    def __enter__(self) -> InFlight:
        if self.now >= self.limit:
            self.refused += 1
            raise Busy(f"{self.now} submissions in flight")
        self.now += 1
        return self

    def __exit__(self, *exc) -> None:
        self.now -= 1
