"""The merged-hotline table as a small service: the IVR reads it, admins and the CLI edit it."""
from __future__ import annotations

import asyncio
import csv
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from queues.models import HotlineLine, MergeMode
from queues.render import validate_line
from queues.routing import LineInfo, parse_hours

SEED_CSV = Path(__file__).parents[1] / "hotline" / "data" / "merged-hotlines.csv"


def _info(row: HotlineLine) -> LineInfo:
    return LineInfo(number=row.number, name=row.name, mode=MergeMode(row.mode), queue=row.queue,
                    overflow_after=row.overflow_after, dial_target=row.dial_target, hours=row.hours,
                    enabled=row.enabled)


class LineService:
    """Every call looks its line up, so lines are cached: a burst of calls must not queue on the
    database (measured by bench/ivr). Saves through this service clear the cache at once; edits
    made by another engine instance show after `ttl` seconds."""

    def __init__(self, sessions: async_sessionmaker, *, ttl: float = 5.0,
                 monotonic: Callable[[], float] = time.monotonic):
        self._sessions = sessions
        self._ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[str, LineInfo] | None = None
        self._loaded_at = 0.0
        self._loading: asyncio.Lock | None = None

    async def _lines(self) -> dict[str, LineInfo]:
        if self._cache is not None and self._monotonic() - self._loaded_at < self._ttl:
            return self._cache
        self._loading = self._loading or asyncio.Lock()
        async with self._loading:  # one reload for a burst of calls, not one per call
            if self._cache is None or self._monotonic() - self._loaded_at >= self._ttl:
                async with self._sessions() as session:
                    rows = await session.scalars(select(HotlineLine).order_by(HotlineLine.number))
                    self._cache = {r.number: _info(r) for r in rows}
                self._loaded_at = self._monotonic()
            return self._cache

    def invalidate(self) -> None:
        self._cache = None

    async def list(self) -> list[LineInfo]:
        return list((await self._lines()).values())

    async def get(self, number: str) -> LineInfo | None:
        return (await self._lines()).get(number)

    async def save(self, line: LineInfo, department: str = "", note: str = "") -> LineInfo:
        validate_line(line)
        parse_hours(line.hours)
        async with self._sessions() as session, session.begin():
            row = await session.get(HotlineLine, line.number) or HotlineLine(number=line.number)
            row.name, row.mode, row.queue = line.name, line.mode.value, line.queue
            row.overflow_after, row.dial_target, row.hours, row.enabled = (
                line.overflow_after, line.dial_target, line.hours, line.enabled)
            row.department = department or row.department or ""
            row.note = note or row.note or ""
            session.add(row)
        self.invalidate()
        return line

    async def import_csv(self, path: Path = SEED_CSV) -> int:
        """Load rows shaped like demo-data/merged-hotlines.csv (number,name,department,example_mode,note)."""
        count = 0
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                mode = MergeMode.from_label(row["example_mode"])
                queue = {MergeMode.PARALLEL: f"line-{row['number']}",
                         MergeMode.SUBCENTER: f"subcenter-{row['number']}"}.get(mode)
                line = LineInfo(number=row["number"], name=row["name"], mode=mode, queue=queue)
                await self.save(line, department=row.get("department", ""), note=row.get("note", ""))
                count += 1
        return count
