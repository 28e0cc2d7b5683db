"""CallOutbox: finished calls wait here until the call log has stored them.

The tracker must never block on the database, and a database that is down when a call ends
must not lose the call: records queue in memory (bounded) and one writer task delivers them in
order, retrying the head with capped exponential backoff until the sink accepts it. A record
the sink rejects as invalid (a `permanent` error) is set aside, not retried forever, so one bad
record cannot hold up the rest. When the buffer is full the oldest record is dropped and
counted; size it for the longest outage to ride out (10 000 calls ≈ a few MB).
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from calls.errors import InvalidCallField
from calls.finished import FinishedCall
from tickets.errors import InvalidField

log = logging.getLogger(__name__)

Sink = Callable[[FinishedCall], Awaitable[object]]


class CallOutbox:
    def __init__(self, sink: Sink, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 max_buffer: int = 10_000, backoff_initial: float = 0.5, backoff_max: float = 30.0,
                 permanent: tuple[type[BaseException], ...] = (InvalidCallField, InvalidField, ValueError),
                 keep_rejected: int = 100) -> None:
        if max_buffer < 1:
            raise ValueError("max_buffer must be at least 1")
        self._sink = sink
        self._sleep = sleep
        self._buffer: deque[FinishedCall] = deque()
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

    def put(self, record: FinishedCall) -> None:
        """Synchronous, never blocks (the tracker calls it from an event handler)."""
        if len(self._buffer) >= self._max:
            lost = self._buffer.popleft()
            self.dropped += 1
            log.error("calls.outbox_full dropped linkedid=%s caller=%s", lost.linkedid, lost.caller_number)
        self._buffer.append(record)
        self._idle.clear()
        self._wake.set()

    def start(self) -> None:
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
        record = self._buffer[0]
        attempt = 0
        while True:
            try:
                await self._sink(record)
            except self._permanent as exc:
                self.rejected.append((record, exc))
                log.error("calls.record_rejected linkedid=%s: %s", record.linkedid, exc)
                break
            except Exception as exc:  # noqa: BLE001 - the database may fail in any way; keep the record
                self.failures += 1
                self.last_error = exc
                delay = min(self._cap, self._initial * (2 ** min(attempt, 30)))
                log.warning("calls.store_failed linkedid=%s attempt=%d retry_in=%.1fs: %r",
                            record.linkedid, attempt + 1, delay, exc)
                attempt += 1
                await self._sleep(delay)
                if not self._buffer or self._buffer[0] is not record:  # dropped while we waited
                    return
                continue
            self.delivered += 1
            break
        if self._buffer and self._buffer[0] is record:
            self._buffer.popleft()
