"""Truthful live state through the stand-in running the shipped dialplan (issue 10.3): what the IVR's
free-agent check and the wallboard read while real calls go through queues."""
from __future__ import annotations

import asyncio

from asterisk_standin.people import Citizen
from hotline.testing import running_hotline


async def _until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


def citizen(number: str, dialed: str = "12345", **kw) -> Citizen:
    return Citizen(number, "市民", dialed=dialed, context="from-trunk", **kw)


def agent_state(floor, interface: str) -> str | None:
    agent = floor.agents.get(("standin", interface))
    return agent.state if agent is not None else None


async def test_a_caller_hanging_up_while_the_agent_rings_leaves_the_agent_free_for_the_next_caller(tmp_path):
    """Trace 02b on the stand-in: no AgentRingNoAnswer follows; the next caller must still go
    straight to the free agent, not to spoken intake as if nobody were free."""
    async with running_hotline(tmp_path) as hotline:
        floor, tickets = hotline.engine.services["floor"], hotline.engine.services["tickets"]
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", ring_time=60.0, talk_time=1.0)
        await _until(lambda: floor.available_agents("hotline-general") == 1)
        first = hotline.call(citizen("13800138051"))
        await _until(lambda: agent_state(floor, "PJSIP/8001") == "ringing")
        hotline.pbx.request_hangup(hotline.pbx.find_channel(first.channel), 16, soft=False)
        await hotline.finished(first)
        assert first.abandoned and first.answered_by is None
        await _until(lambda: agent_state(floor, "PJSIP/8001") == "idle")
        assert floor.available_agents("hotline-general") == 1
        figures = floor.service_level.figures("hotline-general")
        assert (figures["abandoned"], figures["timeout"]) == (1, 0)

        second = hotline.call(citizen("13800138052"))
        await _until(lambda: agent_state(floor, "PJSIP/8001") == "ringing")
        assert await tickets.search(caller="13800138052") == []   # no spoken intake: an agent was free
        hotline.pbx.request_hangup(hotline.pbx.find_channel(second.channel), 16, soft=False)
        await hotline.finished(second)


async def test_an_agent_talking_in_the_pool_is_busy_for_its_dedicated_line_too(tmp_path):
    """Signed in to hotline-general and line-12315; while talking in the pool the agent unpauses
    line-12315 only: Asterisk reports InCall 0 for that queue, yet the agent is still talking."""
    async with running_hotline(tmp_path) as hotline:
        floor, pbx = hotline.engine.services["floor"], hotline.pbx
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", ring_time=0.5, talk_time=600.0)
        pbx.queues.add_member("line-12315", "PJSIP/8001", name="坐席01", paused=True, reason="培训")
        await _until(lambda: floor.agents.get(("standin", "PJSIP/8001")) is not None
                     and floor.agents[("standin", "PJSIP/8001")].queues == {"hotline-general", "line-12315"})
        call = hotline.call(citizen("13800138053"))
        await _until(lambda: call.answered_by == "PJSIP/8001")
        await _until(lambda: agent_state(floor, "PJSIP/8001") == "talking")
        seen = []
        floor.listeners.append(lambda kind, e: seen.append(e) if kind == "QueueMemberPause" else None)
        pbx.queues.pause_member("line-12315", "PJSIP/8001", False, "")
        await _until(lambda: any(e.queue == "line-12315" and e.paused is False and e.in_call is False for e in seen))
        assert agent_state(floor, "PJSIP/8001") == "talking"
        assert floor.available_agents("line-12315") == 0 and floor.available_agents("hotline-general") == 0
        pbx.request_hangup(pbx.find_channel(call.channel), 16, soft=False)
        await hotline.finished(call)
        await _until(lambda: agent_state(floor, "PJSIP/8001") == "idle")
        assert floor.available_agents("line-12315") == 1


async def test_an_agent_signed_out_during_a_call_is_gone_from_the_floor_after_it(tmp_path):
    async with running_hotline(tmp_path) as hotline:
        floor, pbx = hotline.engine.services["floor"], hotline.pbx
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", ring_time=0.5, talk_time=3.0)
        await _until(lambda: floor.available_agents("hotline-general") == 1)
        call = hotline.call(citizen("13800138054"))
        await _until(lambda: agent_state(floor, "PJSIP/8001") == "talking")
        assert pbx.queues.remove_member("hotline-general", "PJSIP/8001") == "ok"
        await _until(lambda: agent_state(floor, "PJSIP/8001") is None)
        await hotline.finished(call)           # AgentComplete arrives after the removal
        await asyncio.sleep(0.2)
        assert agent_state(floor, "PJSIP/8001") is None
        assert floor.snapshot()["agents"] == []
