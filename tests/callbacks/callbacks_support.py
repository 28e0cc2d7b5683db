"""回访 test helpers: a hand-set clock and a fresh ticket + callback store with the cgj department."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from callbacks.models import TABLES as CALLBACK_TABLES
from hotline.db import Base, make_engine, make_sessionmaker
from tickets import DeadlineRules, TicketService, WorkCalendar
from tickets.models import TABLES as TICKET_TABLES

TABLES = [*TICKET_TABLES, *CALLBACK_TABLES]


class Clock:
    now = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)

    def __call__(self):
        return self.now


@asynccontextmanager
async def fresh_store(database_url: str) -> AsyncIterator[tuple]:
    """(sessions, tickets, clock) over fresh tables, dropped afterwards."""
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TABLES))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=TABLES))
    clock = Clock()
    sessions = make_sessionmaker(engine)
    tickets = TicketService(sessions, clock, WorkCalendar.shipped(), DeadlineRules.defaults())
    await tickets.add_department("cgj", "城市管理局")
    try:
        yield sessions, tickets, clock
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TABLES))
        await engine.dispose()
