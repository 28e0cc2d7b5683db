"""Event fan-out: one bounded queue per subscriber, drained by its own task or callback.

An async subscriber gets its own task: one that awaits slow I/O never delays the reader or
the other subscribers. A synchronous subscriber's queue is drained by its own loop callback
(``call_soon``, scheduled when the queue becomes non-empty): the same isolation a task gives a
function that cannot await, without the cost of a task wake-up per read. When a queue is full the oldest
events are dropped and counted (``Subscription.dropped``). A subscriber's exception is logged,
counted and kept; it goes on receiving events. ``inline=True`` calls a tiny synchronous
handler straight from the reader (no queue; exceptions still isolated and recorded).
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hotline.ami.message import Message

CONTROL_EVENTS = frozenset({"AmiClientReady", "AmiClientDisconnected"})
"""Synthetic events (never sent by Asterisk) that reach every subscriber, whatever its filter."""

_BATCH = 512
_parse = Message._parse


@dataclass(frozen=True)
class SubscriberError:
    subscriber: str
    event: str | None
    server: str | None
    error: BaseException


class Subscription:
    """Handle returned by ``subscribe``; carries the subscriber's counters."""

    def __init__(self, handler: Callable, name: str, events: frozenset[str] | None, typed: bool,
                 maxsize: int, inline: bool) -> None:
        self.handler = handler
        self.name = name
        self.events = events
        self.typed = typed
        self.maxsize = maxsize
        self.inline = inline
        self.is_async = inspect.iscoroutinefunction(handler)
        self.delivered = 0
        self.dropped = 0
        self.errors = 0
        self.last_error: BaseException | None = None
        self.queue: deque[Message] = deque()
        self.spare: deque[Message] = deque()
        self.task: asyncio.Task | None = None
        self.handle: asyncio.Handle | None = None
        self.waiter: asyncio.Future | None = None
        self.drained: asyncio.Future | None = None

    def __repr__(self) -> str:
        return (f"<Subscription {self.name} delivered={self.delivered} dropped={self.dropped} "
                f"errors={self.errors} queued={len(self.queue)}>")


