"""Catching up from a queue_log source (queuelog/sources.py: the file or the realtime table): read from the saved position, reduce, hand settled calls
to the sink, save the new position. Run it on start, on every AMI (re)connect and periodically;
runs never overlap.

The saved position is where a restart must read again from: the first line of the oldest call
not yet handed to the sink (`QueueLogReducer.safe_offset`), so a kill between a read and the
sink loses nothing; calls handed out twice are reconciled idempotently by the sink.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from queuelog.records import QueueLogRecord
from queuelog.reducer import CallOutcome, QueueLogReducer
from queuelog.sources import Batch
from queuelog.tail import TailPosition

log = logging.getLogger(__name__)

Sink = Callable[[list[CallOutcome]], Awaitable["set[str] | None"]]
"""Takes settled calls; returns the callids it took (None: all). The others come again next run."""

LinesSink = Callable[[list[QueueLogRecord]], Awaitable[object]]
"""Takes every record read, before it is reduced (the agent lines are stored by it); if it fails, the
batch is read again next run."""


class Source(Protocol):
    name: str

    async def read(self, position: TailPosition | None) -> Batch: ...
    async def end(self) -> TailPosition | None: ...


class Positions(Protocol):
    async def load(self, source: str) -> TailPosition | None: ...
    async def save(self, source: str, position: TailPosition) -> None: ...


@dataclass
class CatchUpStats:
    lines: int = 0
    bad: int = 0
    handed: int = 0
    deferred: int = 0                # settled, but the sink left them for a later run
    rotated: bool = False
    truncated: bool = False
    seconds: float = 0.0


class QueueLogFollower:
    def __init__(self, source: str, reader: Source, positions: Positions, sink: Sink,
                 clock: Callable[[], datetime], *, reducer: QueueLogReducer | None = None,
                 start_at_end: bool = True, retry_seconds: float = 1.0, lines_sink: LinesSink | None = None) -> None:
        """`start_at_end`: with no saved position, begin at the end of the file (a fresh install
        does not replay months of history onto the callback list)."""
        self.source = source
        self.reader = reader
        self.positions = positions
        self.sink = sink
        self.clock = clock
        self.reducer = reducer or QueueLogReducer()
        self.start_at_end = start_at_end
        self.retry_seconds = retry_seconds
        self.lines_sink = lines_sink
        self.deferred = 0
        self._position: TailPosition | None = None
        self._read_from: TailPosition | None = None
        self._loaded = False
        self._lock = asyncio.Lock()
        self.runs = 0
        self.bad_lines = 0
        self.last_error: BaseException | None = None

    async def catch_up(self, reason: str = "") -> CatchUpStats:
        async with self._lock:
            started = time.process_time()
            stats = CatchUpStats()
            await self._load()
            while True:
                read = await self.reader.read(self._read_from)
                if read.missing:
                    break
                stats.rotated |= read.rotated
                stats.truncated |= read.truncated
                if read.rotated or read.truncated:
                    log.info("queuelog.reopened source=%s rotated=%s truncated=%s", self.source,
                             read.rotated, read.truncated)
                stats.lines += read.lines
                stats.bad += read.bad
                if read.bad:
                    log.warning("queuelog.bad_lines source=%s count=%d e.g. %s", self.source, read.bad,
                                "; ".join(read.bad_samples))
                if self.lines_sink is not None and read.records and not await self._store_lines(read.records):
                    stats.deferred += 1   # the database is away: this batch is read again (sooner) next run
                    break
                self.reducer.feed(read.records)
                self._read_from = read.position
                if not read.more:
                    break
            self.bad_lines += stats.bad
            handed, deferred = await self._hand_out()
            stats.handed, stats.deferred = handed, stats.deferred + deferred
            self.deferred = stats.deferred + self.reducer.settling()
            if self._read_from is not None:
                safe = TailPosition(self._read_from.inode, self.reducer.safe_offset(self._read_from.offset))
                if safe != self._position:
                    await self.positions.save(self.source, safe)
                    self._position = safe
            self.runs += 1
            stats.seconds = time.process_time() - started
            if stats.lines or stats.handed:
                log.info("queuelog.caught_up source=%s reason=%s lines=%d bad=%d calls=%d cpu=%.2fs",
                         self.source, reason, stats.lines, stats.bad, stats.handed, stats.seconds)
            return stats

    async def _load(self) -> None:
        if self._loaded:
            return
        saved = await self.positions.load(self.source)
        if saved is None and self.start_at_end:
            end = await self.reader.end()
            if end is not None:
                await self.positions.save(self.source, end)
            saved = end
        self._position = self._read_from = saved
        self._loaded = True

    async def _store_lines(self, records: list[QueueLogRecord]) -> bool:
        try:
            await self.lines_sink(records)
        except Exception as exc:  # noqa: BLE001 - the database may fail in any way: read again next run
            self.last_error = exc
            log.warning("queuelog.lines_sink_failed source=%s records=%d: %r", self.source, len(records), exc)
            return False
        return True

    async def _hand_out(self) -> tuple[int, int]:
        calls = self.reducer.settled(int(self.clock().timestamp()))
        if not calls:
            return 0, 0
        versions = {c.callid: c.version for c in calls}
        try:
            taken = await self.sink(calls)
        except Exception as exc:  # noqa: BLE001 - the database may fail in any way: try again next run
            self.last_error = exc
            log.warning("queuelog.sink_failed source=%s calls=%d: %r", self.source, len(calls), exc)
            return 0, len(calls)
        offered = len(calls)
        if taken is not None:  # the sink deferred some (the engine is still recording them): next run
            calls = [c for c in calls if c.callid in taken]
        self.reducer.handed(calls, versions)
        return len(calls), offered - len(calls)

    async def run_every(self, seconds: float) -> None:
        """The periodic catch-up (a task the engine owns); sooner while calls wait for a retry."""
        while True:
            await asyncio.sleep(min(seconds, self.retry_seconds) if self.deferred else seconds)
            try:
                await self.catch_up("periodic")
            except Exception as exc:  # noqa: BLE001 - keep following; the next run retries
                self.last_error = exc
                log.exception("queuelog.catch_up_failed source=%s", self.source)
