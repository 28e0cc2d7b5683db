"""Recordings fixtures: the whole hotline (stand-in + engine) with recordings mounted, and the
catalogue tables on SQLite/PostgreSQL for the unit-level tests."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

import hotline.testing
from hotline.db import Base, make_engine, make_sessionmaker
from hotline.engine import build_app as engine_build_app
from recordings.context import RECORDINGS
from recordings.models import TABLES as RECORDING_TABLES
from recordings.settings import RecordingsSettings
from tickets import DeadlineRules, TicketService, WorkCalendar
from tickets.models import TABLES as TICKET_TABLES


class Clock:
    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 11, 22, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def sessions(database_url):
    tables = [*TICKET_TABLES, *RECORDING_TABLES]
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=tables))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=tables))
    yield make_sessionmaker(engine)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=tables))
    await engine.dispose()


@pytest.fixture
def tickets(sessions, clock):
    return TicketService(sessions, clock, WorkCalendar.shipped(), DeadlineRules.defaults())


def with_recordings(**overrides):
    """build_app with short recording timings and no background schedule."""
    def build_app(config, **kwargs):
        return engine_build_app(config, recordings_settings=RecordingsSettings.from_config(
            config, **{"settle_seconds": 0.05, "schedule": False, **overrides}), **kwargs)
    return build_app


@asynccontextmanager
async def recorded_hotline(tmp_path, monkeypatch, **overrides):
    monkeypatch.setattr(hotline.testing, "build_app", with_recordings(**overrides))
    async with hotline.testing.running_hotline(
            tmp_path, config={"recordings": {"directory": str(tmp_path / "recordings")}}) as running:
        yield running, running.app[RECORDINGS]


async def until(predicate, timeout: float = 10.0):
    """Poll an async or sync predicate until it holds (conditions on the database)."""
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(0.02)
