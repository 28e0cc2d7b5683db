"""Coarse connection deadlines, checked by one periodic sweep instead of a loop timer per command.

`asyncio.timeout()` pushes and cancels a heap entry per command; with 1000 calls that heap
work was a visible share of server CPU. AGI limits are seconds, so checking every
`interval` is precise enough, and arming a deadline is one attribute store on the watched
object (`item.deadline = deadlines.clock() + limit_s`).
"""
from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Protocol


class Expirable(Protocol):
    deadline: float

    def expire(self) -> None: ...


class Deadlines:
    def __init__(self, interval: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._watched: set[Expirable] = set()

    def watch(self, item: Expirable) -> None:
        self._watched.add(item)

    def unwatch(self, item: Expirable) -> None:
        self._watched.discard(item)

    def __len__(self) -> int:
        return len(self._watched)

    def expire_due(self) -> int:
        """Call `expire()` once on every watched item whose deadline has passed; disarms it."""
        now = self.clock()
        due = [item for item in self._watched if item.deadline <= now]
        for item in due:
            item.deadline = math.inf
            item.expire()
        return len(due)

    async def run(self, sleep: Callable[[float], object] = asyncio.sleep) -> None:
        """Sweep forever; cancel the task to stop."""
        while True:
            await sleep(self.interval)  # type: ignore[misc]
            self.expire_due()
