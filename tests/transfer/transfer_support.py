"""A whole hotline (stand-in running the shipped dialplan + the engine, transfers included),
served over HTTP for the console API.

Differs from hotline.testing.running_hotline: demo accounts are hashed cheaply, and the app is
served by an aiohttp TestServer so requests go through the console's real auth/CSRF middleware.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from asterisk_standin.people import Citizen
from agent_console.accounts.service import AccountService
from argon2 import PasswordHasher
from hotline.db import Base, make_engine
from hotline.demo import prepare_asterisk_dir, seed
from hotline.engine import ENGINE, build_app
from hotline.schema import load_metadata
from hotline.testing import ENGINE_AGI, test_config
from transfer.models import LedgerRow

AGENT_PASSWORDS = {"agent01": "demo-agent-01", "agent02": "demo-agent-02", "banzhang": "demo-supervisor",
                   "nophone": "demo-nophone-01", "admin": "demo-admin-123"}


@dataclass
class Hotline:
    app: Any
    client: TestClient
    standin: Any

    @property
    def engine(self):
        return self.app[ENGINE]

    @property
    def pbx(self):
        return self.standin.pbx

    @property
    def transfers(self):
        return self.engine.services["transfers"]

    def add_phone(self, interface: str, name: str, *, queue: str | None = None, **behaviour):
        from asterisk_standin.people import Agent

        phone = Agent(interface, name, **behaviour)
        phone.register(self.pbx)
        if queue:
            self.pbx.queues.add_member(queue, interface, name=name)
        return phone

    def call(self, number: str, name: str = "市民", **kw):
        return Citizen(number, name, dialed="12345", context="from-trunk", **kw).place(self.pbx)

    def hang_up(self, channel: str) -> None:
        chan = self.pbx.find_channel(channel)
        assert chan is not None, channel
        self.pbx.request_hangup(chan, 16)

    def bridged_with(self, channel: str) -> set[str]:
        chan = self.pbx.find_channel(channel)
        if chan is None or chan.bridge is None:
            return set()
        return {c.name for c in chan.bridge.channels if c is not chan}

    def bridged_endpoints(self, channel: str) -> list:
        """The simulated phones (or citizens) on the other side of `channel`'s bridge."""
        chan = self.pbx.find_channel(channel)
        if chan is None or chan.bridge is None:
            return []
        return [c.endpoint for c in chan.bridge.channels if c is not chan]

    def conference(self, name: str) -> set[str]:
        conf = self.pbx.conferences.get(name)
        return {m.chan.name for m in conf.members} if conf else set()


async def until(predicate, timeout: float = 10.0) -> None:
    """Polls the stand-in's own state (channels, bridges, phones), which has no change signal."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def login(client: TestClient, username: str) -> dict[str, str]:
    """Log in like the browser does; returns the headers a console page's fetch() sends."""
    form = await client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', await form.text()).group(1)
    done = await client.post("/login", data={"username": username, "password": AGENT_PASSWORDS[username],
                                             "login_token": token}, allow_redirects=False)
    assert done.status in (302, 303), await done.text()
    home = await client.get("/")
    csrf = re.search(r'<meta name="csrf-token" content="([^"]*)"', await home.text()).group(1)
    return {"Accept": "application/json", "X-CSRF-Token": csrf}


FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # tests only: cheap argon2id


async def create_schema(url: str) -> None:
    """Every table incl. the ledger (its migration is the lead's); faster than running Alembic per test."""
    load_metadata()
    assert LedgerRow.__table__.name in Base.metadata.tables
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()


async def seed_fast(app) -> list:
    """The demo lines, departments and accounts, hashed cheaply (login verifies with the hash's own cost)."""
    services = dict(app[ENGINE].services)
    services["accounts"] = AccountService(app[ENGINE].sessions, hasher=FAST_HASHER)
    return await seed(services)


@asynccontextmanager
async def transfer_hotline(data_dir: Path, *, time_scale: float = 0.05, config: dict | None = None
                           ) -> AsyncIterator[Hotline]:
    from aiohttp import web

    from asterisk_standin.standin import Standin

    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    cfg = test_config(data_dir, 5038, config)
    await create_schema(cfg.database_url)
    seed_app = build_app(cfg, telephony=False)
    runner = web.AppRunner(seed_app)
    await runner.setup()
    lines = await seed_fast(seed_app)
    await runner.cleanup()

    asterisk_dir = await prepare_asterisk_dir(cfg, lines, data_dir / "asterisk", ENGINE_AGI[1])
    assert "[hotline-conference]" in (asterisk_dir / "extensions.conf").read_text(encoding="utf-8")
    standin = Standin(asterisk_dir, time_scale=time_scale, ami_port=0, spool_dir=None, auth_fail_delay=0.05)
    ami_port = await standin.start()
    app = build_app(test_config(data_dir, ami_port, config))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    try:
        await client.start_server()
        engine = app[ENGINE]
        standin.pbx.agi_map[ENGINE_AGI] = ("127.0.0.1", engine.services["fastagi"].port)
        for ami in engine.ami.values():
            await ami.wait_ready(timeout=10)
        yield Hotline(app, client, standin)
    finally:
        await standin.stop()
        await client.close()


def assert_no_stray_tasks() -> None:
    stray = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert stray == [], stray
