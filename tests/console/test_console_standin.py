"""The desk over HTTP against the stand-in's real AMI: Asterisk's refusals reach the agent in Chinese."""
from __future__ import annotations

import asyncio

import pytest

from asterisk_standin.people import Agent
from asterisk_standin.standin import Standin
from agent_console.context import CONSOLE
from console_support import MovableClock, assert_no_stray_tasks, csrf_of, login, make_config, running_console
from hotline.demo import prepare_asterisk_dir
from hotline.engine import ENGINE

JSON = {"Accept": "application/json"}


@pytest.fixture
async def switched(tmp_path):
    config = make_config(tmp_path)
    directory = await prepare_asterisk_dir(config, [], tmp_path / "asterisk", 4573)
    standin = Standin(directory, ami_port=0, auth_fail_delay=0.05, spool_dir=tmp_path / "spool")
    port = await standin.start()
    Agent("PJSIP/8101", "坐席01").register(standin.pbx)
    config = config.model_copy(update={"ami": config.ami.model_copy(update={
        "servers": [config.ami.servers[0].model_copy(update={"port": port})], "action_timeout": 0.5})})
    try:
        async with running_console(config, MovableClock(), telephony=True) as (app, client):
            await next(iter(app[ENGINE].ami.values())).wait_ready(timeout=5)
            await login(client, "agent01")
            token = await csrf_of(client, "/agent")
            yield app, client, {**JSON, "X-CSRF-Token": token}, standin
    finally:
        await standin.stop()
    assert_no_stray_tasks()


async def test_given_an_agent_in_a_queue_when_joining_again_then_asterisks_refusal_is_shown_in_chinese(switched):
    app, client, headers, standin = switched
    assert (await client.post("/agent/queues/hotline-general/join", headers=headers)).status == 200
    again = await client.post("/agent/queues/hotline-general/join", headers=headers)
    assert again.status == 409
    assert (await again.json())["error"] == {"id": "console.ami.refused", "message": "已在该队列中，无需重复签入",
                                             "detail": "Unable to add interface: Already there"}


async def test_given_an_agent_not_in_a_queue_when_leaving_or_pausing_then_refused_in_chinese(switched):
    app, client, headers, standin = switched
    leave = await client.post("/agent/queues/hotline-general/leave", headers=headers)
    assert (leave.status, (await leave.json())["error"]["message"]) == (409, "不在该队列中，无需签出")
    pause = await client.post("/agent/pause", json={"reason": "午休"}, headers=headers)
    assert (pause.status, (await pause.json())["error"]["message"]) == (409, "话机未签入任何队列，无法示忙/示闲")


async def test_given_a_queue_unknown_to_the_console_when_joining_then_nothing_reaches_asterisk(switched):
    app, client, headers, standin = switched
    response = await client.post("/agent/queues/line-99999/join", headers=headers)
    assert (response.status, (await response.json())["error"]["message"]) == (404, "没有这个队列")
    assert standin.pbx.queues.queues["hotline-general"].members == {}


async def test_given_the_switch_is_gone_when_pausing_then_the_agent_is_told_it_did_not_happen(switched):
    app, client, headers, standin = switched
    ami = next(iter(app[ENGINE].ami.values()))
    gone = asyncio.Event()
    ami.subscribe(lambda e: gone.set() if e.name == "AmiClientDisconnected" else None, typed=True, inline=True,
                  name="test-gone")
    await standin.stop()
    async with asyncio.timeout(5):
        await gone.wait()
    response = await client.post("/agent/unpause", headers=headers)
    assert response.status == 503
    assert (await response.json())["error"] == {
        "id": "console.ami.not_connected", "message": "未连接到交换机，操作没有执行，请稍后重试",
        "detail": "standin: not ready within 0.5 s for QueuePause"}
    state = await (await client.get("/agent/state", headers=JSON)).json()
    assert state["state"]["connected"] is False


