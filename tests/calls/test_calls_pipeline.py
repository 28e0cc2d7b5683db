"""Tracker -> outbox -> CallLog on a real database that is unusable when the calls finish."""
from __future__ import annotations

import asyncio

from calls.codes import MissReason, Outcome
from calls.models import TABLES as CALL_TABLES
from calls.outbox import CallOutbox
from calls.tracker import CallTracker
from hotline.db import Base
from tests.calls.trace_feed import events, replay

TRACES = ("02b-ami-queue-caller-abandon", "02a-ami-call-ivr-queue-answered", "02c-ami-queue-empty-timeout",
          "10-ami-queue-waiting-prio")


async def test_given_the_database_is_down_when_calls_finish_then_all_are_stored_once_it_is_back(
        engine, call_log, clock):
    async with engine.begin() as conn:  # the call tables are gone: every write fails
        await conn.run_sync(lambda c: Base.metadata.drop_all(c, tables=list(CALL_TABLES)))
    delays = []

    async def sleep(delay: float) -> None:
        delays.append(delay)
        if len(delays) == 3:  # the database is back
            async with engine.begin() as conn:
                await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=list(CALL_TABLES)))
        await asyncio.sleep(0)

    outbox = CallOutbox(call_log.record, sleep=sleep)
    tracker = CallTracker(clock, outbox.put)
    outbox.start()
    for trace in TRACES:
        replay(events(trace), clock, tracker)
    async with asyncio.timeout(20):
        await outbox.drained()
    await outbox.close()
    assert outbox.failures == 3 and outbox.delivered == 7 and outbox.dropped == 0 and not outbox.rejected
    (pending,) = await call_log.list_missed()
    assert (pending.caller_name, pending.reason, pending.waited_seconds) == ("赵强", MissReason.ABANDONED, 12)
    # 张伟 (13800138000) missed twice, then got through in trace 10: both callbacks settled by the system
    settled = await call_log.list_missed(status="closed")
    assert sorted((r.line, r.reason) for r in settled) == [("12346", MissReason.ABANDONED),
                                                           ("12347", MissReason.TIMEOUT)]
    assert {r.handled_by for r in settled} == {"system"}
    history = await call_log.caller_history("13800138000")
    assert [c.outcome for c in history.calls] == [Outcome.ANSWERED, Outcome.TIMEOUT, Outcome.ANSWERED,
                                                  Outcome.ABANDONED]
