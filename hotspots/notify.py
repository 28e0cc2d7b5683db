"""Early warnings go to the center's supervisors through the 督办 notification gateway (log-only by
default, the HTTP webhook of the city's SMS platform when configured: supervision/gateway.py).

A pass (PeriodicJob, `[hotspots] notify_every_seconds`) runs the spike detector on today's counts,
records each new warning once ((day, category, district) unique, ON CONFLICT DO NOTHING), then sends
the pending ones. Each row is claimed before its send (a conditional UPDATE that moves its next attempt
ahead), so two engines never send the same warning; a send has a timeout, a refused or timed-out one
stays pending with doubling backoff (shown so on /reports/hotspots). Nothing here runs in a request.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from supervision.gateway import Gateway, Outgoing
from supervision.outbox import send_recorded

from .counts import SHANGHAI, day_counts
from .detect import EarlyWarning, Settings, spikes
from .models import HotspotWarning

log = logging.getLogger("hotspots.notify")
TOPIC = "hotspot"
NO_CATEGORY = "（未分类）"


def warning_text(day: date, w: EarlyWarning, district_name: str | None) -> str:
    where = "全市" if w.district is None else (district_name or "（未填区县）")
    return (f"【热点预警】{day.isoformat()} {where}“{w.category or NO_CATEGORY}”类诉求当日 {w.today} 件，"
            f"前期日均 {w.mean:.1f} 件（Z 值 {w.z:.1f}），请关注 /reports/hotspots。")


@dataclass
class PassResult:
    raised: int = 0
    sent: int = 0
    failed: int = 0


class WarningNotifier:
    def __init__(self, sessions: async_sessionmaker, clock: Callable[[], datetime], gateway: Gateway,
                 settings: Settings, names: Callable, *, retry_after: timedelta = timedelta(minutes=1),
                 send_timeout: float = 3.0, lease: timedelta = timedelta(minutes=2)) -> None:
        self._sessions, self._clock, self.gateway, self.settings = sessions, clock, gateway, settings
        self._names = names  # async () -> {department code: name}
        self.retry_after, self.send_timeout, self.lease = retry_after, send_timeout, lease

    async def run_once(self) -> PassResult:
        result = PassResult(raised=await self.raise_warnings())
        await self.deliver(result)
        return result

    async def raise_warnings(self) -> int:
        now = self._clock()
        today = now.astimezone(SHANGHAI).date()
        rows = await day_counts(self._sessions, today - timedelta(days=self.settings.baseline_days), today)
        found = spikes(rows, today, self.settings)
        if not found:
            return 0
        names = await self._names()
        values = [dict(day=today, category=(w.category or NO_CATEGORY)[:128], district=(w.district or "")[:64],
                       today=w.today, mean=w.mean, z=w.z, text=warning_text(today, w, names.get(w.district or "")),
                       created_at=now, state="pending", attempts=0, next_attempt_at=now) for w in found]
        async with self._sessions() as session, session.begin():
            insert_ = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            stmt = (insert_(HotspotWarning).values(values)
                    .on_conflict_do_nothing(index_elements=["day", "category", "district"])
                    .returning(HotspotWarning.id))
            fresh = list(await session.scalars(stmt))
        if fresh:
            log.info("hotspots.warnings raised=%d day=%s", len(fresh), today)
        return len(fresh)

    async def _claim(self, row_id: int, due_before: datetime, now: datetime) -> bool:
        async with self._sessions() as session, session.begin():
            claimed = await session.execute(
                update(HotspotWarning).where(HotspotWarning.id == row_id, HotspotWarning.state == "pending",
                                             HotspotWarning.next_attempt_at <= due_before)
                .values(next_attempt_at=now + self.lease))
        return claimed.rowcount == 1

    async def deliver(self, result: PassResult | None = None) -> PassResult:
        """Send the pending warnings that are due; the first failure ends the round (gateway down)."""
        result = result or PassResult()
        now = self._clock()
        async with self._sessions() as session:
            due = list(await session.scalars(select(HotspotWarning).where(
                HotspotWarning.state == "pending", HotspotWarning.next_attempt_at <= now)
                .order_by(HotspotWarning.id).limit(100)))
            bind = session.bind
        async with bind.connect() as conn:
            for row in due:
                if not await self._claim(row.id, now, now):
                    continue  # another engine is sending it
                message = Outgoing(row.id, "center", row.district or None, "", TOPIC, row.text)
                error = await send_recorded(conn, HotspotWarning.__table__, row.id, self.gateway, message, now,
                                            retry_after=self.retry_after, timeout=self.send_timeout)
                if error is None:
                    result.sent += 1
                else:
                    result.failed += 1
                    log.warning("hotspots.gateway.down warning=%s error=%s (pending, retried later)", row.id, error)
                    break
        return result

    async def of_day(self, day: date) -> dict[tuple[str, str], HotspotWarning]:
        async with self._sessions() as session:
            rows = await session.scalars(select(HotspotWarning).where(HotspotWarning.day == day))
            return {(r.category, r.district): r for r in rows}
