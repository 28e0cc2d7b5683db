"""Event fan-out: one bounded queue and one task per subscriber.

A subscriber that awaits slow I/O never delays the reader or the other subscribers; when
its queue is full the oldest events are dropped and counted (``Subscription.dropped``).
A subscriber's exception is logged, counted and kept; it goes on receiving events.
``inline=True`` is the fast path for tiny synchronous handlers: called from the reader,
no queue, no task (an exception is still isolated and recorded).
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

_YIELD_EVERY = 256


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
        self.task: asyncio.Task | None = None
        self.waiter: asyncio.Future | None = None
        self.idle = asyncio.Event()
        self.idle.set()

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
        """Hand a batch to every subscriber; never blocks and never raises."""
        for sub in self._subs:
            wanted = sub.events
            items = batch if wanted is None else [m for m in batch if m.event in wanted]
            if not items:
                continue
            if sub.inline:
                self._run_inline(sub, items)
                continue
            queue = sub.queue
            queue.extend(items)
            over = len(queue) - sub.maxsize
            if over > 0:
                self._drop(sub, over)
            if sub.task is None:
                sub.task = asyncio.get_running_loop().create_task(self._run(sub), name=f"ami-sub-{sub.name}")
            sub.idle.clear()
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

    def _item(self, sub: Subscription, msg: Message) -> object:
        if sub.typed and self._convert is not None:
            return self._convert(msg)
        return msg

    def _run_inline(self, sub: Subscription, items: list[Message]) -> None:
        handler = sub.handler
        for msg in items:
            try:
                handler(self._item(sub, msg) if sub.typed else msg)
            except Exception as exc:  # noqa: BLE001 - isolate subscribers from each other
                self._record(sub, msg, exc)
        sub.delivered += len(items)

    async def _run(self, sub: Subscription) -> None:
        queue = sub.queue
        handler = sub.handler
        loop = asyncio.get_running_loop()
        typed = sub.typed
        is_async = sub.is_async
        done = 0
        while True:
            if not queue:
                sub.delivered += done
                done = 0
                sub.idle.set()
                sub.waiter = loop.create_future()
                try:
                    await sub.waiter
                finally:
                    sub.waiter = None
                continue
            msg = queue.popleft()
            done += 1
            try:
                if is_async:
                    await handler(self._item(sub, msg) if typed else msg)
                else:
                    handler(self._item(sub, msg) if typed else msg)
            except Exception as exc:  # noqa: BLE001 - isolate subscribers from each other
                self._record(sub, msg, exc)
            if done >= _YIELD_EVERY:
                sub.delivered += done
                done = 0
                await asyncio.sleep(0)

    async def drain(self) -> None:
        """Wait until every subscriber has handled everything queued so far."""
        for sub in list(self._subs):
            if not sub.inline:
                await sub.idle.wait()

    async def _stop(self, sub: Subscription) -> None:
        task, sub.task = sub.task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        """Stop every subscriber task (queued events are discarded)."""
        self._closed = True
        subs, self._subs = self._subs, []
        for sub in subs:
            await self._stop(sub)
