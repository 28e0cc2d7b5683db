"""The group-commit writer on its own, with a store that records its batches: what is queued while a batch
commits goes in the next one, a batch never exceeds its size, a full queue is refused at once, and stopping
stores and answers everything queued (shutdown leaves no citizen waiting)."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from channels.ratelimit import Busy
from channels.web.intake_writer import IntakeUnavailable, IntakeWriter, Queued


class RecordingStore:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.next = 0

    async def write(self, items, now):
        await self.gate.wait()
        self.batches.append([i.fields["content"] for i in items])
        out = []
        for _ in items:
            self.next += 1
            out.append((f"20261203{self.next:06d}", f"CODE{self.next}"))
        return out


def item(text: str) -> Queued:
    return Queued({"content": text}, None)


def clock() -> datetime:
    return datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


async def test_given_a_batch_committing_when_more_arrive_then_they_go_together_in_the_next_batch_of_bounded_size():
    store = RecordingStore()
    writer = IntakeWriter(store, clock, max_items=3, linger=0)
    writer.start()
    store.gate.clear()
    first = asyncio.create_task(writer.submit(item("a")))
    async with asyncio.timeout(5):
        while writer._batch == []:  # noqa: SLF001 - the first batch is committing (held at the gate)
            await asyncio.sleep(0)
    rest = [asyncio.create_task(writer.submit(item(t))) for t in "bcdef"]
    await asyncio.sleep(0)
    store.gate.set()
    answers = await asyncio.gather(first, *rest)
    assert store.batches == [["a"], ["b", "c", "d"], ["e", "f"]]
    assert len({number for number, _ in answers}) == 6
    await writer.stop()


async def test_given_a_full_queue_when_another_submits_then_busy_at_once_and_stop_answers_the_queued():
    store = RecordingStore()
    writer = IntakeWriter(store, clock, max_items=10, linger=0, max_queued=2)
    writer.start()
    store.gate.clear()
    held = asyncio.create_task(writer.submit(item("a")))
    async with asyncio.timeout(5):
        while writer._batch == []:  # noqa: SLF001
            await asyncio.sleep(0)
    queued = [asyncio.create_task(writer.submit(item(t))) for t in "bc"]
    await asyncio.sleep(0)
    with pytest.raises(Busy):
        await writer.submit(item("d"))
    stopping = asyncio.create_task(writer.stop())
    store.gate.set()
    async with asyncio.timeout(5):
        await stopping
    assert [a[0] for a in await asyncio.gather(held, *queued)] == ["20261203000001", "20261203000002",
                                                                   "20261203000003"]
    with pytest.raises(IntakeUnavailable):
        await writer.submit(item("e"))


async def test_given_a_database_that_stalls_when_citizens_submit_then_503_within_the_timeout_and_at_once_after():
    store = RecordingStore()
    store.gate.clear()  # the database never answers
    now = [0.0]
    writer = IntakeWriter(store, clock, linger=0, timeout=0.2, cooldown=1.0, monotonic=lambda: now[0])
    writer.start()
    began = asyncio.get_running_loop().time()
    results = await asyncio.gather(*(writer.submit(item(t)) for t in "abc"), return_exceptions=True)
    assert all(isinstance(r, IntakeUnavailable) for r in results)
    assert asyncio.get_running_loop().time() - began < 2.0, "answered by the batch timeout, not by the database"
    with pytest.raises(IntakeUnavailable):  # within the cooldown: refused without waiting at all
        async with asyncio.timeout(0.05):
            await writer.submit(item("d"))
    store.gate.set()
    now[0] += 1.5
    assert (await writer.submit(item("e")))[0] == "20261203000001", "nothing of the failed batch was kept"
    await writer.stop()
