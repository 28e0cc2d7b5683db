"""Emergency linkage and sub-center transfers from the console, through the stand-in running the
shipped dialplan: what the citizen, the agent and the ledger live through."""
from __future__ import annotations

import asyncio

from asterisk_standin.people import hangup
from transfer_support import assert_no_stray_tasks, login, transfer_hotline, until

AGENT = "PJSIP/8101"  # agent01's phone (demo accounts)
FIRE = "PJSIP/119@emergency-trunk"


async def _connected(hotline, citizen_number: str, **agent_behaviour):
    """Agent 坐席01 in the pool, a citizen calling 12345 and talking with the agent."""
    phone = hotline.add_phone(AGENT, "坐席01", queue="hotline-general", **({"talk_time": 600} | agent_behaviour))
    await until(lambda: hotline.engine.services["floor"].available_agents("hotline-general") == 1)
    out = hotline.call(citizen_number, "张伟", script=[hangup(at=900)])
    await until(lambda: hotline.transfers.calls.of(AGENT) is not None)
    return phone, out, hotline.transfers.calls.of(AGENT)


async def _entry(hotline, entry_id: int, done=lambda e: e.ended_at is not None, timeout: float = 10.0):
    async with asyncio.timeout(timeout):
        return await hotline.transfers.wait_for(entry_id, done)


async def _back_with_the_agent(hotline, phone, out, ticket: str) -> list[str]:
    """[emergency-failed]: the citizen is first in line, the agent answers again; the ticket's linkage results."""
    await until(lambda: phone.calls == 2)
    await until(lambda: getattr(hotline.transfers.calls.of(AGENT), "citizen_channel", None) == out.channel)
    await hotline.transfers.drain()
    history = await hotline.engine.services["tickets"].history(ticket)
    return [e.detail["result"] for e in history if e.action.value == "linkage"]


async def _ticket(hotline, caller: str) -> str:
    view = await hotline.engine.services["tickets"].create_draft(caller=caller)
    return view.number


async def test_given_a_citizen_with_an_agent_when_the_agent_clicks_119_blind_then_the_citizen_reaches_119_and_the_agent_is_freed(tmp_path):
    async with transfer_hotline(tmp_path) as hotline:
        fire = hotline.add_phone(FIRE, "119指挥中心", talk_time=600)
        phone, out, call = await _connected(hotline, "13800138001")
        ticket = await _ticket(hotline, "13800138001")
        headers = await login(hotline.client, "agent01")
        response = await hotline.client.post("/transfer/emergency", headers=headers, json={
            "target": "119", "mode": "blind", "summary": "小区3号楼起火，有人被困", "ticket": ticket})
        assert response.status == 200, await response.text()
        entry_id = (await response.json())["transfer"]["id"]
        answered = await _entry(hotline, entry_id, done=lambda e: e.result == "answered")
        assert fire.calls == 1
        await until(lambda: hotline.bridged_endpoints(out.channel) == [fire])
        await until(lambda: hotline.pbx.find_channel(call.agent_channel) is None)  # the agent is free again
        assert (answered.mode, answered.target, answered.actor, answered.ticket) == ("blind", "119", "agent01", ticket)
        assert answered.citizen_number == "13800138001" and answered.summary == "小区3号楼起火，有人被困"
        hotline.hang_up(out.channel)
        ended = await _entry(hotline, entry_id)
        assert ended.state == "ended" and ended.answered_at <= ended.ended_at
        await hotline.transfers.drain()
        history = await hotline.engine.services["tickets"].history(ticket)
        (linkage,) = [e for e in history if e.action.value == "linkage"]
        assert linkage.detail["target"] == "119" and linkage.detail["result"] == "answered"
        assert linkage.detail["trigger_kind"] == "agent_blind"
    assert_no_stray_tasks()


async def test_given_an_unclear_case_when_the_agent_starts_a_threeway_with_119_and_leaves_then_citizen_and_119_stay(tmp_path):
    async with transfer_hotline(tmp_path) as hotline:
        fire = hotline.add_phone(FIRE, "119指挥中心", talk_time=600)
        phone, out, call = await _connected(hotline, "13800138002")
        headers = await login(hotline.client, "agent01")
        response = await hotline.client.post("/transfer/emergency", headers=headers,
                                             json={"target": "119", "mode": "threeway", "summary": "疑似燃气泄漏"})
        assert response.status == 200, await response.text()
        entry_id = (await response.json())["transfer"]["id"]
        conference = f"linkage-{entry_id}"
        await until(lambda: len(hotline.conference(conference)) == 3)  # citizen, agent, 119 (三方通话)
        assert {out.channel, call.agent_channel} <= hotline.conference(conference)
        entry = await _entry(hotline, entry_id, done=lambda e: e.state == "conference")
        assert entry.result == "answered" and entry.answered_at is not None and entry.ended_at is None

        left = await hotline.client.post(f"/transfer/{entry_id}/leave", headers=headers)
        assert left.status == 200, await left.text()
        await _entry(hotline, entry_id, done=lambda e: e.state == "handed_over")
        remaining = hotline.conference(conference)
        assert out.channel in remaining and len(remaining) == 2 and call.agent_channel not in remaining
        assert [m.chan.endpoint for m in hotline.pbx.conferences[conference].members if m.chan.name != out.channel] == [fire]

        hotline.hang_up(out.channel)
        ended = await _entry(hotline, entry_id)
        assert (ended.state, ended.result, ended.mode) == ("ended", "answered", "threeway")
        await until(lambda: conference not in hotline.pbx.conferences)  # 119 is not left alone in it
    assert_no_stray_tasks()


