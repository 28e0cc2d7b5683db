"""The hotline as separate processes, for fault tests and their long variants in bench/:
the engine (`python -m hotline run`), the Asterisk stand-in (`python -m asterisk_standin`) with
its own simulated citizens and agents, and a breakable TCP proxy (hotline/testing_proxy.py) in
front of PostgreSQL and in front of the stand-in's AMI port.

    async with process_hotline(tmp_path, pg_url, traffic=Traffic(rate=0.05, duration=600)) as lab:
        await lab.traffic_started()
        await lab.kill_engine()          # kill -9
        await lab.start_engine()
        await lab.traffic_done()

Unlike hotline/testing.py nothing shares memory: a kill is a real SIGKILL, an outage a real
closed socket, and the stand-in's queue_log file is the count of what Asterisk did.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from hotline.testing_proxy import FaultProxy

ROOT = Path(__file__).resolve().parents[1]
STANDIN_AGI = 4573          # the FastAGI port the rendered dialplan names; the stand-in maps it
SESSION_KEY = "fault-test-session-key-0123456789abcdef"


@dataclass
class Traffic:
    """The stand-in's own traffic (asterisk_standin/cli.py), in simulated seconds."""

    rate: float = 0.05            # calls per simulated second
    duration: float = 600.0
    agents: int = 2
    talk_time: float = 60.0       # more work than the agents can take: callers wait
    patience: float = 90.0        # mean (exponential): some hang up in the IVR or the queue
    queue_timeout: int = 45       # HOTLINE_QUEUE_TIMEOUT in the dialplan: the rest time out
    time_scale: float = 0.05
    seed: int = 12345
    queue: str = "hotline-general"   # "a,b": every agent in both queues
    dialed: str = "12345"            # "12345,12315": each citizen dials one of them


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ProcessHotline:
    data_dir: Path
    database_url: str                 # the real database (the test reads it directly)
    traffic: Traffic
    db_proxy: FaultProxy
    ami_proxy: FaultProxy
    standin_ami_port: int
    agi_port: int
    console_port: int
    engine_config: Path
    queue_log: Path
    asterisk_dir: Path
    engine: asyncio.subprocess.Process | None = None
    standin: asyncio.subprocess.Process | None = None
    standin_lines: list[str] = field(default_factory=list)
    engine_starts: int = 0
    _standin_reader: asyncio.Task | None = None
    _watcher: asyncio.Task | None = None
    ivr_times: object = None

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.console_port}"

    # --- the engine ------------------------------------------------------------------------------
    async def start_engine(self, *, wait_for: str = "ok", timeout: float = 30.0) -> None:
        """`python -m hotline run`; returns once /healthz says `wait_for` (ok: database and AMI up)."""
        self.engine_starts += 1
        log = open(self.data_dir / "engine.log", "ab")  # noqa: SIM115, ASYNC230 - the process owns it
        log.write(f"\n===== engine start {self.engine_starts} =====\n".encode())
        log.flush()
        self.engine = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hotline", "run", "-c", str(self.engine_config),
            cwd=ROOT, stdout=log, stderr=log, env=_env())
        log.close()
        await self.wait_health(wait_for, timeout)

    async def kill_engine(self) -> None:
        """kill -9: no goodbye, nothing flushed."""
        if self.engine is not None and self.engine.returncode is None:
            self.engine.send_signal(signal.SIGKILL)
            await self.engine.wait()
        self.engine = None

    async def stop_engine(self) -> None:
        if self.engine is not None and self.engine.returncode is None:
            self.engine.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(15):
                    await self.engine.wait()
            except TimeoutError:
                await self.kill_engine()
        self.engine = None

    async def health(self) -> str | None:
        """The status word of /healthz, or None while nothing answers."""
        import aiohttp

        try:
            async with aiohttp.ClientSession() as http, http.get(
                    f"{self.console_url}/healthz", timeout=aiohttp.ClientTimeout(total=3)) as resp:
                body = await resp.text()
        except (aiohttp.ClientError, TimeoutError, OSError):
            return None
        try:
            return json.loads(body).get("status")
        except ValueError:
            return body.strip().split()[0] if body.strip() else None

    async def wait_health(self, status: str, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while True:
                if self.engine is not None and self.engine.returncode is not None:
                    raise RuntimeError(f"the engine exited ({self.engine.returncode}); see {self.data_dir}/engine.log")
                if await self.health() == status:
                    return
                await asyncio.sleep(0.2)

    # --- the stand-in ----------------------------------------------------------------------------
    async def start_standin(self) -> None:
        t = self.traffic
        err = open(self.data_dir / "standin.err", "ab")  # noqa: SIM115, ASYNC230 - the process owns it
        self.standin = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "asterisk_standin", "--config-dir", str(self.asterisk_dir),
            "--ami-port", str(self.standin_ami_port), "--agi", f"127.0.0.1:{self.agi_port}",
            "--queue-log", str(self.queue_log), "--time-scale", str(t.time_scale),
            "--rate", str(t.rate), "--duration", str(t.duration), "--agents", str(t.agents),
            "--queue", t.queue, "--talk-time", str(t.talk_time), "--patience", str(t.patience),
            "--dialed", t.dialed, "--context", "from-trunk", "--seed", str(t.seed),
            "--serve", "--traffic-after-login",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=err, env=_env())
        err.close()
        self._standin_reader = asyncio.get_running_loop().create_task(self._read_standin())
        await self._standin_said("AMI 127.0.0.1:", 15)

    async def _read_standin(self) -> None:
        assert self.standin is not None and self.standin.stdout is not None
        with open(self.data_dir / "standin.log", "ab") as out:  # noqa: ASYNC230 - a local log, line by line
            while line := await self.standin.stdout.readline():
                out.write(line)
                out.flush()
                self.standin_lines.append(line.decode("utf-8", "replace").rstrip())

    async def _standin_said(self, text: str, timeout: float) -> str:
        async with asyncio.timeout(timeout):
            while True:
                found = next((line for line in self.standin_lines if text in line), None)
                if found is not None:
                    return found
                if self.standin is not None and self.standin.returncode is not None:
                    raise RuntimeError(f"the stand-in exited ({self.standin.returncode}); see {self.data_dir}")
                await asyncio.sleep(0.05)

    async def traffic_started(self, timeout: float = 30.0) -> None:
        await self._standin_said("话务开始", timeout)

    async def traffic_done(self, timeout: float = 120.0) -> str:
        """The stand-in's own summary once every simulated call has ended (呼入 … 通，接通 …)."""
        return await self._standin_said("呼入 ", timeout)

    def real_seconds(self, simulated: float) -> float:
        return simulated * self.traffic.time_scale

    def watch_ivr(self) -> None:
        """A second AMI session straight to the stand-in noting each call's IVR time (`ivr_times`)."""
        from hotline.demo import DEMO_AMI_SECRET
        from hotline.testing_ivr_watch import IvrTimes, watch_ivr

        self.ivr_times = IvrTimes()
        self._watcher = asyncio.get_running_loop().create_task(
            watch_ivr(self.standin_ami_port, "hotline", DEMO_AMI_SECRET, self.ivr_times))

    # --- faults ----------------------------------------------------------------------------------
    async def cut_ami(self) -> None:
        await self.ami_proxy.cut()

    async def restore_ami(self) -> None:
        await self.ami_proxy.restore()

    async def cut_database(self) -> None:
        await self.db_proxy.cut()

    async def restore_database(self) -> None:
        await self.db_proxy.restore()

    def stall_database(self) -> None:
        self.db_proxy.stall()

    def resume_database(self) -> None:
        self.db_proxy.resume()

    async def close(self) -> None:
        await self.stop_engine()
        if self.standin is not None and self.standin.returncode is None:
            self.standin.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(10):
                    await self.standin.wait()
            except TimeoutError:
                self.standin.kill()
                await self.standin.wait()
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
        if self._standin_reader is not None:
            self._standin_reader.cancel()
            await asyncio.gather(self._standin_reader, return_exceptions=True)
        await self.ami_proxy.close()
        await self.db_proxy.close()


