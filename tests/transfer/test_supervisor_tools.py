"""班长台 (issue 14.4) through the stand-in running the shipped dialplan: a supervisor listens to an
agent's call (ChanSpy; the supervisor's own phone rings first), force-pauses and force-logs-out the
agent; each step audited, each refusal explained in Chinese."""
from __future__ import annotations

from aiohttp.test_utils import TestClient

from agent_console.context import CONSOLE
from transfer_support import login, transfer_hotline, until

AGENT, SUPERVISOR = "PJSIP/8101", "PJSIP/8103"


async def test_a_supervisor_listens_then_force_pauses_and_logs_out_an_agent(tmp_path):
    async with transfer_hotline(tmp_path) as hotline:
        seen: list[tuple[str, dict]] = []
        hotline.pbx.add_listener(lambda event, msg: seen.append((event, dict(msg))) if event.startswith("ChanSpy") else None)
        hotline.add_phone(AGENT, "坐席01", queue="hotline-general", talk_time=600)
        boss_phone = hotline.add_phone(SUPERVISOR, "值班长", ring_time=0.5, talk_time=600)
        floor = hotline.engine.services["floor"]
        await until(lambda: floor.available_agents("hotline-general") == 1)
        out = hotline.call("13800138074", "孙丽")
        await until(lambda: hotline.transfers.calls.of(AGENT) is not None)
        agent_channel = hotline.transfers.calls.of(AGENT).agent_channel

        agent_client = TestClient(hotline.client.server)  # the agent's own browser, beside the supervisor's
        agent_headers = await login(agent_client, "agent01")
        boss = await login(hotline.client, "banzhang")
        page = await (await hotline.client.get("/supervisor")).text()
        assert 'data-username="agent01"' in page and "通话中" in page
        bad = await hotline.client.post("/supervisor/agents/agent01/spy", headers=boss, json={"mode": "record"})
        assert bad.status == 400 and (await bad.json())["error"]["message"] == "请选择监听、耳语或强插"
        idle = await hotline.client.post("/supervisor/agents/agent02/spy", headers=boss, json={"mode": "listen"})
        assert idle.status == 409 and "当前没有通话" in (await idle.json())["error"]["message"]

        listen = await hotline.client.post("/supervisor/agents/agent01/spy", headers=boss, json={"mode": "listen"})
        assert listen.status == 200, await listen.text()
        await until(lambda: boss_phone.calls == 1)
        await until(lambda: any(e == "ChanSpyStart" for e, _ in seen))
        start = next(m for e, m in seen if e == "ChanSpyStart")
        assert start["SpyeeChannel"] == agent_channel
        audit = hotline.app[CONSOLE].audit
        (row,) = await audit.recent(1, username="banzhang", action="supervisor.listen")
        assert row.target.startswith("agent01 ")

        paused = await hotline.client.post("/supervisor/agents/agent01/pause", headers=boss)
        assert paused.status == 200
        await until(lambda: floor.agents[("standin", AGENT)].paused_reason == "班长强制示忙")

        out_ = await hotline.client.post("/supervisor/agents/agent01/logout", headers=boss)
        body = await out_.json()
        assert out_.status == 200 and body["left"] == ["hotline-general"], body
        await until(lambda: ("standin", AGENT) not in floor.agents)
        desk = await agent_client.get("/agent/state", headers=agent_headers, allow_redirects=False)
        assert desk.status == 401  # the agent's session ended with the forced log-out
        await agent_client.session.close()
        assert [r.action for r in await audit.recent(3, username="banzhang")][:2] == [
            "supervisor.force_logout", "supervisor.force_pause"]
        hotline.hang_up(out.channel)
