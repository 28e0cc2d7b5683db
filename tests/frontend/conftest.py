"""Front-end fixtures: the real ticket store on SQLite (or PostgreSQL via `database_url`)."""
from __future__ import annotations

import asyncio

import pytest

from hotline.db import Base, make_engine, make_sessionmaker
from tickets import DeadlineRules, TicketService, WorkCalendar
from tickets.models import TABLES

from frontend_support import NOW


async def _ticket_service(url: str):
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(TABLES)))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=list(TABLES)))
    return engine, TicketService(make_sessionmaker(engine), lambda: NOW, WorkCalendar.shipped(),
                                 DeadlineRules.defaults())


@pytest.fixture
async def ticket_service(tmp_path):
    """The real TicketService on a fresh SQLite file."""
    engine, service = await _ticket_service(f"sqlite+aiosqlite:///{tmp_path / 'tickets.db'}")
    yield service
    await engine.dispose()


@pytest.fixture
async def ticket_service_any_db(database_url):
    """The real TicketService, once on SQLite and once on PostgreSQL."""
    engine, service = await _ticket_service(database_url)
    yield service
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(TABLES)))
    await engine.dispose()


@pytest.fixture
async def no_stray_tasks():
    yield
    stray = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert stray == [], stray
