"""回访 through the stand-in: the agent's click-to-call rings the agent's own phone, then the
simulated citizen with the line's outbound caller ID; what the agent records reopens (重办) or
closes the ticket, and three failed attempts close it as 无法回访. All over HTTP as the page does."""
from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

from hotline.ami import events as ev

KEY = "callbacks-flow-test-key-0123456789abcdef"
AGENT, AGENT_PASSWORD = "agent01", "demo-agent-01"  # hotline.demo accounts, seeded by running_hotline
CITIZEN = "13800138000"
CONFIG = {"console": {"session_key": KEY},
          "callbacks": {"due_after_minutes": 0, "retry_after_minutes": 0, "agent_ring_seconds": 20,
                        "citizen_ring_seconds": 10, "caller_ids": {"12345": "057112345"}}}
JSON = {"Accept": "application/json"}


async def until(predicate, timeout: float = 15.0):
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(0.05)


@asynccontextmanager
async def signed_in(hotline, username: str = AGENT, password: str = AGENT_PASSWORD):
    """The engine's console on a real socket, and a browser-like client signed in as `username`."""
    site = web.TCPSite(hotline.runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the ephemeral port
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        form = await (await http.get("/login")).text()
        token = re.search(r'name="login_token" value="([^"]+)"', form).group(1)
        response = await http.post("/login", data={"username": username, "password": password, "login_token": token},
                                   allow_redirects=False)
        assert response.status == 302, await response.text()
        page = await (await http.get("/callbacks")).text()
        csrf = re.search(r'<meta name="csrf-token" content="([^"]*)"', page).group(1)
        yield http, {**JSON, "X-CSRF-Token": csrf}


async def replied_ticket(tickets, content: str = "小区旁工地夜间施工噪音扰民") -> str:
    draft = await tickets.create_draft(actor="ivr", caller=CITIZEN, line_dialed="12345", content=content)
    await tickets.register(draft.number, AGENT, request_type="complaint", content=content)
    await tickets.dispatch(draft.number, "scjgj", [], AGENT)
    await tickets.accept(draft.number, "scjgj", "dept01")
    await tickets.reply(draft.number, "已责令工地22时后停止施工", "dept01", dept="scjgj", contact="电话联系市民")
    return draft.number


async def call_and_wait(http, headers, number: str, final: set[str]) -> dict:
    started = await http.post(f"/callbacks/{number}/call", headers=headers)
    assert started.status == 200, await started.text()
    assert (await started.json())["call"]["state"] == "ringing_agent"

    async def state():
        body = await (await http.get(f"/callbacks/{number}/call", headers=JSON)).json()
        return body["call"] if body["call"]["state"] in final else None
    return await until(state)


async def test_click_to_call_rings_agent_then_citizen_and_dissatisfied_reopens_then_satisfied_closes(tmp_path):
    from hotline.testing import running_hotline

    async with running_hotline(tmp_path, config=CONFIG) as hotline:
        tickets = hotline.engine.services["tickets"]
        phone = hotline.add_agent("PJSIP/8101", "坐席01", ring_time=1.0, talk_time=3.0)
        citizen = hotline.add_callee(CITIZEN, ring_time=2.0)
        seen: list[tuple[str, str]] = []
        hotline.ami.subscribe(lambda e: seen.append((e.name, e.channel.channel)) if isinstance(e, ev.Newchannel) else None,
                              typed=True, inline=True, name="test-channels")
        number = await replied_ticket(tickets)

        async with signed_in(hotline) as (http, headers):
            page = await (await http.get("/callbacks")).text()
            row = page[page.index(f'data-number="{number}"'):]
            assert 'data-due="yes"' in row[:200] and "已责令工地22时后停止施工" in row and "138****8000" in row
            assert "外显号码 057112345" in row

            call = await call_and_wait(http, headers, number, {"ended", "citizen_failed", "agent_failed"})
            assert call["state"] == "ended" and call["dial_status"] == "ANSWER"
            assert (phone.calls, citizen.calls) == (1, 1)
            assert citizen.seen == ["057112345"]  # the line's outbound caller ID, from [callbacks] caller_ids
            channels = [name for _, name in seen]
            assert channels[0].startswith("PJSIP/8101-") and channels[1].startswith("PJSIP/trunk-")

            recorded = await http.post(f"/callbacks/{number}/record", headers=headers, data={
                "result": "reached", "resolved": "no", "satisfaction": "dissatisfied",
                "note": "晚上十点后还在施工，问题没有解决"})
            assert (await recorded.json())["message"] == "市民不满意或问题未解决，工单已重办退回原承办单位"

            again = await tickets.get(number)
            assert again.status.value == "dispatched" and again.lead_department.code == "scjgj"
            actions = [(e.action.value, e.detail) for e in await tickets.history(number)][-3:]
            assert actions[0][0] == "callback" and actions[0][1]["evaluation"] == "dissatisfied"
            assert actions[0][1]["resolved"] is False and actions[0][1]["channel"] == "agent"
            assert actions[1] == ("reopen", {"reason": "晚上十点后还在施工，问题没有解决",
                                             "complete_due": actions[1][1]["complete_due"]})
            assert actions[2][0] == "dispatch" and actions[2][1]["lead"] == "scjgj"
            assert "晚上十点后还在施工" in actions[2][1]["note"]
            assert number not in await (await http.get("/callbacks")).text()

            await tickets.accept(number, "scjgj", "dept01")  # the department handles it again
            await tickets.reply(number, "已查封夜间施工设备并每晚巡查", "dept01", dept="scjgj", contact="上门")
            page = await (await http.get("/callbacks")).text()
            assert "已查封夜间施工设备并每晚巡查" in page and "第 2 轮（重办后）" in page

            call = await call_and_wait(http, headers, number, {"ended", "citizen_failed", "agent_failed"})
            assert call["dial_status"] == "ANSWER" and citizen.calls == 2
            recorded = await http.post(f"/callbacks/{number}/record", headers=headers, data={
                "result": "reached", "resolved": "yes", "satisfaction": "satisfied", "note": "现在安静了"})
            assert (await recorded.json())["message"] == "回访完成，工单已办结"

        closed = await tickets.get(number)
        assert closed.status.value == "closed" and closed.evaluation.value == "satisfied"
        attempts = await hotline.engine.services["callbacks"].attempts(number)
        assert [(a.attempt_no, a.round, a.channel.value, a.outcome.value, a.resolved, a.satisfaction.value, a.actor)
                for a in attempts] == [(1, 1, "agent", "reached", False, "dissatisfied", AGENT),
                                       (2, 2, "agent", "reached", True, "satisfied", AGENT)]


async def test_three_failed_attempts_busy_no_answer_and_unreachable_close_the_ticket_as_unreachable(tmp_path):
    from hotline.testing import running_hotline

    async with running_hotline(tmp_path, config=CONFIG) as hotline:
        tickets = hotline.engine.services["tickets"]
        hotline.add_agent("PJSIP/8101", "坐席01", ring_time=1.0, talk_time=30.0)  # stays on while it rings out
        citizen = hotline.add_callee(CITIZEN, ring_time=1.0, reject=True)
        number = await replied_ticket(tickets)

        async with signed_in(hotline) as (http, headers):
            outcomes = []
            for attempt in range(3):
                if attempt == 1:
                    citizen.reject, citizen.answer = False, False    # rings out
                if attempt == 2:
                    hotline.pbx.devices.endpoints.pop(citizen.interface)  # the number cannot be reached
                call = await call_and_wait(http, headers, number, {"citizen_failed", "agent_failed"})
                outcomes.append(call["dial_status"])
                await until(lambda: not hotline.engine.services["clicktocall"].latest(number, AGENT).active)
                recorded = await http.post(f"/callbacks/{number}/record", headers=headers,
                                           data={"result": "unreachable", "note": f"第{attempt + 1}次"})
                message = (await recorded.json())["message"]
                if attempt < 2:
                    assert message == "已记录本次无法联系，稍后再次回访"
                    assert (await tickets.get(number)).status.value == "replied"
                    page = await (await http.get("/callbacks")).text()
                    assert f"未联系 {attempt + 1} 次" in page
            assert outcomes == ["BUSY", "NOANSWER", "CHANUNAVAIL"]
            assert message == "已多次无法联系，工单按无法回访办结"

            late = await http.post(f"/callbacks/{number}/record", headers=headers, data={"result": "unreachable"})
            assert late.status == 409  # no fourth attempt on a closed ticket

        ticket = await tickets.get(number)
        assert ticket.status.value == "closed" and ticket.evaluation is None
        history = await tickets.history(number)
        tries = [e.detail["outcome"] for e in history if e.action.value == "callback_try"]
        assert tries == ["busy", "no_answer", "unreachable"]
        assert history[-2].action.value == "callback" and history[-2].detail["outcome"] == "unreachable"
        assert history[-1].action.value == "close" and history[-1].detail == {"reason": "无法回访"}
        attempts = await hotline.engine.services["callbacks"].attempts(number)
        assert [(a.attempt_no, a.outcome.value, a.note) for a in attempts] == [
            (1, "busy", "第1次"), (2, "no_answer", "第2次"), (3, "unreachable", "第3次")]
