"""Ticket-store fixtures: fresh tables per test (SQLite file or the shared PostgreSQL database),
a hand-driven clock, the shipped 2026 calendar and the default deadline rules."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline.db import Base, make_engine, make_sessionmaker
from tickets import DeadlineRules, TicketService, WorkCalendar
from tickets.handling_models import TABLES as HANDLING_TABLES
from tickets.models import TABLES as TICKET_TABLES

TABLES = [*TICKET_TABLES, *HANDLING_TABLES]  # the inbox reads 二级派单 and results under review

SHANGHAI = ZoneInfo("Asia/Shanghai")


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set_local(self, text: str) -> None:
        """'2026-09-30 09:00' as Asia/Shanghai wall clock."""
        self.now = datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def local():
    """local('2026-10-13 09:10') -> that Asia/Shanghai wall-clock instant, in UTC."""
    return _local


@pytest.fixture
async def engine(database_url):
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(TABLES)))
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=list(TABLES)))
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(TABLES)))
    await engine.dispose()


@pytest.fixture
def sessions(engine):
    return make_sessionmaker(engine)


@pytest.fixture
def clock():
    return FakeClock(_local("2026-09-30 09:00"))


@pytest.fixture
async def service(sessions, clock):
    svc = TicketService(sessions, clock, WorkCalendar.shipped(), DeadlineRules.defaults())
    await svc.add_department("scjgj", "市场监督管理局")
    await svc.add_department("zjj", "住房和城乡建设局")
    await svc.add_department("cgj", "城市管理局")
    return svc
