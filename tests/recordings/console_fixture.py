"""One call recorded through the stand-in, then the console serving that database and directory,
and headless Chromium launched with the console tests' own flags (tests/console/conftest.py)."""
from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime
import shutil
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from agent_console.settings import ConsoleSettings
from asterisk_standin.people import Citizen
from recordings.catalogue import Search
from recordings.context import RECORDINGS
from recordings.filecheck import inspect_file
from recordings.integrity import judge
from recordings.models import State
from tests.recordings.conftest import recorded_hotline, until, with_recordings

_spec = importlib.util.spec_from_file_location("console_conftest", Path(__file__).parents[1] / "console" / "conftest.py")
console_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(console_conftest)

SUPERVISOR, SUPERVISOR_PASSWORD = "banzhang", "demo-supervisor"   # hotline.demo accounts, seeded by running_hotline
AGENT, AGENT_PASSWORD = "agent01", "demo-agent-01"
SETTINGS = ConsoleSettings(session_key="recordings-test-key-0123456789abcdef", session_max_age=600)


@asynccontextmanager
async def chromium():
    from playwright.async_api import async_playwright

    console_conftest.require_chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(console_conftest.CHROMIUM),
                                           args=console_conftest.CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def record_one_call(tmp_path):
    """A citizen's call answered by PJSIP/8001, with a pause in the middle; returns (config, row)."""
    with pytest.MonkeyPatch.context() as mp:
        async with recorded_hotline(tmp_path, mp) as (hotline, rec):
            hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=20.0)
            await until(lambda: hotline.engine.services["floor"].available_agents("hotline-general") == 1)
            outcome = hotline.call(Citizen("13800138000", "张伟", dialed="12345", context="from-trunk"))
            active = await until(lambda: rec.recorder.active_for("PJSIP/8001"))
            await rec.recorder.set_paused("PJSIP/8001", True)
            await until(lambda: active.paused)
            await rec.recorder.set_paused("PJSIP/8001", False)
            await hotline.finished(outcome)
            (row,) = await until(lambda: rec.catalogue.search(Search(states=(State.COMPLETE,))))
            return hotline.config, row


@asynccontextmanager
async def serving_console(config, **overrides):
    app = with_recordings(**overrides)(config, telephony=False, console_settings=SETTINGS)
    server = TestServer(app, host="127.0.0.1")
    client = TestClient(server)
    await client.start_server()
    try:
        yield app, client
    finally:
        await client.close()


async def login(client, username: str, password: str):
    form = await client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', await form.text()).group(1)
    response = await client.post("/login", data={"username": username, "password": password, "login_token": token},
                                 allow_redirects=False)
    assert response.status == 302, await response.text()


async def csrf_of(client, path: str = "/") -> str:
    page = await client.get(path)
    return re.search(r'<meta name="csrf-token" content="([^"]*)"', await page.text()).group(1)


async def catalogued_copy(app, source: str, name: str):
    """Another complete recording (a copy of a real one) for tests that damage files."""
    cap = app[RECORDINGS]
    target = Path(source).with_name(name)
    shutil.copyfile(source, target)
    view = await cap.catalogue.open(server="standin", linkedid=name.removesuffix(".wav"), channel="PJSIP/trunk-x",
                                    file_path=str(target), started_at=datetime.now(UTC), queue="hotline-general",
                                    agent_interface="PJSIP/8002", agent_name="坐席02", caller_number="13900000000")
    await cap.catalogue.finish(view.id, datetime.now(UTC))
    check = inspect_file(target)
    state, problem = judge(view, check, first=True)
    return await cap.catalogue.record_check(view.id, state, check, problem, first=True)
