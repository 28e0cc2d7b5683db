"""Revocation reaches open pages and the switch (issue 11, finding 2).

Whole flow through the stand-in: agents signed into a queue from their desks, an admin
disables one; its desk socket closes within a second with a Chinese reason, Asterisk no
longer has its phone in the queue, and the next caller's screen pop goes to the other agent.
"""
from __future__ import annotations

import asyncio
import re

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from agent_console.context import CONSOLE
from console_support import MovableClock, SharedClient, csrf_of, login, make_config, running_console
from hotline.engine import ENGINE
from tests.transfer.transfer_support import transfer_hotline, until

JSON = {"Accept": "application/json"}
DEMO_PASSWORDS = {"agent01": "demo-agent-01", "agent02": "demo-agent-02", "admin": "demo-admin-123",
                  "banzhang": "demo-supervisor"}


async def demo_login(client: TestClient, username: str) -> dict[str, str]:
    form = await client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', await form.text()).group(1)
    done = await client.post("/login", data={"username": username, "password": DEMO_PASSWORDS[username],
                                             "login_token": token}, allow_redirects=False)
    assert done.status == 302, await done.text()
    return {**JSON, "X-CSRF-Token": await csrf_of(client)}


async def closed_within(ws, seconds: float):
    """Reads (and drops) pushed views until the server closes the socket; -> (close message, seconds taken)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(seconds):
        while (msg := await ws.receive()).type == WSMsgType.TEXT:
            pass
    return msg, loop.time() - started


def members(hotline, queue: str = "hotline-general") -> set[str]:
    return set(hotline.pbx.queues.queues[queue].members)


async def test_given_a_disabled_agent_with_an_open_desk_then_its_socket_closes_its_phone_leaves_and_no_pop_reaches_it(
        tmp_path):
    async with transfer_hotline(tmp_path / "hotline") as hotline:
        hotline.add_phone("PJSIP/8101", "坐席01", talk_time=30.0)
        hotline.add_phone("PJSIP/8102", "坐席02", talk_time=30.0)
        desk1, desk2, admin = (SharedClient(hotline.client) for _ in range(3))
        try:
            for desk, name in ((desk1, "agent01"), (desk2, "agent02")):
                headers = await demo_login(desk, name)
                assert (await desk.post("/agent/queues/hotline-general/join", headers=headers)).status == 200
            await until(lambda: members(hotline) == {"PJSIP/8101", "PJSIP/8102"})
            origin = str(hotline.client.make_url("")).rstrip("/")
            ws = await desk1.ws_connect("/agent/live", headers={"Origin": origin})
            assert (await ws.receive_json(timeout=5))["phone"] == "PJSIP/8101"
            admin_headers = await demo_login(admin, "admin")

            response = await admin.post("/admin/users/agent01/active", json={"active": False}, headers=admin_headers)
            assert response.status == 200
            msg, took = await closed_within(ws, 1.0)
            assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4401, "账号已停用，请联系管理员")
            assert took < 1.0
            assert members(hotline) == {"PJSIP/8102"}  # Asterisk itself no longer rings agent01's phone
            membership = hotline.engine.services["membership"]
            assert [m.interface for m in membership.members("standin")] == ["PJSIP/8102"]
            audit = (await hotline.app[CONSOLE].audit.recent(1))[0]
            assert (audit.action, audit.target) == ("admin.user.active",
                                                    "agent01 disabled: 1 sessions, 1 pages, left hotline-general")
            assert (await desk1.get("/agent/state", headers=JSON)).status == 401  # HTTP session gone too

            hotline.call("13800138000", "张伟")
            pops = hotline.app[CONSOLE].pops
            await until(lambda: pops.view("PJSIP/8102") is not None, timeout=15)
            assert pops.view("PJSIP/8101") is None
        finally:
            for c in (desk1, desk2, admin):
                await c.close()


@pytest.fixture
async def console(tmp_path):
    async with running_console(make_config(tmp_path), MovableClock()) as (app, client):
        yield app, client


async def _open(client: TestClient, path: str):
    return await client.ws_connect(path, headers={"Origin": str(client.make_url("")).rstrip("/")})


@pytest.mark.parametrize("change, body, reason", [
    ("roles", {"roles": ["agent"]}, "您的权限已变更，请重新登录"),
    ("password", {"password": "a-new-password-77"}, "密码已修改，请重新登录"),
])
async def test_given_an_open_wallboard_when_a_role_is_removed_or_the_password_reset_then_it_closes_at_once(
        console, change, body, reason):
    app, client = console
    accounts = app[ENGINE].services["accounts"]
    await accounts.add_user("lead01", "correct-horse-12", ["agent", "supervisor"], "班长01")
    board, admin = SharedClient(client), SharedClient(client)
    try:
        await login(board, "lead01")
        ws = await _open(board, "/wallboard/live")
        await ws.receive_json(timeout=5)
        await login(admin, "boss")
        headers = {**JSON, "X-CSRF-Token": await csrf_of(admin)}
        response = await admin.post(f"/admin/users/lead01/{change}", json=body, headers=headers)
        assert response.status == 200, await response.text()
        msg, took = await closed_within(ws, 1.0)
        assert (msg.data, msg.extra) == (4401, reason) and took < 1.0
        assert (await board.get("/wallboard", allow_redirects=False)).status == 302  # to the login form
    finally:
        await board.close()
        await admin.close()


async def test_given_a_role_added_when_saved_then_the_users_open_pages_stay(console):
    app, client = console
    desk, admin = SharedClient(client), SharedClient(client)
    try:
        await login(desk, "agent01")
        ws = await _open(desk, "/agent/live")
        await ws.receive_json(timeout=5)
        await login(admin, "boss")
        headers = {**JSON, "X-CSRF-Token": await csrf_of(admin)}
        response = await admin.post("/admin/users/agent01/roles", json={"roles": ["agent", "supervisor"]},
                                    headers=headers)
        assert response.status == 200
        assert not ws.closed and app[CONSOLE].hub is not None and len(app[CONSOLE].hub) == 1
        assert (await desk.get("/wallboard", allow_redirects=False)).status == 200
        await ws.close()
    finally:
        await desk.close()
        await admin.close()
