"""The stored agent lines of queue_log (queuelog/models.py QueueLogAgentLine): written by the
follower as it reads, read back for the per-agent figures. Writing the same line twice (a restart
re-reads from the oldest unsettled call, a rotated file's tail) stores it once: a line is keyed by its
text (two identical lines in the same second are one fact for these figures)."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from queuelog.agents import AGENT_EVENTS
from queuelog.models import QueueLogAgentLine
from queuelog.records import QueueLogRecord

_TABLE = QueueLogAgentLine.__table__


def _insert_ignoring_duplicates(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(_TABLE).on_conflict_do_nothing(index_elements=["source", "line_key"])


class AgentLineStore:
    def __init__(self, sessionmaker: async_sessionmaker) -> None:
        self._sessions = sessionmaker

    async def save(self, source: str, records: Sequence[QueueLogRecord]) -> int:
        """Store the agent lines among `records` (read from `source`); returns how many were offered."""
        rows = [_row(source, r) for r in records if r.event in AGENT_EVENTS]
        if not rows:
            return 0
        async with self._sessions() as session, session.begin():
            await session.execute(_insert_ignoring_duplicates(session.bind.dialect.name), rows)
        return len(rows)

    async def since(self, epoch: int) -> list[QueueLogRecord]:
        """The stored lines from `epoch` on, in log order."""
        return (await self.newer(epoch, 0))[0]

    async def newer(self, epoch: int, after_id: int) -> tuple[list[QueueLogRecord], int]:
        """The lines from `epoch` on stored after row `after_id` (in the order they were stored, which
        is log order per source), and the last row id: a reader that keeps its timeline reads only
        what is new."""
        t = QueueLogAgentLine
        async with self._sessions() as session:
            rows = (await session.execute(select(t.id, t.time, t.callid, t.queue, t.agent, t.event, t.data)
                                          .where(t.time >= epoch, t.id > after_id).order_by(t.id))).all()
        records = [QueueLogRecord(row.time, row.callid, row.queue, row.agent, row.event,
                                  tuple(row.data.split("|")) if row.data else ()) for row in rows]
        return records, (rows[-1].id if rows else after_id)


def _row(source: str, r: QueueLogRecord) -> dict:
    data = "|".join(r.data)
    text = "|".join((str(r.time), r.callid, r.queue, r.agent, r.event, data))
    return {"source": source, "line_key": hashlib.sha1(text.encode()).hexdigest(), "time": r.time,
            "callid": r.callid[:80], "queue": r.queue[:128], "agent": r.agent[:128], "event": r.event[:32],
            "data": data[:512]}
