"""Two engines (two ticket services, two 督办 services, two connection pools) on one PostgreSQL:
every minute both run the pass; the advisory lock lets one sweep, and each reminder goes out once."""
from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from supervision_support import TABLES, dispatched, fresh_tables, ticket_service

from hotline.db import Base, make_sessionmaker
from supervision.gateway import LogGateway
from supervision.service import Settings, Supervision
from tickets.codes import Action

pytestmark = pytest.mark.postgres


class SlowGateway(LogGateway):
    """Holds the pass a little on every send, so the two engines' passes really overlap."""

    def __init__(self, outbox: list) -> None:
        super().__init__()
        self.outbox = outbox

    async def send(self, message) -> None:
        await asyncio.sleep(0.02)
        self.outbox.append(message)


async def test_given_two_engines_on_one_postgresql_then_each_mark_and_reminder_is_sent_once(pg_database_url, clock):
    engines = [await fresh_tables(pg_database_url), await fresh_tables(pg_database_url)]
    outbox: list = []
    try:
        services = [ticket_service(e, clock) for e in engines]
        sups = [Supervision(e, make_sessionmaker(e), t, clock, Settings(remind_every=timedelta(minutes=30),
                                                                         escalate_after=2), SlowGateway(outbox))
                for e, t in zip(engines, services, strict=True)]
        await services[0].add_department("cgj", "城市管理局")
        numbers = [await dispatched(services[i % 2], content=f"占道经营 {i}") for i in range(6)]
        await sups[1].issue_order(numbers[0], "请尽快签收", clock() + timedelta(minutes=10), "lead01")

        ran = []
        for step in (timedelta(minutes=25), timedelta(minutes=6), timedelta(minutes=30), timedelta(minutes=30),
                     timedelta(minutes=1)):
            clock.advance(seconds=step.total_seconds())
            results = await asyncio.gather(*(s.run_once() for s in sups))
            ran.append(sum(r.ran for r in results))
        assert ran[0] == 1 and ran[1] == 1  # overlapping passes: one engine swept, the other skipped

        assert len({m.notice_id for m in outbox}) == len(outbox)  # no notice sent twice
        sent = Counter((m.ticket, m.audience, m.topic) for m in outbox if m.topic in ("yellow", "red"))
        for number in numbers:
            for audience in ("department", "center"):
                assert sent[(number, audience, "yellow")] == 1 and sent[(number, audience, "red")] == 1
            history = await services[1].history(number)
            assert [e.detail["mark"] for e in history if e.action is Action.DEADLINE_MARK] == ["yellow", "red"]
        reminders = [m.text for m in outbox if m.topic == "remind"]
        assert [t.split("：")[0] for t in reminders] == ["督办单（第 1 次催办）", "督办单（第 2 次催办）", "督办单（第 3 次催办）"]
        assert [(m.ticket, m.audience) for m in outbox if m.topic == "escalate"] == [(numbers[0], "lead")]
        history = await services[0].history(numbers[0])
        assert [e.detail["reminders"] for e in history if e.action is Action.REMIND] == [1, 2, 3]
        assert sum(e.action is Action.ESCALATE for e in history) == 1
    finally:
        async with engines[0].begin() as conn:  # the session's PostgreSQL database is shared with other tests
            await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=TABLES))
        for e in engines:
            await e.dispose()
