"""Retention: delete recording files past their keeping time, never while their ticket is open.

Keeping time is per line (`by_line`, days), with its own figure for confidential tickets
(`confidential_days`, None: the line's). The pass is driven by catalogue rows and idempotent,
so a restart only re-runs it; each pass leaves a `recording_retention_run` row, which is how
the scheduler knows at start-up whether a pass is overdue. Deleting keeps the row (state
`deleted`) and logs it; a ticket that cannot be read keeps its recordings.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .catalogue import Catalogue, RecordingView
from .integrity import verify
from .models import RetentionRun, State
from .naming import is_inside

log = logging.getLogger(__name__)
CLOSED = "closed"


@dataclass(frozen=True)
class RetentionPolicy:
    default_days: int = 180
    by_line: Mapping[str, int] = field(default_factory=dict)
    confidential_days: int | None = None

    def __post_init__(self) -> None:
        days = [self.default_days, *self.by_line.values()]
        if self.confidential_days is not None:
            days.append(self.confidential_days)
        if any(not isinstance(d, int) or d < 1 for d in days):
            raise ValueError(f"retention days {days}: expected whole days >= 1")

    def days_for(self, line: str | None, confidential: bool) -> int:
        if confidential and self.confidential_days is not None:
            return self.confidential_days
        return self.by_line.get(line or "", self.default_days)

    @property
    def shortest(self) -> int:
        return min(self.default_days, *self.by_line.values(), self.confidential_days or self.default_days)


@dataclass
class RunResult:
    examined: int = 0
    deleted: int = 0
    kept_open_ticket: int = 0
    flagged: int = 0
    errors: int = 0


class Retention:
    def __init__(self, sessions: async_sessionmaker, catalogue: Catalogue, tickets, policy: RetentionPolicy,
                 root: Path, clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._catalogue = catalogue
        self._tickets = tickets
        self.policy = policy
        self._root = root
        self._clock = clock
        self._lock = asyncio.Lock()

    async def last_run(self) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(select(RetentionRun.finished_at).where(RetentionRun.finished_at.is_not(None))
                                        .order_by(RetentionRun.finished_at.desc()).limit(1))

    async def run_once(self) -> RunResult:
        async with self._lock:
            return await self._run()

    async def _run(self) -> RunResult:
        now = self._clock()
        run = RetentionRun(started_at=now)
        async with self._sessions() as session, session.begin():
            session.add(run)
        result = RunResult()
        cutoff = now - timedelta(days=self.policy.shortest)
        after = 0
        while batch := await self._catalogue.older_than(cutoff, (State.COMPLETE, State.MISSING, State.DAMAGED),
                                                        after_id=after):
            for view in batch:
                after = view.id
                result.examined += 1
                try:
                    await self._consider(view, now, result)
                except Exception:  # noqa: BLE001 - one bad row must not stop the pass
                    result.errors += 1
                    log.exception("recordings.retention.failed id=%s", view.id)
        async with self._sessions() as session, session.begin():
            row = await session.get(RetentionRun, run.id)
            row.finished_at = self._clock()
            row.examined, row.deleted, row.kept_open_ticket = result.examined, result.deleted, result.kept_open_ticket
            row.flagged, row.errors = result.flagged, result.errors
        log.info("recordings.retention.done examined=%d deleted=%d kept_open_ticket=%d flagged=%d errors=%d",
                 result.examined, result.deleted, result.kept_open_ticket, result.flagged, result.errors)
        return result

    async def _consider(self, view: RecordingView, now: datetime, result: RunResult) -> None:
        confidential, open_ticket = False, False
        if view.ticket_number:
            from tickets.errors import TicketNotFound

            try:
                ticket = await self._tickets.get(view.ticket_number)
            except TicketNotFound:
                log.warning("recordings.retention.kept id=%s ticket=%s: ticket not found, kept", view.id,
                            view.ticket_number)
                result.kept_open_ticket += 1
                return
            confidential = bool(ticket.confidential)
            open_ticket = getattr(ticket.status, "value", ticket.status) != CLOSED
        days = self.policy.days_for(view.line, confidential)
        if view.started_at > now - timedelta(days=days):
            return
        if open_ticket:
            result.kept_open_ticket += 1
            log.info("recordings.retention.kept id=%s ticket=%s: ticket still open", view.id, view.ticket_number)
            return
        path = Path(view.file_path)
        if not is_inside(self._root, path):
            result.flagged += 1
            await verify(self._catalogue, view, self._root)
            return
        await asyncio.to_thread(path.unlink, missing_ok=True)
        await self._catalogue.mark_deleted(view.id, now)
        result.deleted += 1
        log.info("recordings.retention.deleted id=%s linkedid=%s line=%s ticket=%s started=%s days=%d file=%s",
                 view.id, view.linkedid, view.line, view.ticket_number, view.started_at.isoformat(), days,
                 view.file_path)

    async def sweep(self, limit: int = 5000) -> int:
        """Quick integrity pass over finished recordings; returns how many are flagged now."""
        flagged = 0
        for view in await self._catalogue.older_than(self._clock(), (State.COMPLETE,), limit=limit):
            if (await verify(self._catalogue, view, self._root)).state is not State.COMPLETE:
                flagged += 1
        return flagged
