"""A whole hotline in one process for tests, benchmarks and the console's browser tests:
the Asterisk stand-in running the shipped dialplan, and the engine connected to it.

    async with running_hotline(tmp_path) as hotline:
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general")
        outcome = hotline.call(Citizen("13800138000", "张伟"))
        await hotline.finished(outcome)
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from hotline import migrate
from hotline.config import Config, load_config
from hotline.demo import DEMO_AMI_SECRET, prepare_asterisk_dir, seed
from hotline.engine import ENGINE, Engine, build_app

ENGINE_AGI = ("127.0.0.1", 4573)  # the address the shipped dialplan names


@dataclass
class RunningHotline:
    config: Config
    app: web.Application
    standin: Any
    asterisk_dir: Path
    runner: web.AppRunner | None = None
    service_overrides: Mapping[str, Any] | None = None
    ivr_worker: bool = False  # FastAGI served by a separate IVR worker process, as `hotline run` does

    async def kill_engine(self) -> int:
        """The engine dies without a goodbye (kill -9): the calls in its memory and the finished
        calls still in its outbox are lost, nothing is flushed. Returns how many records were lost."""
        engine = self.engine
        outbox = engine.services.get("call_outbox")
        lost = len(outbox) if outbox is not None else 0
        if outbox is not None:
            outbox._buffer.clear()  # noqa: SLF001 - what a kill does to memory
        tracker = engine.services.get("call_tracker")
        if tracker is not None:
            tracker.calls.clear()
        self.pbx.agi_map.pop(ENGINE_AGI, None)  # FastAGI refused while it is down (dialplan: engine-down)
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        return lost

    async def start_engine(self) -> None:
        """A new engine process on the same database, Asterisk and queue_log."""
        self.app, self.runner = await _start_engine(self.config, self.standin, self.service_overrides,
                                                    ivr_worker=self.ivr_worker)

    @property
    def engine(self) -> Engine:
        return self.app[ENGINE]

    @property
    def pbx(self):
        return self.standin.pbx

    @property
    def ami(self):
        return next(iter(self.engine.ami.values()))

    def add_agent(self, interface: str, name: str, *, queue: str | None = None, **behaviour) -> Any:
        """A simulated phone; with `queue` it is also logged in there over AMI-equivalent member add."""
        from asterisk_standin.people import Agent

        agent = Agent(interface, name, **behaviour)
        agent.register(self.pbx)
        if queue:
            self.pbx.queues.add_member(queue, interface, name=name)
        return agent

    def add_callee(self, number: str, **behaviour) -> Any:
        """A citizen's phone the engine calls out to (回访): asterisk_standin.people.CalledCitizen."""
        from asterisk_standin.people import CalledCitizen

        callee = CalledCitizen(number, **behaviour)
        callee.register(self.pbx)
        return callee

    def call(self, citizen) -> Any:
        return citizen.place(self.pbx)

    async def finished(self, outcome, timeout: float = 20.0) -> Any:
        async with asyncio.timeout(timeout):
            await outcome.done.wait()
        return outcome

    async def apply_lines(self) -> None:
        """Render the merged-hotline includes from the database and reload the stand-in over AMI."""
        from queues.apply import apply

        lines = await self.engine.services["lines"].list()
        result = await apply(lines, self.config.emergency.targets(), self.asterisk_dir,
                             {name: client.send for name, client in self.engine.ami.items()})
        if not result.ok:
            raise RuntimeError(f"reload failed: {result.errors}")


def test_config(data_dir: Path, ami_port: int, extra: Mapping[str, Any] | None = None) -> Config:
    overrides: dict[str, Any] = {
        "engine": {"mode": "development", "data_dir": str(data_dir)},
        "ami": {"servers": [{"name": "standin", "port": ami_port, "secret": DEMO_AMI_SECRET}],
                "connect_timeout": 2.0, "reconnect_max_delay": 1.0},
        "agi": {"port": 0, "engine_nice": 0},  # the test process must keep its priority for the next tests
        "console": {"port": 0},
        "ivr": {"intake_dir": str(data_dir / "intake")},
        "asterisk": {"config_dir": str(data_dir / "asterisk")},
    }
    for section, values in (extra or {}).items():
        overrides[section] = {**overrides.get(section, {}), **values}
    return load_config(None, {}, overrides)


async def _start_engine(cfg: Config, standin, services: Mapping[str, Any] | None, *, ivr_worker: bool = False):
    app = build_app(cfg, service_overrides=dict(services or {}), separate_ivr=ivr_worker)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        engine = app[ENGINE]
        if ivr_worker:  # its own interpreter: imports, jieba and the speech model take seconds on a busy host
            await engine.services["ivr_worker"].wait_ready(timeout=90)
        standin.pbx.agi_map[ENGINE_AGI] = ("127.0.0.1", engine.services["fastagi"].port)
        for client in engine.ami.values():
            await client.wait_ready(timeout=10)
    except BaseException:
        await runner.cleanup()
        raise
    return app, runner


@asynccontextmanager
async def running_hotline(data_dir: Path, *, time_scale: float = 0.05, config: Mapping[str, Any] | None = None,
                          services: Mapping[str, Any] | None = None,
                          database_url: str | None = None, queue_log: bool = False,
                          ivr_worker: bool = False) -> AsyncIterator[RunningHotline]:
    """`services` replaces engine services (e.g. a transcriber) before the FastAGI route is built
    (in-process only: with `ivr_worker` the calls are served by a separate process, as `hotline run` does).
    `queue_log`: the stand-in writes queue_log to data_dir/log/queue_log and the engine follows it."""
    from asterisk_standin.standin import Standin

    data_dir.mkdir(parents=True, exist_ok=True)
    extra = dict(config or {})
    if database_url:
        extra["database"] = {**extra.get("database", {}), "url": database_url}
    queue_log_path = data_dir / "log" / "queue_log" if queue_log else None
    if queue_log_path is not None:
        extra["queue_log"] = {"path": str(queue_log_path), "start_at_end": False, **extra.get("queue_log", {})}
    cfg = test_config(data_dir, 5038, extra)  # AMI unused until the stand-in is up
    await asyncio.to_thread(migrate.upgrade, cfg.database_url)

    seed_app = build_app(cfg, telephony=False)
    runner = web.AppRunner(seed_app)
    await runner.setup()
    lines = await seed(seed_app[ENGINE].services)
    await runner.cleanup()

    asterisk_dir = await prepare_asterisk_dir(cfg, lines, data_dir / "asterisk", ENGINE_AGI[1])
    standin = Standin(asterisk_dir, time_scale=time_scale, ami_port=0, spool_dir=None,
                      auth_fail_delay=0.05, queue_log_path=queue_log_path)
    ami_port = await standin.start()
    cfg = test_config(data_dir, ami_port, extra)
    hotline = None
    try:
        app, runner = await _start_engine(cfg, standin, services, ivr_worker=ivr_worker)
        hotline = RunningHotline(cfg, app, standin, asterisk_dir, runner, services, ivr_worker)
        yield hotline
    finally:
        await standin.stop()
        if hotline is not None and hotline.runner is not None:
            await hotline.runner.cleanup()