async def test_given_a_taken_119_line_when_the_agent_transfers_blind_then_the_citizen_comes_back_to_the_agent_first_in_line(tmp_path):
    async with transfer_hotline(tmp_path) as hotline:
        fire = hotline.add_phone(FIRE, "119指挥中心")
        fire.busy = True  # the stand-in refuses a taken phone at request time: DIALSTATUS=CHANUNAVAIL
        phone, out, call = await _connected(hotline, "13800138003")
        ticket = await _ticket(hotline, "13800138003")
        headers = await login(hotline.client, "agent01")
        response = await hotline.client.post("/transfer/emergency", headers=headers,
                                             json={"target": "119", "mode": "blind", "ticket": ticket})
        entry = await _entry(hotline, (await response.json())["transfer"]["id"])
        # A phone taken at request time: no leg, only DIALSTATUS "" then CHANUNAVAIL, which the ledger records
        # as failed (a line that rings and declines is BUSY: see the next test).
        assert (entry.state, entry.result, entry.detail, entry.answered_at) == ("failed", "failed", "CHANUNAVAIL", None)
        assert await _back_with_the_agent(hotline, phone, out, ticket) == ["failed"]
    assert_no_stray_tasks()


async def test_given_a_119_line_that_declines_when_the_agent_transfers_blind_then_the_ledger_says_busy(tmp_path):
    """The dial rings, the line answers 486: Dial() publishes DIALSTATUS "", DialBegin, DialEnd BUSY, DIALSTATUS=BUSY."""
    async with transfer_hotline(tmp_path) as hotline:
        fire = hotline.add_phone(FIRE, "119指挥中心", ring_time=0.5, reject=True)
        phone, out, call = await _connected(hotline, "13800138007")
        ticket = await _ticket(hotline, "13800138007")
        headers = await login(hotline.client, "agent01")
        response = await hotline.client.post("/transfer/emergency", headers=headers,
                                             json={"target": "119", "mode": "blind", "ticket": ticket})
        assert response.status == 200, await response.text()
        entry = await _entry(hotline, (await response.json())["transfer"]["id"])
        assert (entry.state, entry.result, entry.detail, entry.answered_at) == ("busy", "busy", "BUSY", None)
        assert fire.calls == 0
        assert await _back_with_the_agent(hotline, phone, out, ticket) == ["busy"]
    assert_no_stray_tasks()


async def test_given_a_threeway_to_a_busy_line_when_it_fails_then_citizen_and_agent_never_stopped_talking(tmp_path):
    async with transfer_hotline(tmp_path) as hotline:
        fire = hotline.add_phone(FIRE, "119指挥中心")
        fire.busy = True
        phone, out, call = await _connected(hotline, "13800138004")
        headers = await login(hotline.client, "agent01")
        response = await hotline.client.post("/transfer/emergency", headers=headers,
                                             json={"target": "119", "mode": "threeway"})
        entry = await _entry(hotline, (await response.json())["transfer"]["id"])
        # Real Asterisk says Reason 5 (busy); the stand-in reports Reason 0 for every failed Originate.
        assert entry.result in ("busy", "failed") and entry.answered_at is None, entry
        assert hotline.bridged_with(out.channel) == {call.agent_channel}
    assert_no_stray_tasks()


async def test_given_a_sub_center_that_does_not_answer_when_transferring_attended_then_the_citizen_stays_with_the_agent(tmp_path):
    async with transfer_hotline(tmp_path) as hotline:
        subcenter = hotline.add_phone("PJSIP/9001", "供电分中心", answer=False)
        phone, out, call = await _connected(hotline, "13800138005")
        ticket = await _ticket(hotline, "13800138005")
        headers = await login(hotline.client, "agent01")
        response = await hotline.client.post("/transfer/subcenter", headers=headers, json={
            "target": "PJSIP/9001", "mode": "attended", "summary": "停电报修", "ticket": ticket})
        assert response.status == 200, await response.text()
        entry_id = (await response.json())["transfer"]["id"]
        await until(lambda: subcenter.busy)  # it rings
        entry = await _entry(hotline, entry_id)
        # Real Asterisk: Reason 3 (no answer); the stand-in reports Reason 0 for every failed Originate.
        assert entry.result in ("no_answer", "failed") and entry.kind == "subcenter" and entry.mode == "attended"
        assert hotline.bridged_with(out.channel) == {call.agent_channel}
        await hotline.transfers.drain()
        history = await hotline.engine.services["tickets"].history(ticket)
        (linkage,) = [e for e in history if e.action.value == "linkage"]
        assert (linkage.detail["target"], linkage.detail["trigger_kind"]) == ("PJSIP/9001", "sub_attended")
    assert_no_stray_tasks()


