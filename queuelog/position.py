"""The saved position of a queue_log source in the database: it survives an engine kill."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from queuelog.models import QueueLogPosition
from queuelog.tail import TailPosition


class PositionStore:
    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessions = sessionmaker
        self._clock = clock

    async def load(self, source: str) -> TailPosition | None:
        async with self._sessions() as session:
            row = await session.get(QueueLogPosition, source)
            return None if row is None else TailPosition(row.inode, row.offset)

    async def save(self, source: str, position: TailPosition) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(QueueLogPosition, source)
            if row is None:
                session.add(QueueLogPosition(source=source, inode=position.inode, offset=position.offset,
                                             updated_at=self._clock()))
            else:
                row.inode, row.offset, row.updated_at = position.inode, position.offset, self._clock()
