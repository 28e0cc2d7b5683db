"""督办 test helpers: ticket and supervision tables, a hand-driven clock, dispatched tickets."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hotline.db import Base, make_engine, make_sessionmaker
from supervision.models import TABLES as SUPERVISION_TABLES
from tickets import DeadlineRules, TicketService, WorkCalendar
from tickets.handling_models import TABLES as HANDLING_TABLES
from tickets.models import TABLES as TICKET_TABLES

TABLES = [*TICKET_TABLES, *HANDLING_TABLES, *SUPERVISION_TABLES]
START = datetime(2026, 10, 13, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Shanghai, a working day


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


async def fresh_tables(url: str):
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TABLES))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=TABLES))
    return engine


def ticket_service(engine, clock) -> TicketService:
    return TicketService(make_sessionmaker(engine), clock, WorkCalendar.shipped(), DeadlineRules.defaults())


async def dispatched(tickets: TicketService, dept: str = "cgj", content: str = "占道经营，堵塞人行道",
                     urgency: str = "utilities") -> str:
    """A ticket dispatched to `dept`; urgency 水电气暖 signs within 30 minutes (yellow at 24)."""
    draft = await tickets.create_draft(actor="agent01", caller="13800138000", content=content)
    await tickets.register(draft.number, "agent01", request_type="complaint", content=content, urgency=urgency)
    await tickets.dispatch(draft.number, dept, [], "agent01")
    return draft.number