async def test_given_a_sub_center_that_does_not_answer_when_transferring_blind_then_the_call_returns_to_the_pool(tmp_path):
    async with transfer_hotline(tmp_path) as hotline:
        hotline.add_phone("PJSIP/9001", "供电分中心", answer=False)
        phone, out, call = await _connected(hotline, "13800138006")
        headers = await login(hotline.client, "agent01")
        response = await hotline.client.post("/transfer/subcenter", headers=headers,
                                             json={"target": "PJSIP/9001", "mode": "blind"})
        assert response.status == 200, await response.text()
        entry = await _entry(hotline, (await response.json())["transfer"]["id"], timeout=15)
        assert (entry.state, entry.result) == ("no_answer", "no_answer")
        await until(lambda: phone.calls == 2)  # [hotline-route] subcenter → back to the pool, the agent answers
        await until(lambda: getattr(hotline.transfers.calls.of(AGENT), "citizen_channel", None) == out.channel)
    assert_no_stray_tasks()


async def test_given_the_console_names_no_ticket_when_the_agent_transfers_then_the_ledger_names_the_calls_own_ticket(tmp_path):
    """Issue 9.6: the IVR's draft belongs to the call (same Linkedid); the ledger row says which it is."""
    async with transfer_hotline(tmp_path) as hotline:
        hotline.add_phone(FIRE, "119指挥中心", talk_time=600)
        phone, out, call = await _connected(hotline, "13800138011")
        other = await _ticket(hotline, "13800138011")                      # an earlier request of the same citizen
        own = (await hotline.engine.services["tickets"].create_draft(caller="13800138011", call_id=call.linkedid)).number
        headers = await login(hotline.client, "agent01")
        response = await hotline.client.post("/transfer/emergency", headers=headers,
                                             json={"target": "119", "mode": "blind"})
        assert response.status == 200, await response.text()
        entry = await _entry(hotline, (await response.json())["transfer"]["id"], done=lambda e: e.result == "answered")
        assert entry.ticket == own != other
        hotline.hang_up(out.channel)
        await _entry(hotline, entry.id)
        await hotline.transfers.drain()
        assert any(e.action.value == "linkage" for e in await hotline.engine.services["tickets"].history(own))
    assert_no_stray_tasks()


async def test_given_the_shipped_95598_sub_center_with_only_a_queue_when_transferring_blind_then_its_agent_answers(tmp_path):
    """Issue 9.6: 95598 has a queue (subcenter-95598) and no dial string; the transfer reaches its seats."""
    async with transfer_hotline(tmp_path) as hotline:
        seat = hotline.add_phone("PJSIP/9501", "供电分中心01", queue="subcenter-95598", talk_time=600)
        phone, out, call = await _connected(hotline, "13800138021")
        headers = await login(hotline.client, "agent01")
        listed = await (await hotline.client.get("/agent/subcenters", headers=headers)).json()
        assert {"line": "95598", "name": "电力服务热线"} in [{k: s[k] for k in ("line", "name")} for s in listed["subcenters"]]
        response = await hotline.client.post("/transfer/subcenter", headers=headers,
                                             json={"line": "95598", "mode": "blind", "summary": "停电报修"})
        assert response.status == 200, await response.text()
        entry = await _entry(hotline, (await response.json())["transfer"]["id"], done=lambda e: e.result is not None)
        assert (entry.kind, entry.target, entry.result) == ("subcenter", "95598", "answered")
        assert seat.calls == 1 and out.channel in {c.name for c in hotline.pbx.channels.values()}
        await until(lambda: hotline.transfers.calls.of(AGENT) is None)  # the 12345 agent is free again
    assert_no_stray_tasks()


async def test_given_the_95598_queue_when_transferring_attended_then_its_agent_joins_citizen_and_agent(tmp_path):
    async with transfer_hotline(tmp_path) as hotline:
        seat = hotline.add_phone("PJSIP/9501", "供电分中心01", queue="subcenter-95598", talk_time=600)
        phone, out, call = await _connected(hotline, "13800138022")
        headers = await login(hotline.client, "agent01")
        response = await hotline.client.post("/transfer/subcenter", headers=headers,
                                             json={"line": "95598", "mode": "attended"})
        assert response.status == 200, await response.text()
        entry = await _entry(hotline, (await response.json())["transfer"]["id"], done=lambda e: e.state == "conference",
                             timeout=20.0)  # a loaded CI machine: Originate, queue and ConfBridge take their time
        assert (entry.target, entry.mode) == ("95598", "attended") and seat.calls == 1
        others = hotline.bridged_with(out.channel)  # 三方: the citizen hears the 12345 agent and the 95598 seat
        assert call.agent_channel in others and any(name.startswith("Local/subcenter-95598@") for name in others), others
    assert_no_stray_tasks()
