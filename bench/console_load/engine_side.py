"""Child process: the whole engine (IVR, live floor, console) serving the console on 127.0.0.1.

Start-up in JSON lines, as bench/ivr's engine child: `{"asterisk_dir"}` → waits for
`{"ami_port"}` → `{"agi_port"}` once the live floor knows the agents → creates the console
accounts (agents bound to PJSIP/8001…, supervisors) and one session each, directly through
`AccountService`/`SessionStore` with a cheap argon2 hasher (550 default-cost hashes would
cost ~30 s of CPU and are not what is measured) → `{"console_port", "agents", "wallboards"}`.
Then `stats` (CPU, RSS, hub counters) and `dump` (when each agent event reached the live floor)
until `quit`.

    python -m bench.console_load.engine_side --data-dir DIR --agents 500 --wallboards 50
"""
from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from aiohttp import web

from bench.ivr_load.child import control_loop, read_message, run_child, say
from bench.ivr_load.engine_side import engine_config, wait_ready

PASSWORD = "bench-password-0000"


class FloorTimes:
    """Floor listener: when each agent event reached the live floor (`time.monotonic()`); duck-types
    the `Recorder` that `control_loop` dumps."""

    KINDS = frozenset({"AgentCalled", "AgentConnect", "AgentComplete", "AgentRingNoAnswer"})

    def __init__(self) -> None:
        self.seen: list[list] = []

    def __call__(self, kind: str, event: object) -> None:
        if kind in self.KINDS:
            self.seen.append([time.monotonic(), kind, getattr(event, "interface", "")])

    def reset(self) -> None:
        self.seen = []

    def dump(self) -> list[list]:
        return self.seen


def cheap_hasher():
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


async def make_accounts(engine, console, agents: int, wallboards: int) -> tuple[list, list]:
    """-> ([[cookie token, phone interface]…], [cookie token…])."""
    from agent_console.accounts.service import AccountService

    accounts = AccountService(engine.sessions, hasher=cheap_hasher())
    agent_tokens, board_tokens = [], []
    for i in range(agents):
        iface = f"PJSIP/{8001 + i}"
        user = await accounts.add_user(f"agent{i + 1:04d}", PASSWORD, ["agent"], f"坐席{i + 1}", iface)
        agent_tokens.append([(await console.sessions.create(user, "127.0.0.1"))[0], iface])
    for i in range(wallboards):
        user = await accounts.add_user(f"board{i + 1:03d}", PASSWORD, ["supervisor"], f"班长{i + 1}")
        board_tokens.append((await console.sessions.create(user, "127.0.0.1"))[0])
    return agent_tokens, board_tokens


async def prepare_schema(data_dir: Path) -> Path:
    """As bench/ivr's `prepare`: schema, seed, rendered Asterisk config."""
    from hotline import migrate
    from hotline.demo import prepare_asterisk_dir, seed
    from hotline.engine import ENGINE, build_app

    config = engine_config(data_dir, None, 5038)
    await asyncio.to_thread(migrate.upgrade, config.database_url)
    app = build_app(config, telephony=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        lines = await seed(runner.app[ENGINE].services)
    finally:
        await runner.cleanup()
    return await prepare_asterisk_dir(config, lines, data_dir / "asterisk", 4573)


async def main(args: argparse.Namespace) -> None:
    from agent_console.context import CONSOLE
    from hotline.engine import ENGINE, build_app

    args.data_dir.mkdir(parents=True, exist_ok=True)
    say({"asterisk_dir": str(await prepare_schema(args.data_dir))})
    message = await read_message()
    if not message or "ami_port" not in message:
        return
    app = build_app(engine_config(args.data_dir, None, message["ami_port"]), freeze_heap=True)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    engine, console = app[ENGINE], app[CONSOLE]
    try:
        await wait_ready(engine, args.seats)
        say({"agi_port": engine.services["fastagi"].port})
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        agents, boards = await make_accounts(engine, console, args.agents, args.wallboards)
        say({"console_port": port, "agents": agents, "wallboards": boards})

        async def status() -> dict:
            hub = console.hub
            return {"sent": hub.messages_sent, "batches": hub.batches, "pages": len(hub)}

        times = FloorTimes()
        engine.services["floor"].listeners.append(times)
        await control_loop(times, status)
    finally:
        await runner.cleanup()
        say({"tasks_after_cleanup": len(asyncio.all_tasks()) - 1})


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seats", type=int, required=True, help="agents the stand-in has in the pool")
    parser.add_argument("--agents", type=int, required=True, help="agent accounts (pages) to create")
    parser.add_argument("--wallboards", type=int, required=True)
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats of the whole child here")
    run_child(main, parser.parse_args(argv))


if __name__ == "__main__":
    run()
