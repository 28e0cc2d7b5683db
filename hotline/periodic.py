"""One asyncio job on an APScheduler 3 interval, as the retention, 督办 and other passes run it.

Nothing of the scheduler is persisted (APScheduler's SQLAlchemy job store is synchronous): the job
is re-created at every start, coalesced, one instance at a time; a pass that fails is logged and
the next one retries; stop() cancels a pass still running so shutdown never waits on it.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger


class PeriodicJob:
    def __init__(self, job_id: str, run: Callable[[], Awaitable[None]], every: timedelta, log: logging.Logger,
                 failure_event: str) -> None:
        self.job_id, self._run, self.every = job_id, run, every
        self._log, self._failure_event = log, failure_event
        self.scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task] = set()
        self.runs = 0

    def start(self, first: datetime) -> None:
        """`first`: the wall-clock time of the first pass."""
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_job(self._job, IntervalTrigger(seconds=self.every.total_seconds(), timezone=UTC),
                               id=self.job_id, next_run_time=first, coalesce=True, max_instances=1,
                               misfire_grace_time=int(self.every.total_seconds()))
        self.scheduler.start()

    async def _job(self) -> None:
        task = asyncio.current_task()
        self._running.add(task)
        try:
            await self._run()
            self.runs += 1
        except Exception:  # noqa: BLE001 - the next pass retries
            self._log.exception(self._failure_event)
        finally:
            self._running.discard(task)

    async def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*list(self._running), return_exceptions=True)
