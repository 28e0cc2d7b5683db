"""The 督办 pass as an APScheduler interval job on every engine; the pass's lock lets one run.

Nothing of the scheduler is persisted (APScheduler's SQLAlchemy store is synchronous): every engine
schedules the job, and the database lock (service.SweepLock) decides who sweeps each minute.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from hotline.periodic import PeriodicJob

from .service import Supervision

log = logging.getLogger(__name__)
JOB_ID = "supervision-sweep"


class SupervisionSchedule(PeriodicJob):
    def __init__(self, supervision: Supervision, *, every: timedelta = timedelta(minutes=1),
                 start_delay: timedelta = timedelta(seconds=20)) -> None:
        super().__init__(JOB_ID, self._pass, every, log, "supervision.pass_failed")
        self._supervision = supervision
        self.start_delay = start_delay

    def start(self) -> None:  # type: ignore[override]
        super().start(datetime.now(UTC) + self.start_delay)

    async def _pass(self) -> None:
        result = await self._supervision.run_once()
        if result.marked or result.reminded or result.failed:
            log.info("supervision.pass marked=%d reminded=%d escalated=%d sent=%d failed=%d",
                     len(result.marked), len(result.reminded), len(result.escalated), result.sent, result.failed)
