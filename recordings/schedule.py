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

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .retention import Retention

log = logging.getLogger(__name__)
JOB_ID = "recordings-retention"


def first_run(last: datetime | None, now: datetime, every: timedelta, delay: timedelta) -> datetime:
    """When the first pass after a start is due: `delay` after start if overdue, else on schedule."""
    if last is None or last + every <= now + delay:
        return now + delay
    return last + every


class RetentionSchedule:
    def __init__(self, retention: Retention, clock: Callable[[], datetime], *, every: timedelta = timedelta(hours=6),
                 start_delay: timedelta = timedelta(seconds=30)) -> None:
        self._retention = retention
        self._clock = clock
        self.every = every
        self.start_delay = start_delay
        self.scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task] = set()
        self.runs = 0
        self.ran = asyncio.Event()  # set after each pass (tests, health)

    async def start(self) -> datetime:
        last = await self._retention.last_run()
        due = first_run(last, self._clock(), self.every, self.start_delay)
        # the scheduler runs on real time; `due` is translated from the injected clock's offset
        wall = datetime.now(UTC) + (due - self._clock())
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_job(self._job, IntervalTrigger(seconds=self.every.total_seconds(), timezone=UTC),
                               id=JOB_ID, next_run_time=wall, coalesce=True, max_instances=1,
                               misfire_grace_time=int(self.every.total_seconds()))
        self.scheduler.start()
        log.info("recordings.retention.scheduled first=%s every=%s last=%s", due.isoformat(), self.every,
                 last.isoformat() if last else None)
        return due

    async def _job(self) -> None:
        task = asyncio.current_task()
        self._running.add(task)
        try:
            await self._retention.run_once()
            await self._retention.sweep()
            self.runs += 1
            self.ran.set()
        except Exception:  # noqa: BLE001 - the next pass retries
            log.exception("recordings.retention.pass_failed")
        finally:
            self._running.discard(task)

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*list(self._running), return_exceptions=True)
