"""Call-log fixtures: call + ticket tables on SQLite and PostgreSQL, a hand clock, the services."""
from __future__ import annotations

import pytest

from calls.models import TABLES as CALL_TABLES
from calls.service import CallLog
from hotline.db import Base, make_engine, make_sessionmaker
from tests.calls.trace_feed import Clock
from tickets import DeadlineRules, TicketService, WorkCalendar
from tickets.models import TABLES as TICKET_TABLES

TABLES = [*TICKET_TABLES, *CALL_TABLES]


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def engine(database_url):
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TABLES))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=TABLES))
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TABLES))
    await engine.dispose()


@pytest.fixture
def sessions(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def tickets(sessions, clock):
    return TicketService(sessions, clock, WorkCalendar.shipped(), DeadlineRules.defaults())


@pytest.fixture
def call_log(sessions, clock, tickets):
    return CallLog(sessions, clock, tickets)
