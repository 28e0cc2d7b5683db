"""Recordings belong to tickets (issue 14.6): a ticket the agent registers during the call carries the
call's recording, so a recordings search by 工单号 finds it."""
from __future__ import annotations

import asyncio

from agent_console.context import CONSOLE
from recordings.catalogue import Search
from transfer_support import login, transfer_hotline, until

AGENT = "PJSIP/8101"


async def test_a_ticket_registered_during_the_call_finds_the_calls_recording_by_its_number(tmp_path):
    async with transfer_hotline(tmp_path) as hotline:
        hotline.add_phone(AGENT, "坐席01", queue="hotline-general", talk_time=600)
        await until(lambda: hotline.engine.services["floor"].available_agents("hotline-general") == 1)
        out = hotline.call("13800138072", "王芳")
        await until(lambda: hotline.transfers.calls.of(AGENT) is not None)
        catalogue = hotline.engine.services["recordings"].catalogue
        async with asyncio.timeout(10):
            while not (recorded := await catalogue.search(Search(number="13800138072"))):
                await asyncio.sleep(0.05)
        linkedid = recorded[0].linkedid
        pops = hotline.app[CONSOLE].pops
        await until(lambda: pops.pop_of(AGENT) is not None)
        headers = await login(hotline.client, "agent01")
        draft = await (await hotline.client.post(f"/agent/pop/{linkedid}/draft", headers=headers)).json()
        number = draft["ticket"]["number"]
        assert await catalogue.search(Search(ticket=number)) == []  # nothing links it before 登记
        done = await hotline.client.post(f"/agent/tickets/{number}/complete", headers=headers, json={
            "then": "register", "request_type": "投诉", "content": "小区噪音扰民"})
        assert done.status == 200, await done.text()
        found = await catalogue.search(Search(ticket=number))
        assert [r.linkedid for r in found] == [linkedid]
        hotline.hang_up(out.channel)