async def test_given_an_open_live_socket_when_joining_then_the_pushed_state_shows_asterisks_answer(switched):
    app, client, headers, standin = switched
    origin = str(client.make_url("")).rstrip("/")
    async with client.ws_connect("/agent/live", headers={"Origin": origin}) as ws:
        first = await ws.receive_json(timeout=5)
        assert (first["state"], first["queues"][0]["joined"]) == ("logged_out", False)
        assert (await client.post("/agent/queues/hotline-general/join", headers=headers)).status == 200
        async with asyncio.timeout(5):
            while (pushed := await ws.receive_json())["state"] != "idle":
                pass
        assert pushed["state_label"] == "空闲" and pushed["queues"][0]["joined"] is True


async def test_given_another_origin_when_opening_the_live_socket_then_refused(switched):
    app, client, headers, standin = switched
    for extra in ({}, {"Origin": "http://127.0.0.1:1"}, {"Origin": "null"}):
        response = await client.get("/agent/live", headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                                            "Sec-WebSocket-Version": "13",
                                                            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", **extra})
        assert response.status == 403


async def test_given_an_agent_in_two_queues_when_logging_out_of_the_console_then_asterisk_rings_it_no_more(switched):
    """Issue 10.3: the person is gone, so the phone leaves every queue (the IVR would otherwise count it free)."""
    app, client, headers, standin = switched
    floor = app[ENGINE].services["floor"]
    assert (await client.post("/agent/queues/hotline-general/join", headers=headers)).status == 200
    from asterisk_standin.queue_model import Queue

    standin.pbx.queues.queues["line-12315"] = Queue("line-12315")  # a dedicated line's queue the console does not list
    assert standin.pbx.queues.add_member("line-12315", "PJSIP/8101", name="坐席01") == "ok"
    async with asyncio.timeout(5):
        while floor.available_agents("line-12315") != 1 or floor.available_agents("hotline-general") != 1:
            await asyncio.sleep(0.02)
    response = await client.post("/logout", headers=headers, allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/login"
    assert all("PJSIP/8101" not in q.members for q in standin.pbx.queues.queues.values())
    async with asyncio.timeout(5):
        while floor.agents:
            await asyncio.sleep(0.02)
    assert floor.available_agents("hotline-general") == 0 and floor.available_agents("line-12315") == 0
    rows = await app[CONSOLE].audit.recent(10, action="agent.queue_leave")
    assert {r.target for r in rows} >= {"hotline-general logout", "line-12315 logout"}


async def test_given_an_agent_in_a_queue_when_an_admin_disables_the_account_then_the_phone_leaves_the_queue(switched):
    app, client, headers, standin = switched
    floor = app[ENGINE].services["floor"]
    assert (await client.post("/agent/queues/hotline-general/join", headers=headers)).status == 200
    async with asyncio.timeout(5):
        while floor.available_agents("hotline-general") != 1:
            await asyncio.sleep(0.02)
    await client.post("/logout", headers=headers, allow_redirects=False)
    standin.pbx.queues.add_member("hotline-general", "PJSIP/8101", name="坐席01")  # signed in again from the phone
    async with asyncio.timeout(5):
        while floor.available_agents("hotline-general") != 1:
            await asyncio.sleep(0.02)
    await login(client, "boss")
    admin = {**JSON, "X-CSRF-Token": await csrf_of(client, "/admin/users")}
    response = await client.post("/admin/users/agent01/active", json={"active": False}, headers=admin)
    assert response.status == 200
    assert "PJSIP/8101" not in standin.pbx.queues.queues["hotline-general"].members
    async with asyncio.timeout(5):
        while floor.agents:
            await asyncio.sleep(0.02)
    rows = await app[CONSOLE].audit.recent(5, action="admin.user.active")
    assert rows[0].target == "agent01 disabled: 0 sessions, 0 pages, left hotline-general"
