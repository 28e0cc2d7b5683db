"""Which listens were already written to the audit log.

A browser fetches one recording in many Range requests (start, every seek); the first request
of a user for a recording is audited, and again once `window` has passed, so every access is
covered by an entry without one line per seek.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta


class ListenLedger:
    def __init__(self, clock: Callable[[], datetime], window: timedelta, limit: int = 10_000) -> None:
        self._clock = clock
        self._window = window
        self._limit = limit
        self._seen: dict[tuple[object, int], datetime] = {}

    def due(self, user: object, recording_id: int) -> bool:
        """True when this access must be audited (and remembers it as audited)."""
        now = self._clock()
        key = (user, recording_id)
        last = self._seen.get(key)
        if last is not None and now - last < self._window:
            return False
        if len(self._seen) >= self._limit:
            self._seen = {k: t for k, t in self._seen.items() if now - t < self._window}
        self._seen[key] = now
        return True

    def reset(self) -> None:
        self._seen.clear()