def _env() -> dict[str, str]:
    """The engine reads no HOTLINE_* from the test's environment: its file is the whole config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def write_engine_config(path: Path, sections: dict[str, dict]) -> None:
    lines = []
    servers = sections.pop("ami.servers", [])
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml(v)}" for key, v in values.items()]
    for server in servers:
        lines.append("[[ami.servers]]")
        lines += [f"{key} = {_toml(v)}" for key, v in server.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def prepare_database(data_dir: Path, database_url: str) -> list:
    """Schema, merged lines and the demo accounts, written directly (not through the proxy)."""
    from aiohttp import web

    from hotline import migrate
    from hotline.demo import seed
    from hotline.engine import ENGINE, build_app
    from hotline.testing import test_config

    await asyncio.to_thread(migrate.upgrade, database_url)
    cfg = test_config(data_dir, 5038, {"database": {"url": database_url}})
    app = build_app(cfg, telephony=False)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        return await seed(app[ENGINE].services)
    finally:
        await runner.cleanup()


def _set_queue_timeout(asterisk_dir: Path, seconds: int) -> None:
    conf = asterisk_dir / "extensions.conf"
    text = conf.read_text(encoding="utf-8")
    conf.write_text(re.sub(r"^HOTLINE_QUEUE_TIMEOUT=\d+$", f"HOTLINE_QUEUE_TIMEOUT={seconds}", text, flags=re.M),
                    encoding="utf-8")


@asynccontextmanager
async def process_hotline(data_dir: Path, database_url: str, *, traffic: Traffic | None = None,
                          engine: dict[str, dict] | None = None, seeded: bool = False) -> AsyncIterator[ProcessHotline]:
    """The proxies, then the engine (waiting for the stand-in's AMI), then the stand-in, whose
    traffic starts once the engine has logged in over AMI. `seeded`: the database already holds
    the schema and the demo data (e.g. copied from a template database)."""
    from hotline.demo import DEMO_AMI_SECRET, prepare_asterisk_dir
    from hotline.testing import test_config

    traffic = traffic or Traffic()
    data_dir.mkdir(parents=True, exist_ok=True)
    lines = await prepare_database(data_dir, database_url) if not seeded else await _lines(data_dir, database_url)
    cfg = test_config(data_dir, 5038, {"database": {"url": database_url}})
    asterisk_dir = await prepare_asterisk_dir(cfg, lines, data_dir / "asterisk", STANDIN_AGI)
    _set_queue_timeout(asterisk_dir, traffic.queue_timeout)

    url = make_url(database_url)
    db_proxy = FaultProxy(url.host or "127.0.0.1", url.port or 5432)
    db_port = await db_proxy.start()
    standin_ami_port = free_port()
    ami_proxy = FaultProxy("127.0.0.1", standin_ami_port)
    ami_port = await ami_proxy.start()
    queue_log = data_dir / "log" / "queue_log"
    sections: dict[str, dict] = {
        "engine": {"mode": "development", "data_dir": str(data_dir / "engine"), "log_level": "INFO"},
        "database": {"url": url.set(port=db_port).render_as_string(hide_password=False), "query_timeout": 5.0},
        "ami": {"connect_timeout": 2.0, "reconnect_max_delay": 1.0},
        "agi": {"port": free_port()},
        "console": {"port": free_port(), "session_key": SESSION_KEY, "chart_refresh_seconds": 1.0},
        "ivr": {"intake_dir": str(data_dir / "intake")},
        "recordings": {"directory": str(data_dir / "recordings")},
        "asterisk": {"config_dir": str(asterisk_dir)},
        "queue_log": {"path": str(queue_log), "start_at_end": False, "interval_seconds": 5.0, "settle_seconds": 2},
    }
    for name, values in (engine or {}).items():
        sections[name] = {**sections.get(name, {}), **values}
    sections["ami.servers"] = [{"name": "standin", "host": "127.0.0.1", "port": ami_port, "username": "hotline",
                                "secret": DEMO_AMI_SECRET}]
    agi_port, console_port = sections["agi"]["port"], sections["console"]["port"]
    config_path = data_dir / "engine.toml"
    write_engine_config(config_path, sections)
    lab = ProcessHotline(data_dir, database_url, traffic, db_proxy, ami_proxy, standin_ami_port, agi_port,
                         console_port, config_path, queue_log, asterisk_dir)
    try:
        await lab.start_engine(wait_for="down")     # up, its AMI link not yet: the stand-in comes next
        await lab.start_standin()
        await lab.wait_health("ok")
        lab.watch_ivr()
        yield lab
    finally:
        await lab.close()


async def _lines(data_dir: Path, database_url: str) -> list:
    from aiohttp import web

    from hotline.engine import ENGINE, build_app
    from hotline.testing import test_config

    app = build_app(test_config(data_dir, 5038, {"database": {"url": database_url}}), telephony=False)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        return await app[ENGINE].services["lines"].list()
    finally:
        await runner.cleanup()

