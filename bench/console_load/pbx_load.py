"""The Asterisk side, in the orchestrator's process: Beijing-scale traffic on the stand-in, and the
timestamp of every agent event at the moment the stand-in emits it.

The stand-in runs in real time (time_scale 1): the AMI event rate the console sees is the real
one. To reach ~750 busy seats without waiting four simulated minutes, `fill` calls are placed
in a ramp first (not measured); with exponential talk times the busy count then stays near
rate × talk (memoryless: the ramp's calls end at the steady-state rate).
"""
from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict

from asterisk_standin.people import CallOutcome, Citizen
from asterisk_standin.standin import Standin

from .latency import EXPECT

SURNAMES = "张王李赵刘陈杨黄周吴"


class Traffic:
    def __init__(self, standin: Standin, seed: int) -> None:
        self.pbx = standin.pbx
        self.rng = random.Random(seed)
        self.by_iface: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self.called: dict[str, list[tuple[float, str]]] = defaultdict(list)  # iface -> (t, Linkedid) of AgentCalled
        self.events = 0
        self.names: Counter = Counter()
        self.busy = 0
        self.placed = 0
        self.outcomes: list[CallOutcome] = []
        self._task: asyncio.Task | None = None
        self._target: int | None = None
        self._reached = asyncio.Event()
        self.pbx.add_listener(self.on_event)

    def on_event(self, event: str, msg: list) -> None:
        self.events += 1
        self.names[event] += 1
        if event in EXPECT:
            iface = next((v for k, v in msg if k == "Interface"), None)
            if iface is not None:
                now = time.monotonic()
                self.by_iface[iface].append((now, event))
                if event == "AgentCalled":
                    self.called[iface].append((now, next((v for k, v in msg if k == "Linkedid"), "")))
            if event == "AgentConnect":
                self.busy += 1
                if self._target is not None and self.busy >= self._target:
                    self._reached.set()
            elif event == "AgentComplete":
                self.busy -= 1

    def place_one(self) -> None:
        self.placed += 1
        name = self.rng.choice(SURNAMES) + self.rng.choice(("先生", "女士"))
        citizen = Citizen(f"13{self.rng.randint(100000000, 999999999)}", name, dialed="12345", context="from-trunk")
        outcome = citizen.place(self.pbx)
        if len(self.outcomes) > 4000:
            self.outcomes = [o for o in self.outcomes if not o.done.is_set()]
        self.outcomes.append(outcome)

    def start(self, fill: int, fill_seconds: float, rate: float) -> None:
        self._task = asyncio.create_task(self._run(fill, fill_seconds, rate), name="bench-console-traffic")

    async def _run(self, fill: int, fill_seconds: float, rate: float) -> None:
        started = time.monotonic()
        for i in range(fill):  # the ramp: evenly spread
            await asyncio.sleep(max(0.0, started + i * fill_seconds / max(fill, 1) - time.monotonic()))
            self.place_one()
        at = time.monotonic()
        while True:  # Poisson arrivals on an absolute schedule
            at += self.rng.expovariate(rate)
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            self.place_one()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def wait_busy(self, target: int, timeout: float) -> bool:
        self._target = target
        self._reached.clear()
        if self.busy < target:
            try:
                async with asyncio.timeout(timeout):
                    await self._reached.wait()
            except TimeoutError:
                pass
        return self.busy >= target

    async def stop(self, timeout: float = 20.0) -> int:
        """Stop placing calls and hang everything up; -> calls that did not end."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for chan in list(self.pbx.channels.values()):
            if chan.alive:
                self.pbx.request_hangup(chan, 16)
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*(o.done.wait() for o in self.outcomes))
        except TimeoutError:
            pass
        self.pbx.remove_listener(self.on_event)
        return sum(1 for o in self.outcomes if not o.done.is_set())
