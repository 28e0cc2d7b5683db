"""Building the engine app with the console on a fresh SQLite file, a movable clock, and seeded users."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from argon2 import PasswordHasher

from agent_console.accounts.service import AccountService
from agent_console.settings import ConsoleSettings
from hotline.config import load_config
from hotline.db import Base, make_engine
from hotline.engine import ENGINE, build_app
from hotline.schema import load_metadata

PASSWORD = "correct-horse-12"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # tests only: cheap argon2id
SESSION_KEY = "test-session-key-0123456789abcdefXYZ"


@dataclass
class MovableClock:
    """Real time plus an offset the test can push forward (session expiry, rate-limit windows)."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def make_config(tmp_path: Path, *, ami_port: int = 5038, agi_port: int = 0, max_age: int = 3600):
    return load_config(None, {}, {
        "engine": {"mode": "development", "data_dir": str(tmp_path)},
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"},
        "ami": {"servers": [{"name": "standin", "host": "127.0.0.1", "port": ami_port, "username": "hotline",
                             "secret": "demo-secret"}], "connect_timeout": 2.0, "action_timeout": 5.0},
        "agi": {"port": agi_port},
        "console": {"port": 0, "session_key": SESSION_KEY, "session_max_age": max_age},
        "ivr": {"intake_dir": str(tmp_path / "intake")},
        "recordings": {"directory": str(tmp_path / "recordings")},
    })


async def create_schema(url: str) -> None:
    load_metadata()
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()


USERS = (  # username, display name, roles, phone
    ("agent01", "坐席01", ("agent",), "PJSIP/8101"),
    ("agent02", "坐席02", ("agent",), "PJSIP/8102"),
    ("nophone", "无话机", ("agent",), None),
    ("boss", "管理员", ("admin", "supervisor"), None),
)


async def seed_users(services: dict, users=USERS) -> None:
    """(username, display, roles, phone[, department code]) rows; departments are created as needed."""
    for username, display, roles, phone, *department in users:
        if department and department[0] not in {d.code for d in await services["tickets"].list_departments()}:
            await services["tickets"].add_department(department[0], department[0])
        await services["accounts"].add_user(username, PASSWORD, roles, display, phone_interface=phone,
                                            department_code=department[0] if department else None)


class SharedClient(TestClient):
    """A client of its own (cookie jar) on a server shared by a whole test module."""

    def __init__(self, client: TestClient) -> None:
        super().__init__(client.server)

    async def close(self) -> None:
        await self._session.close()


@asynccontextmanager
async def running_console(config, clock: MovableClock, *, telephony: bool = False,
                          settings: ConsoleSettings | None = None, users=USERS, prepare=None):
    """The engine app with the console, served on 127.0.0.1 with an aiohttp TestClient."""
    await create_schema(config.database_url)
    app = build_app(config, clock=clock, telephony=telephony, console_settings=settings)
    if prepare is not None:
        prepare(app)
    server = TestServer(app, host="127.0.0.1")
    client = TestClient(server)
    await client.start_server()
    try:
        engine = app[ENGINE]
        engine.services["accounts"] = AccountService(engine.sessions, hasher=FAST_HASHER, clock=clock)
        await seed_users(engine.services, users)
        yield app, client
    finally:
        await client.close()


def assert_no_stray_tasks() -> None:
    """Nothing the app, the AMI clients or the stand-in started may outlive them (Playwright's own excepted)."""
    stray = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()
             and "playwright" not in repr(t)]
    assert stray == [], stray


async def login(client: TestClient, username: str, password: str = PASSWORD) -> web.Response:
    """Log in like the browser does: fetch the form (login cookie + token), post it back."""
    import re

    form = await client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', await form.text()).group(1)
    return await client.post("/login", data={"username": username, "password": password, "login_token": token},
                             allow_redirects=False)


async def csrf_of(client: TestClient, path: str = "/") -> str:
    import re

    page = await client.get(path)
    return re.search(r'<meta name="csrf-token" content="([^"]*)"', await page.text()).group(1)
