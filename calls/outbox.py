"""CallOutbox: finished calls wait here until the call log has stored them.

The tracker must never block on the database, and a database that is down when a call ends
must not lose the call: records queue in memory (bounded) and one writer task delivers them in
order, retrying the head with capped exponential backoff until the sink accepts it. A record
the sink rejects as invalid (a `permanent` error) is set aside, not retried forever, so one bad
record cannot hold up the rest. When the buffer is full the oldest record is dropped from memory
and counted; size it for the longest outage to ride out (10 000 calls ≈ a few MB).

With a `spool` (calls/spool.py) every record is also on disk until stored, so a crash of the
engine loses none: the next start delivers what the last one left, first. Refused records become
dead letters there.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DataError

from calls.errors import InvalidCallField
from calls.finished import FinishedCall
from calls.spool import DiskSpool
from tickets.errors import InvalidField

log = logging.getLogger(__name__)

Sink = Callable[[FinishedCall], Awaitable[object]]


class CallOutbox:
    def __init__(self, sink: Sink, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 max_buffer: int = 10_000, backoff_initial: float = 0.5, backoff_max: float = 30.0,
                 permanent: tuple[type[BaseException], ...] = (InvalidCallField, InvalidField, ValueError, DataError),
                 keep_rejected: int = 100, spool: DiskSpool | None = None) -> None:
        if max_buffer < 1:
            raise ValueError("max_buffer must be at least 1")
        self._sink = sink
        self._sleep = sleep
        self._buffer: deque[tuple[FinishedCall, str | None]] = deque()  # record, its spool file
        self._spool = spool
        self._max = max_buffer
        self._initial = backoff_initial
        self._cap = backoff_max
        self._permanent = permanent
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        self.delivered = 0
        self.failures = 0
        self.dropped = 0
        self.rejected: deque[tuple[FinishedCall, BaseException]] = deque(maxlen=keep_rejected)
        self.last_error: BaseException | None = None

    def __len__(self) -> int:
        return len(self._buffer)

    def waiting_queue_ids(self) -> set[str]:
        """queue_log callids of the finished calls not stored yet."""
        return {r.queue_uniqueid for r, _ in self._buffer if r.queue_uniqueid}

    def put(self, record: FinishedCall) -> None:
        """Synchronous, never blocks on the database (the tracker calls it from an event handler)."""
        key = None
        if self._spool is not None:
            try:
                key = self._spool.write(record)
            except OSError as exc:
                log.error("calls.spool_write_failed linkedid=%s: %s (kept in memory only)", record.linkedid, exc)
        self._append(record, key)

    def _append(self, record: FinishedCall, key: str | None) -> None:
        if len(self._buffer) >= self._max:
            lost, _ = self._buffer.popleft()  # its spool file stays: the next start delivers it
            self.dropped += 1
            log.error("calls.outbox_full dropped linkedid=%s caller=%s", lost.linkedid, lost.caller_number)
        self._buffer.append((record, key))
        self._idle.clear()
        self._wake.set()

    @property
    def dead_letters(self) -> int:
        """Records refused for good, on disk for an operator (0 without a spool: see `rejected`)."""
        return self._spool.rejected_count() if self._spool is not None else len(self.rejected)

    def start(self) -> None:
        if self._spool is not None and self._task is None:
            left = self._spool.load()
            if left:
                log.warning("calls.spool_recovered count=%d: delivering what the last run left", len(left))
            for key, record in reversed(left):
                self._buffer.appendleft((record, key))
            if left:
                self._idle.clear()
                self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="calls-outbox")

    async def drained(self) -> None:
        """Wait until every record put so far has been delivered or set aside."""
        await self._idle.wait()

    async def close(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Try to deliver what is left within `timeout`, then stop; undelivered ones are logged."""
        if self._task is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await self.drained()
        except TimeoutError:
            log.error("calls.outbox_closed undelivered=%d", len(self._buffer))
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _run(self) -> None:
        while True:
            if not self._buffer:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            await self._deliver_head()

    async def _deliver_head(self) -> None:
        head = self._buffer[0]
        record, key = head
        attempt = 0
        while True:
            try:
                await self._sink(record)
            except self._permanent as exc:
                self.rejected.append((record, exc))
                log.error("calls.record_rejected linkedid=%s: %s", record.linkedid, exc)
                if self._spool is not None and key is not None:
                    self._spool.reject(key, repr(exc))
                break
            except Exception as exc:  # noqa: BLE001 - the database may fail in any way; keep the record
                self.failures += 1
                self.last_error = exc
                delay = min(self._cap, self._initial * (2 ** min(attempt, 30)))
                log.warning("calls.store_failed linkedid=%s attempt=%d retry_in=%.1fs: %r",
                            record.linkedid, attempt + 1, delay, exc)
                attempt += 1
                await self._sleep(delay)
                if not self._buffer or self._buffer[0] is not head:  # dropped while we waited
                    return
                continue
            self.delivered += 1
            if self._spool is not None and key is not None:
                self._spool.remove(key)
            break
        if self._buffer and self._buffer[0] is head:
            self._buffer.popleft()
