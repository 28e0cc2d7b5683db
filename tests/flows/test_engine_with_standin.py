"""The engine against the Asterisk stand-in: a call runs the IVR route, enters a queue, an agent answers,
and the engine's own view (live floor, service level) shows it."""
from __future__ import annotations

import asyncio

from asterisk_standin.people import Citizen


async def _until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_a_call_runs_the_ivr_enters_the_pool_and_an_agent_answers(tmp_path):
    from hotline.testing import running_hotline

    async with running_hotline(tmp_path) as hotline:
        hotline.add_agent("PJSIP/8001", "坐席01", queue="hotline-general", talk_time=2.0)
        floor = hotline.engine.services["floor"]
        await _until(lambda: floor.available_agents("hotline-general") == 1)

        outcome = await hotline.finished(hotline.call(Citizen("13800138000", "张伟", dialed="12345",
                                                              context="from-trunk")))

        assert outcome.agistatus == "SUCCESS"
        assert outcome.queue == "hotline-general"
        assert outcome.answered_by == "PJSIP/8001"
        figures = floor.service_level.figures("hotline-general")
        assert (figures["offered"], figures["answered"]) == (1, 1)
        assert floor.waiting() == []
        assert hotline.engine.services["fastagi"].status().accepted == 1
