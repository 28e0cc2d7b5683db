"""CallOutbox: finished calls survive a sink that fails for a while, in order, without stray tasks."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from calls.codes import Outcome
from calls.errors import InvalidCallField
from calls.finished import FinishedCall
from calls.outbox import CallOutbox

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def record(n: int) -> FinishedCall:
    return FinishedCall("pbx1", f"1795352725.{n}", Outcome.ABANDONED, T0, T0, caller_number="13800138000")


class FlakySink:
    def __init__(self, failures: int = 0, bad: set[str] = frozenset()) -> None:
        self.failures = failures
        self.bad = bad
        self.stored: list[str] = []
        self.calls = 0

    async def __call__(self, rec: FinishedCall) -> None:
        self.calls += 1
        if rec.linkedid in self.bad:
            raise InvalidCallField("started_at", "bad")
        if self.failures:
            self.failures -= 1
            raise ConnectionRefusedError("database down")
        self.stored.append(rec.linkedid)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


def _no_stray_tasks():
    return [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]


async def test_given_the_store_fails_then_recovers_then_every_record_is_stored_in_order():
    sink, sleeps = FlakySink(failures=4), Sleeps()
    outbox = CallOutbox(sink, sleep=sleeps, backoff_initial=0.5, backoff_max=3.0)
    outbox.start()
    for n in range(5):
        outbox.put(record(n))
    async with asyncio.timeout(5):
        await outbox.drained()
    assert sink.stored == [f"1795352725.{n}" for n in range(5)]
    assert sleeps.delays == [0.5, 1.0, 2.0, 3.0]        # exponential, capped
    assert (outbox.delivered, outbox.failures, outbox.dropped, len(outbox)) == (5, 4, 0, 0)
    assert isinstance(outbox.last_error, ConnectionRefusedError)
    await outbox.close()
    assert _no_stray_tasks() == []


async def test_given_records_put_before_start_then_delivered_once_started():
    sink = FlakySink()
    outbox = CallOutbox(sink)
    outbox.put(record(1))
    assert len(outbox) == 1 and sink.stored == []
    outbox.start()
    async with asyncio.timeout(5):
        await outbox.drained()
    assert sink.stored == ["1795352725.1"]
    await outbox.close()


async def test_given_a_record_the_store_rejects_as_invalid_then_it_is_set_aside_and_the_rest_go_through():
    sink = FlakySink(bad={"1795352725.1"})
    outbox = CallOutbox(sink, sleep=Sleeps())
    outbox.start()
    for n in range(3):
        outbox.put(record(n))
    async with asyncio.timeout(5):
        await outbox.drained()
    assert sink.stored == ["1795352725.0", "1795352725.2"]
    assert [r.linkedid for r, _ in outbox.rejected] == ["1795352725.1"]
    await outbox.close()


async def test_given_a_full_buffer_then_the_oldest_record_is_dropped_and_counted():
    outbox = CallOutbox(FlakySink(), max_buffer=2)
    for n in range(3):
        outbox.put(record(n))
    assert outbox.dropped == 1 and len(outbox) == 2


async def test_given_the_store_stays_down_when_closing_then_close_returns_and_stops_the_task():
    sink = FlakySink(failures=10**6)
    outbox = CallOutbox(sink, sleep=Sleeps())
    outbox.start()
    outbox.put(record(1))
    await outbox.close(timeout=0.05)
    assert len(outbox) == 1 and sink.stored == [] and sink.calls > 1
    assert _no_stray_tasks() == []


def test_given_a_zero_buffer_then_refused():
    with pytest.raises(ValueError):
        CallOutbox(FlakySink(), max_buffer=0)
