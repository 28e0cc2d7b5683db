"""CallOutbox: finished calls survive a sink that fails for a while, in order, without stray tasks."""
from __future__ import annotations

import asyncio
import json
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


async def _crash(outbox: CallOutbox) -> None:
    """kill -9: the writer stops where it is, nothing is flushed, the memory is gone."""
    outbox._task.cancel()
    await asyncio.gather(outbox._task, return_exceptions=True)


async def test_given_the_database_is_down_when_the_engine_is_killed_then_the_next_start_stores_every_call(tmp_path):
    """Issue 10.1: the outbox survives a crash: the records are on disk until the call log has them."""
    from calls.spool import DiskSpool

    down = FlakySink(failures=10**6)
    first = CallOutbox(down, sleep=Sleeps(), spool=DiskSpool(tmp_path / "outbox"))
    first.start()
    for n in range(5):
        first.put(record(n))
    async with asyncio.timeout(5):
        while down.calls < 3:
            await asyncio.sleep(0)
    await _crash(first)
    del first

    up = FlakySink()
    second = CallOutbox(up, sleep=Sleeps(), spool=DiskSpool(tmp_path / "outbox"))
    second.start()
    second.put(record(5))
    async with asyncio.timeout(5):
        await second.drained()
    assert up.stored == [f"1795352725.{n}" for n in range(6)]   # the old ones first, in order
    assert list((tmp_path / "outbox").glob("*.json")) == []
    await second.close()


async def test_given_a_record_the_database_refuses_for_good_then_it_is_a_dead_letter_on_disk_and_the_rest_flow(tmp_path):
    from calls.spool import DiskSpool, from_json

    sink = FlakySink(bad={"1795352725.1"})
    outbox = CallOutbox(sink, sleep=Sleeps(), spool=DiskSpool(tmp_path / "outbox"))
    outbox.start()
    for n in range(3):
        outbox.put(record(n))
    async with asyncio.timeout(5):
        await outbox.drained()
    assert sink.stored == ["1795352725.0", "1795352725.2"] and outbox.dead_letters == 1
    (letter,) = (tmp_path / "outbox" / "rejected").glob("*.json")
    assert from_json(json.loads(letter.read_text(encoding="utf-8"))) == record(1)
    await outbox.close()
