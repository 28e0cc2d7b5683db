"""Numbers read over the phone: per Asia/Shanghai day, contiguous, never duplicated."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from hotline.db import make_sessionmaker
from tickets import DeadlineRules, TicketService, WorkCalendar


async def test_given_clock_at_shanghai_midnight_when_creating_then_numbers_restart_for_new_day(
    service, clock
):
    clock.now = datetime(2026, 11, 22, 15, 59, 58, tzinfo=UTC)
    first = await service.create_draft()
    clock.now = datetime(2026, 11, 22, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai
    second = await service.create_draft()
    clock.now = datetime(2026, 11, 22, 16, 0, 0, tzinfo=UTC)  # 00:00:00 on 11-23 in Shanghai
    third = await service.create_draft()
    assert [first.number, second.number, third.number] == [
        "20261122000001", "20261122000002", "20261123000001"]


async def test_given_failed_creation_when_next_ticket_made_then_no_number_skipped(service):
    from tickets import InvalidField

    first = await service.create_draft()
    with pytest.raises(InvalidField):
        await service.create_draft(channel="fax")
    second = await service.create_draft()
    assert int(second.number) == int(first.number) + 1


@pytest.mark.postgres
async def test_given_200_concurrent_creations_on_postgres_then_numbers_distinct_and_contiguous(
    pg_database_url, clock
):
    await _concurrent_creations(pg_database_url, clock, 200)


async def test_given_50_concurrent_creations_on_sqlite_then_numbers_distinct_and_contiguous(
    tmp_path, clock
):
    await _concurrent_creations(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}", clock, 50)


async def _concurrent_creations(url, clock, count):
    from hotline.db import Base, make_engine
    from tickets.models import TABLES

    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(TABLES)))
            await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=list(TABLES)))
        service = TicketService(make_sessionmaker(engine), clock, WorkCalendar.shipped(),
                                DeadlineRules.defaults())
        async with asyncio.timeout(60), asyncio.TaskGroup() as group:
            tasks = [group.create_task(service.create_draft(caller=f"1380000{i:04d}")) for i in range(count)]
        made = [task.result() for task in tasks]
        numbers = sorted(int(t.number) for t in made)
        assert numbers == list(range(20260930000001, 20260930000001 + count))
        assert {t.caller for t in made} == {f"1380000{i:04d}" for i in range(count)}
        assert asyncio.all_tasks() == {asyncio.current_task()}
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(TABLES)))
    finally:
        await engine.dispose()


async def test_given_999999_tickets_today_when_one_more_then_typed_error_and_nothing_saved(service, sessions):
    from tickets.errors import NumberSpaceExhausted
    from tickets.models import TicketDayCounter

    async with sessions() as session, session.begin():
        session.add(TicketDayCounter(day="20260930", last=999_998))
    assert (await service.create_draft()).number == "20260930999999"
    with pytest.raises(NumberSpaceExhausted) as info:
        await service.create_draft()
    assert info.value.error_id == "ticket.number_exhausted"
    assert len(await service.search(number="20260930")) == 1
