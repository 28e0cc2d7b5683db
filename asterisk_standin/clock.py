"""Simulated clock: one simulated second lasts `time_scale` real seconds.

A scale of 1.0 is real time (demo); tests use e.g. 0.02 so a 15 s queue timeout takes 0.3 s.
All durations the stand-in reports (HoldTime, TalkTime, Wait…) are simulated seconds.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Clock:
    """Simulated epoch time = start epoch + elapsed real time / scale."""

    def __init__(
        self,
        time_scale: float = 1.0,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = time_scale
        self._monotonic = monotonic
        self._start_epoch = wall()
        self._start_mono = monotonic()

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self._start_epoch + (self._monotonic() - self._start_mono) / self.time_scale

    def real_seconds(self, sim_seconds: float) -> float:
        return max(0.0, sim_seconds) * self.time_scale

    async def sleep(self, sim_seconds: float) -> None:
        await asyncio.sleep(self.real_seconds(sim_seconds))

    def call_later(self, sim_seconds: float, callback: Callable[[], object]) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(self.real_seconds(sim_seconds), callback)
