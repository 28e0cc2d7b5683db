"""Child process of bench/survey: the whole engine (DB, AMI client, FastAGI + `survey` route).

JSON lines on stdin/stdout: prints {"asterisk_dir"}, reads {"ami_port"}, starts the engine, files N
replied tickets (callers 1390000NNNN) and prints {"agi_port"}; then answers {"op": "tick"} (one survey
pass: {"dialed"}), {"op": "status"} ({"statuses", "results"}) and {"op": "quit"}.

    python -m bench._survey_engine --data-dir DIR --calls N [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web


class _Timed:
    """The engine's think time: from a reply read to the next command written (the first one excluded)."""

    def __init__(self, session, think: list[float]) -> None:
        self._session, self._think, self._last = session, think, None
        self.env = session.env

    async def run(self, command):
        import time

        if self._last is not None:
            self._think.append(time.perf_counter() - self._last)
        try:
            return await self._session.run(command)
        finally:
            self._last = time.perf_counter()

    def __getattr__(self, name):
        return getattr(self._session, name)


def say(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def read(reader: asyncio.StreamReader) -> dict:
    line = await reader.readline()
    return json.loads(line) if line else {"op": "quit"}


def config(data_dir: Path, database_url: str | None, ami_port: int, n: int):
    from hotline.config import load_config
    from hotline.demo import DEMO_AMI_SECRET

    overrides = {
        "engine": {"mode": "development", "data_dir": str(data_dir)},
        "ami": {"servers": [{"name": "standin", "host": "127.0.0.1", "port": ami_port, "secret": DEMO_AMI_SECRET}]},
        "agi": {"port": 0},
        "console": {"port": 0},
        "ivr": {"intake_dir": str(data_dir / "intake")},
        "survey": {"enabled": True, "tick_seconds": 3600, "due_after_minutes": 0, "max_concurrent": n,
                   "ring_seconds": 30, "dials_per_second": 50.0},
    }
    if database_url:
        overrides["database"] = {"url": database_url}
    return load_config(None, {}, overrides)


async def _stall_watch(stalls: list[tuple[float, float]], tick: float = 0.005) -> None:
    """The engine's event loop late by more than 10 ms: (late ms, CPU ms of the loop's thread, CPU ms of the
    whole process meanwhile). Little CPU in a long stall means the process was waiting for a core (machine
    load); process CPU near the stall means our other threads (database connections) held the GIL."""
    import time

    while True:
        wall, cpu, process = time.perf_counter(), time.thread_time(), time.process_time()
        await asyncio.sleep(tick)
        late = (time.perf_counter() - wall - tick) * 1000
        if late > 10:
            stalls.append((round(late, 1), round((time.thread_time() - cpu) * 1000, 1),
                           round((time.process_time() - process) * 1000, 1)))


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    from hotline import migrate
    from hotline.demo import prepare_asterisk_dir, seed
    from hotline.engine import ENGINE, build_app

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    cfg = config(args.data_dir, args.database_url, 5038, args.calls)
    await asyncio.to_thread(migrate.upgrade, cfg.database_url)
    runner = web.AppRunner(build_app(cfg, telephony=False), access_log=None)
    await runner.setup()
    try:
        lines = await seed(runner.app[ENGINE].services)
    finally:
        await runner.cleanup()
    asterisk_dir = await prepare_asterisk_dir(cfg, lines, args.data_dir / "asterisk", 4573)
    say({"asterisk_dir": str(asterisk_dir)})
    ami_port = (await read(reader))["ami_port"]
    cfg = config(args.data_dir, args.database_url, ami_port, args.calls)
    runner = web.AppRunner(build_app(cfg, freeze_heap=True), access_log=None)
    await runner.setup()
    try:
        engine = runner.app[ENGINE]
        for client in engine.ami.values():
            await client.wait_ready(20)
        tickets, service = engine.services["tickets"], engine.services["surveys"]
        tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
        at = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
        service.clock = lambda: at
        for i in range(args.calls):
            draft = await tickets.create_draft(actor="ivr", caller=f"1390000{i:04d}", line_dialed="12345",
                                               content=f"路灯不亮 {i}")
            await tickets.register(draft.number, "agent01", request_type="report", content=f"路灯不亮 {i}")
            await tickets.dispatch(draft.number, "scjgj", [], "agent01")
            await tickets.accept(draft.number, "scjgj", "dept01")
            await tickets.reply(draft.number, "已修复", "dept01", dept="scjgj", contact="电话")
        fastagi = engine.services["fastagi"]
        think: list[float] = []
        route = fastagi._routes["survey"]  # noqa: SLF001 - the bench times the mounted route

        async def timed(session) -> None:
            await route(_Timed(session, think))
        fastagi._routes["survey"] = timed  # noqa: SLF001
        stalls: list[tuple[float, float]] = []
        watch = asyncio.get_running_loop().create_task(_stall_watch(stalls), name="bench-stall-watch")
        say({"agi_port": fastagi.port})
        while True:
            message = await read(reader)
            if message.get("op") == "tick":
                say({"dialed": len(await service.tick())})
            elif message.get("op") == "think":
                say({"think_ms": [t * 1000 for t in think], "stalls": stalls})
            elif message.get("op") == "status":
                jobs = await service.store.jobs()
                say({"statuses": Counter(j.status for j in jobs), "results": Counter(str(j.result) for j in jobs)})
            else:
                break
        watch.cancel()
    finally:
        await runner.cleanup()
    say({"bye": True})
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
