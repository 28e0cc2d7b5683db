"""The engine's view of its own health: capabilities register checks, one report combines them.

Each capability registers a named check when its resource starts (the database, each AMI
link, FastAGI, prompts, speech), so the engine hard-codes none of them. The overall status is
the worst check's: ok < degraded < down. Who sees what is the views' business
(`agent_console/views/health.py`): the public answer is the status alone, the details are
for signed-in staff (issue 11.7).
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "degraded", "down"]
ORDER: dict[str, int] = {"ok": 0, "degraded": 1, "down": 2}

log = logging.getLogger("hotline.health")


@dataclass(frozen=True, slots=True)
class Check:
    status: Status
    detail: dict[str, Any] = field(default_factory=dict)


CheckFn = Callable[[], Check | Awaitable[Check]]


@dataclass(frozen=True, slots=True)
class Report:
    status: Status
    checks: dict[str, Check]

    def details(self) -> dict[str, Any]:
        return {"status": self.status,
                "checks": {name: {"status": c.status, **c.detail} for name, c in self.checks.items()}}


def worst(statuses) -> Status:
    return max(statuses, key=ORDER.__getitem__, default="ok")


class HealthChecks:
    """The registry. A check that raises or overruns `timeout` counts as down (with why), never 500."""

    def __init__(self, timeout: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._checks: dict[str, CheckFn] = {}
        self.timeout = timeout
        self._clock = clock
        self._recent: tuple[float, Report] | None = None
        self._running: asyncio.Future[Report] | None = None

    def register(self, name: str, check: CheckFn) -> None:
        if name in self._checks:
            raise ValueError(f"health check {name!r} is already registered")
        self._checks[name] = check

    def unregister(self, name: str) -> None:
        self._checks.pop(name, None)

    @property
    def names(self) -> list[str]:
        return sorted(self._checks)

    async def recent(self, max_age: float = 1.0) -> Report:
        """A report at most `max_age` old, probes arriving meanwhile sharing one run: a monitor (or a
        flood) polling the public /healthz costs the database one check per second, not one per request."""
        if self._recent is not None and self._clock() - self._recent[0] <= max_age:
            return self._recent[1]
        if self._running is None:
            self._running = asyncio.ensure_future(self.report())
            self._running.add_done_callback(self._done)
        return await asyncio.shield(self._running)

    def _done(self, run: asyncio.Future[Report]) -> None:
        self._running = None
        if not run.cancelled() and run.exception() is None:
            self._recent = (self._clock(), run.result())

    async def report(self) -> Report:
        names = self.names
        results = await asyncio.gather(*(self._run(self._checks[n]) for n in names))
        checks = dict(zip(names, results, strict=True))
        return Report(worst(c.status for c in checks.values()), checks)

    async def _run(self, check: CheckFn) -> Check:
        try:
            async with asyncio.timeout(self.timeout):
                result = check()
                if inspect.isawaitable(result):
                    result = await result
                return result
        except TimeoutError:
            return Check("down", {"error": f"no answer within {self.timeout} s"})
        except Exception as exc:  # a broken check must not hide the others
            log.warning("health check failed: %r", exc)
            return Check("down", {"error": type(exc).__name__})