class EventFanout:
    """Delivers batches of event Messages to subscribers."""

    def __init__(self, convert: Callable[[Message], object] | None = None,
                 logger: logging.Logger | None = None, keep_errors: int = 100) -> None:
        self._subs: list[Subscription] = []
        self._convert = convert
        self._log = logger or logging.getLogger(__name__)
        self.subscriber_errors: deque[SubscriberError] = deque(maxlen=keep_errors)
        self._closed = False

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(self._subs)

    def subscribe(self, handler: Callable, *, events: Iterable[str] | None = None, name: str | None = None,
                  typed: bool = False, maxsize: int = 10_000, inline: bool = False) -> Subscription:
        """Register ``handler(event)`` (sync or async) for ``events`` (names; None = all).

        ``typed=True`` hands over typed dataclasses (hotline.ami.events) instead of Messages.
        """
        if self._closed:
            raise RuntimeError("fan-out closed")
        if inline and inspect.iscoroutinefunction(handler):
            raise ValueError("inline subscribers must be synchronous")
        wanted = None if events is None else frozenset(events) | CONTROL_EVENTS
        sub = Subscription(handler, name or getattr(handler, "__qualname__", repr(handler)), wanted,
                           typed, maxsize, inline)
        self._subs.append(sub)
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
        await self._stop(sub)

    def publish(self, batch: list[Message]) -> None:
        """Hand a batch to every subscriber; never blocks and never raises.

        Headers of lazily read messages are split here, once, and only for messages that
        at least one subscriber wants.
        """
        all_parsed = False
        parse = _parse
        for sub in self._subs:
            wanted = sub.events
            if wanted is None:
                items = batch
                if not all_parsed:
                    for msg in batch:
                        if msg._lazy:
                            parse(msg)
                    all_parsed = True
            else:
                items = [m for m in batch if m.event in wanted]
                if not items:
                    continue
                if not all_parsed:
                    for msg in items:
                        if msg._lazy:
                            parse(msg)
            if sub.inline:
                self._deliver(sub, items)
                continue
            queue = sub.queue
            queue.extend(items)
            over = len(queue) - sub.maxsize
            if over > 0:
                self._drop(sub, over)
            if not sub.is_async:
                if sub.handle is None:
                    sub.handle = asyncio.get_running_loop().call_soon(self._drain_sync, sub)
                continue
            if sub.task is None:
                sub.task = asyncio.get_running_loop().create_task(self._run(sub), name=f"ami-sub-{sub.name}")
            waiter = sub.waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def _drop(self, sub: Subscription, count: int) -> None:
        for _ in range(count):
            sub.queue.popleft()
        first = sub.dropped == 0
        sub.dropped += count
        if first or sub.dropped % 10_000 < count:
            self._log.warning("ami.fanout.overflow subscriber=%s dropped=%d (oldest first)", sub.name, sub.dropped)

    def _record(self, sub: Subscription, msg: Message, exc: Exception) -> None:
        sub.errors += 1
        sub.last_error = exc
        self.subscriber_errors.append(SubscriberError(sub.name, msg.event, msg.server, exc))
        if sub.errors <= 10 or sub.errors % 1000 == 0:
            self._log.error("ami.fanout.subscriber_error subscriber=%s event=%s errors=%d",
                            sub.name, msg.event, sub.errors, exc_info=exc)

    def _deliver(self, sub: Subscription, batch) -> None:
        """Call a synchronous handler for each message of a batch, isolating its exceptions."""
        handler = sub.handler
        if sub.typed and self._convert is not None:
            convert = self._convert
            for msg in batch:
                try:
                    handler(convert(msg))
                except Exception as exc:  # noqa: BLE001 - isolate subscribers from each other
                    self._record(sub, msg, exc)
        else:
            for msg in batch:
                try:
                    handler(msg)
                except Exception as exc:  # noqa: BLE001 - isolate subscribers from each other
                    self._record(sub, msg, exc)
        sub.delivered += len(batch)

    def _drain_sync(self, sub: Subscription) -> None:
        """Loop callback of a synchronous subscriber: up to _BATCH events, then yield to the loop."""
        sub.handle = None
        queue = sub.queue
        if len(queue) <= _BATCH:
            sub.queue = sub.spare
            self._deliver(sub, queue)
            queue.clear()
            sub.spare = queue
        else:
            self._deliver(sub, [queue.popleft() for _ in range(_BATCH)])
        if sub.queue:
            if sub.handle is None and not self._closed:
                sub.handle = asyncio.get_running_loop().call_soon(self._drain_sync, sub)
        elif sub.drained is not None and not sub.drained.done():
            sub.drained.set_result(None)

    async def _run(self, sub: Subscription) -> None:
        """Task of an async subscriber: one event at a time, so its queue bound stays exact."""
        loop = asyncio.get_running_loop()
        convert = self._convert if sub.typed else None
        handler = sub.handler
        while True:
            queue = sub.queue
            if not queue:
                drained = sub.drained
                if drained is not None and not drained.done():
                    drained.set_result(None)
                sub.waiter = loop.create_future()
                try:
                    await sub.waiter
                finally:
                    sub.waiter = None
                continue
            msg = queue.popleft()
            try:
                await handler(convert(msg) if convert else msg)
            except Exception as exc:  # noqa: BLE001 - isolate subscribers from each other
                self._record(sub, msg, exc)
            sub.delivered += 1

    async def drain(self) -> None:
        """Wait until every subscriber has handled everything queued so far."""
        for sub in list(self._subs):
            if sub.inline:
                continue
            busy = sub.handle is not None if not sub.is_async else (
                sub.task is not None and (bool(sub.queue) or sub.waiter is None))
            if busy:
                sub.drained = asyncio.get_running_loop().create_future()
                await sub.drained

    async def _stop(self, sub: Subscription) -> None:
        handle, sub.handle = sub.handle, None
        if handle is not None:
            handle.cancel()
        task, sub.task = sub.task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        """Stop every subscriber task and callback (queued events are discarded)."""
        self._closed = True
        subs, self._subs = self._subs, []
        for sub in subs:
            await self._stop(sub)
