"""The retention job on an APScheduler 3 AsyncIOScheduler.

APScheduler's SQLAlchemy job store is synchronous, so nothing of the scheduler is persisted:
the job is re-created at every start, and its first run time comes from the last finished
pass in the database (overdue: run now). The pass itself is idempotent and row-driven.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hotline.periodic import PeriodicJob

from .retention import Retention

log = logging.getLogger(__name__)
JOB_ID = "recordings-retention"


def first_run(last: datetime | None, now: datetime, every: timedelta, delay: timedelta) -> datetime:
    """When the first pass after a start is due: `delay` after start if overdue, else on schedule."""
    if last is None or last + every <= now + delay:
        return now + delay
    return last + every


class RetentionSchedule(PeriodicJob):
    def __init__(self, retention: Retention, clock: Callable[[], datetime], *, every: timedelta = timedelta(hours=6),
                 start_delay: timedelta = timedelta(seconds=30)) -> None:
        super().__init__(JOB_ID, self._pass, every, log, "recordings.retention.pass_failed")
        self._retention = retention
        self._clock = clock
        self.start_delay = start_delay
        self.ran = asyncio.Event()  # set after each pass (tests, health)

    async def start(self) -> datetime:  # type: ignore[override]
        last = await self._retention.last_run()
        due = first_run(last, self._clock(), self.every, self.start_delay)
        # the scheduler runs on real time; `due` is translated from the injected clock's offset
        super().start(datetime.now(UTC) + (due - self._clock()))
        log.info("recordings.retention.scheduled first=%s every=%s last=%s", due.isoformat(), self.every,
                 last.isoformat() if last else None)
        return due

    async def _pass(self) -> None:
        await self._retention.run_once()
        await self._retention.sweep()
        self.ran.set()
