"""Child process: the whole engine (DB, services, AMI client, live floor, FastAGI + `ivr` route).

Start-up talks to the orchestrator in JSON lines: it migrates and seeds the database, renders
the Asterisk config (`{"asterisk_dir"}`), waits for the stand-in's AMI port, starts the engine
and reports `{"agi_port"}` once the live floor knows the agents. Then `child.control_loop`.

    python -m bench.ivr_load.engine_side --data-dir DIR [--database-url URL] --agents K
"""
from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from aiohttp import web

from bench.ivr_load.child import Recorder, TimedSession, control_loop, read_message, run_child, say

READY_TIMEOUT = 20.0
SETTLE_TIMEOUT = 60.0


def engine_config(data_dir: Path, database_url: str | None, ami_port: int):
    from hotline.config import load_config
    from hotline.demo import DEMO_AMI_SECRET, DEMO_SESSION_KEY

    overrides = {
        "engine": {"mode": "demo", "data_dir": str(data_dir)},
        "ami": {"servers": [{"name": "standin", "host": "127.0.0.1", "port": ami_port, "username": "hotline",
                             "secret": DEMO_AMI_SECRET}]},
        "agi": {"port": 0},
        "console": {"port": 0, "session_key": DEMO_SESSION_KEY},
        "ivr": {"intake_dir": str(data_dir / "intake")},
        "recordings": {"directory": str(data_dir / "recordings")},
    }
    if database_url:
        overrides["database"] = {"url": database_url}
    return load_config(None, {}, overrides)


def timing_context(recorder: Recorder):
    """A cleanup context placed just before the FastAGI server starts: wraps the `ivr` route."""
    from ivr.fastagi import ChannelHungUp

    from hotline.engine import ENGINE

    async def timed_ivr(app: web.Application):
        engine = app[ENGINE]
        handler = engine.agi_routes["ivr"]

        async def timed(session) -> None:
            record = recorder.begin(session.env.args[0] if session.env.args else "")
            try:
                await handler(TimedSession(session, record))
            except ChannelHungUp:
                record.hung_up = True
                raise
            except Exception as exc:
                record.error = f"{type(exc).__name__}: {exc}"
                raise
            finally:
                record.ended = time.perf_counter()

        engine.agi_routes["ivr"] = timed
        yield

    return timed_ivr


def count_statements(db) -> dict[str, int]:
    """SQL statements the engine sends (all tables: lines, tickets, call log, worklist)."""
    from sqlalchemy import event

    counter = {"statements": 0}

    def seen(*_: object) -> None:
        counter["statements"] += 1

    event.listen(db.sync_engine, "before_cursor_execute", seen)
    return counter


async def prepare(data_dir: Path, database_url: str | None) -> Path:
    """Schema, seed data (lines, departments) and the rendered Asterisk config, as `hotline demo` does."""
    from hotline import migrate
    from hotline.demo import prepare_asterisk_dir, seed
    from hotline.engine import ENGINE, build_app

    config = engine_config(data_dir, database_url, 5038)
    await asyncio.to_thread(migrate.upgrade, config.database_url)
    runner = web.AppRunner(build_app(config, telephony=False), access_log=None)
    await runner.setup()
    try:
        lines = await seed(runner.app[ENGINE].services)
    finally:
        await runner.cleanup()
    return await prepare_asterisk_dir(config, lines, data_dir / "asterisk", 4573)


async def wait_ready(engine, agents: int) -> None:
    """AMI logged in and resynced (the live floor's resync runs before `ready`): agents are known."""
    for client in engine.ami.values():
        await client.wait_ready(READY_TIMEOUT)
    known = len(engine.services["floor"].agents)
    if known < agents:
        raise RuntimeError(f"live floor knows {known} agents after the AMI resync, expected {agents}")


async def settle(engine) -> dict:
    """Every ended call seen by the call tracker and stored by the call log (outbox drained)."""
    tracker, outbox = engine.services["call_tracker"], engine.services["call_outbox"]
    started = time.perf_counter()
    for _ in range(int(SETTLE_TIMEOUT / 0.05)):
        if not tracker.in_flight():
            break
        await asyncio.sleep(0.05)
    try:
        async with asyncio.timeout(max(1.0, SETTLE_TIMEOUT - (time.perf_counter() - started))):
            await outbox.drained()
    except TimeoutError:
        pass
    in_flight, waiting = len(tracker.in_flight()), len(outbox)
    return {"settled": not in_flight and not waiting, "in_flight": in_flight, "outbox": waiting,
            "seconds": time.perf_counter() - started}


async def main(args: argparse.Namespace) -> None:
    from hotline.engine import ENGINE, build_app

    args.data_dir.mkdir(parents=True, exist_ok=True)
    asterisk_dir = await prepare(args.data_dir, args.database_url)
    say({"asterisk_dir": str(asterisk_dir)})
    message = await read_message()
    if not message or "ami_port" not in message:
        return
    recorder = Recorder()
    app = build_app(engine_config(args.data_dir, args.database_url, message["ami_port"]), freeze_heap=True)
    names = [getattr(ctx, "__name__", "") for ctx in app.cleanup_ctx]
    app.cleanup_ctx.insert(names.index("_fastagi"), timing_context(recorder))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    engine = app[ENGINE]
    sql = count_statements(engine.db)
    try:
        await wait_ready(engine, args.agents)
        server = engine.services["fastagi"]
        say({"agi_port": server.port})

        async def status() -> dict:
            s = server.status()
            outbox = engine.services["call_outbox"]
            return {"active": s.active_sessions, "accepted": s.accepted, "dropped": s.dropped,
                    "failed": s.failed_handlers, "sql": sql["statements"], "outbox_failures": outbox.failures,
                    "outbox_dropped": outbox.dropped, "outbox_rejected": len(outbox.rejected)}

        await control_loop(recorder, status, lambda: settle(engine))
    finally:
        await runner.cleanup()
        say({"tasks_after_cleanup": len(asyncio.all_tasks()) - 1})


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--agents", type=int, default=0)
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats of the whole child here")
    run_child(main, parser.parse_args(argv))


if __name__ == "__main__":
    run()
