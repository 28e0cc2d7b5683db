"""The merged-hotline table as a small service: the IVR reads it, admins and the CLI edit it."""
from __future__ import annotations

import csv
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
    def __init__(self, sessions: async_sessionmaker):
        self._sessions = sessions

    async def list(self) -> list[LineInfo]:
        async with self._sessions() as session:
            rows = await session.scalars(select(HotlineLine).order_by(HotlineLine.number))
            return [_info(r) for r in rows]

    async def get(self, number: str) -> LineInfo | None:
        async with self._sessions() as session:
            row = await session.get(HotlineLine, number)
            return _info(row) if row else None

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
