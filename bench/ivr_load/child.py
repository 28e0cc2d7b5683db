"""What both measured children share: per-command timing, and a JSON-lines control loop on stdin.

The orchestrator asks `stats` before and after the load; CPU is `time.process_time()` (all
threads of the child, so aiosqlite's worker thread counts), peak RSS is `ru_maxrss`.
"""
from __future__ import annotations

import asyncio
import logging
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil


@dataclass
class CallRecord:
    """One FastAGI session as the responder saw it (seconds, from time.perf_counter())."""

    line: str
    started: float
    ended: float = 0.0
    commands: list[str] = field(default_factory=list)
    rtt: list[float] = field(default_factory=list)    # command written -> reply read
    think: list[float] = field(default_factory=list)  # previous reply (or env) -> next command written
    hung_up: bool = False
    error: str = ""

    @property
    def kind(self) -> str:
        return "intake" if any(c.startswith("RECORD FILE") for c in self.commands) else "direct"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[CallRecord] = []

    def begin(self, line: str) -> CallRecord:
        record = CallRecord(line, time.perf_counter())
        self.calls.append(record)
        return record

    def reset(self) -> None:
        self.calls = []

    def dump(self) -> list[dict]:
        return [asdict(c) | {"kind": c.kind} for c in self.calls]


class TimedSession:
    """Wraps an `ivr.fastagi.AgiSession`: times each `run(command)`, delegates everything else."""

    def __init__(self, session: Any, record: CallRecord) -> None:
        self._session = session
        self._record = record
        self._last = record.started
        self.env = session.env

    async def run(self, command: Any) -> Any:
        sent = time.perf_counter()
        self._record.think.append(sent - self._last)
        try:
            return await self._session.run(command)
        finally:
            self._last = time.perf_counter()
            self._record.rtt.append(self._last - sent)
            self._record.commands.append(command.line.decode("utf-8", "replace").rstrip("\n"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def usage(extra: dict | None = None) -> dict:
    me = psutil.Process()
    tasks = len(asyncio.all_tasks()) - 1  # minus the control loop's own task
    return {"cpu": time.process_time(), "rss": me.memory_info().rss,
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "tasks": tasks,
            "threads": me.num_threads()} | (extra or {})


def say(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def read_message() -> dict | None:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return json.loads(line) if line.strip() else None


async def nothing_to_settle() -> dict:
    return {"settled": True}


async def control_loop(recorder: Recorder, status: Callable[[], Awaitable[dict]],
                       settle: Callable[[], Awaitable[dict]] = nothing_to_settle) -> None:
    """Answer `stats`, `settle` (finish work the calls left behind), `reset`, `dump` until `quit` or EOF."""
    while (message := await read_message()) is not None:
        op = message.get("op")
        if op == "quit":
            return
        if op == "stats":
            say(usage(await status()))
        elif op == "settle":
            say(await settle())
        elif op == "reset":
            recorder.reset()
            say({"ok": True})
        elif op == "dump":
            say({"calls": recorder.dump()})
        else:
            say({"error": f"unknown op {op!r}"})


def run_child(main, args) -> None:
    """Run a child's `main(args)` under asyncio, profiled into `args.profile` when given."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if getattr(args, "profile", None) is None:
        asyncio.run(main(args))
        return
    import cProfile

    profiler = cProfile.Profile()
    try:
        profiler.runcall(asyncio.run, main(args))
    finally:
        profiler.dump_stats(args.profile)
