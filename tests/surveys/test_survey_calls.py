"""语音回访 through the stand-in running the shipped [hotline-survey] dialplan: the engine Originates the
citizen's phone, the FastAGI `survey` route asks by DTMF, the answer lands on the ticket. The survey's
clock is controlled (calling hours 09:00–20:00 Asia/Shanghai); its pass is driven by hand."""
from __future__ import annotations

import asyncio

import pytest
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from asterisk_standin.surveyed import SurveyedCitizen
from hotline.testing import running_hotline
from tickets.codes import Action

SHANGHAI = ZoneInfo("Asia/Shanghai")
CITIZEN = "13800138000"
CONFIG = {"survey": {"enabled": True, "tick_seconds": 3600, "due_after_minutes": 0, "retry_after_minutes": 60,
                     "ring_seconds": 10, "max_attempts": 3}}
ANSWERS = {"hotline/survey-resolved": "1", "hotline/survey-satisfaction": "3"}


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def local(day_offset: int, hh: int, mm: int = 0) -> datetime:
    """hh:mm Shanghai time, `day_offset` days after today (always after the tickets' real clock)."""
    today = datetime.now(SHANGHAI).date()
    return datetime.combine(today + timedelta(days=day_offset), time(hh, mm), SHANGHAI).astimezone(UTC)


async def replied_ticket(tickets, caller: str = CITIZEN) -> str:
    content = "小区旁工地夜间施工噪音扰民"
    draft = await tickets.create_draft(actor="ivr", caller=caller, line_dialed="12345", content=content)
    await tickets.register(draft.number, "agent01", request_type="complaint", content=content)
    await tickets.dispatch(draft.number, "scjgj", [], "agent01")
    await tickets.accept(draft.number, "scjgj", "dept01")
    await tickets.reply(draft.number, "已责令工地22时后停止施工", "dept01", dept="scjgj", contact="电话联系市民")
    return draft.number


async def until(predicate, timeout: float = 15.0):
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(0.05)


def citizen_on(hotline, **behaviour) -> SurveyedCitizen:
    phone = SurveyedCitizen(CITIZEN, **behaviour)
    phone.register(hotline.pbx)
    return phone


async def job_settled(service, number: str, statuses=("done", "pending", "gave_up", "blocked")):
    async def settled():
        jobs = await service.store.jobs(number)
        return jobs[-1] if jobs and jobs[-1].status in statuses else None
    return await until(settled)


async def test_replied_ticket_survey_call_citizen_presses_3_reopens_to_the_same_department(tmp_path):
    async with running_hotline(tmp_path, config=CONFIG) as hotline:
        tickets = hotline.engine.services["tickets"]
        service = hotline.engine.services["surveys"]
        service.clock = Clock(local(1, 10))
        number = await replied_ticket(tickets)
        phone = citizen_on(hotline, keys=ANSWERS)
        dialed = await service.tick()
        assert [j.ticket_number for j in dialed] == [number]
        job = await job_settled(service, number)
        assert (job.status, job.resolved, job.satisfaction, job.result) == ("done", True, "dissatisfied", "reopened")
        assert phone.calls == 1 and phone.seen == ["12345"]
        # the citizen heard which request: the intro, the ticket number digit by digit, its category
        assert f'SAY DIGITS {number} ""' in phone.heard
        assert 'STREAM FILE hotline/category-complaint ""' in phone.heard
        ticket = await tickets.get(number)
        assert ticket.status.value == "dispatched" and ticket.lead_department.code == "scjgj"
        actions = [e.action for e in await tickets.history(number)]
        assert actions[-3:] == [Action.CALLBACK, Action.REOPEN, Action.DISPATCH]
        assert await service.tick() == []  # surveyed once: the reopened ticket is not called again


async def test_busy_then_no_answer_retry_only_at_allowed_hours_then_answered_closes(tmp_path):
    async with running_hotline(tmp_path, config=CONFIG) as hotline:
        tickets = hotline.engine.services["tickets"]
        service = hotline.engine.services["surveys"]
        clock = service.clock = Clock(local(1, 19, 30))
        number = await replied_ticket(tickets)
        phone = citizen_on(hotline, busy=True, keys={"hotline/survey-resolved": "1",
                                                     "hotline/survey-satisfaction": "1"})
        assert len(await service.tick()) == 1
        job = await job_settled(service, number)
        # busy at 19:30: retry 60 min later would be 20:30, at night: the next morning 09:00 instead
        assert (job.status, job.last_outcome, job.attempts) == ("pending", "busy", 1)
        assert job.next_at == local(2, 9)
        clock.at = local(1, 22)
        assert await service.tick() == [] and phone.calls == 1   # never at night
        clock.at = local(2, 8, 59)
        assert await service.tick() == [] and phone.calls == 1
        phone.busy, phone.answer = False, False                 # rings out next time
        clock.at = local(2, 9)
        assert len(await service.tick()) == 1
        job = await job_settled(service, number)
        assert (job.status, job.last_outcome, job.attempts, job.next_at) == ("pending", "no_answer", 2, local(2, 10))
        assert phone.calls == 2 and phone.answered == 0
        phone.answer = True
        clock.at = local(2, 10)
        assert len(await service.tick()) == 1
        job = await job_settled(service, number, ("done",))
        assert (job.result, job.attempts) == ("closed", 3)
        assert (await tickets.get(number)).status.value == "closed"


async def test_do_not_call_number_is_never_dialed(tmp_path):
    async with running_hotline(tmp_path, config=CONFIG) as hotline:
        tickets = hotline.engine.services["tickets"]
        service = hotline.engine.services["surveys"]
        service.clock = Clock(local(1, 10))
        phone = citizen_on(hotline, keys=ANSWERS)
        await service.store.block(CITIZEN, "市民要求不再回访", service.clock())
        number = await replied_ticket(tickets)
        assert await service.tick() == []
        later = await replied_ticket(tickets)          # a second request from the same number
        service.clock.at = local(1, 15)
        assert await service.tick() == []
        await asyncio.sleep(0.5)
        assert phone.calls == 0 and service.dialed == []
        # never put on the survey: both go to the agents' 回访 page, and the history says why
        assert await service.store.jobs() == []
        assert (await tickets.get(number)).status.value == "replied"
        due = await hotline.engine.services["callbacks"].due(service.clock())
        assert sorted(i.ticket.number for i in due) == sorted([number, later])
        routed = [e.detail for e in await tickets.history(number) if e.action is Action.CALLBACK_ROUTE]
        assert routed == [{"route": "agent", "reason": "do_not_call", "text": "号码在免打扰名单，转坐席处理"}]


async def test_hang_up_mid_survey_keeps_the_partial_answer_and_retries(tmp_path):
    async with running_hotline(tmp_path, config=CONFIG) as hotline:
        tickets = hotline.engine.services["tickets"]
        service = hotline.engine.services["surveys"]
        service.clock = Clock(local(1, 10))
        number = await replied_ticket(tickets)
        citizen_on(hotline, keys={"hotline/survey-resolved": "2"}, hang_up_on="hotline/survey-satisfaction")
        assert len(await service.tick()) == 1
        job = await job_settled(service, number)
        assert (job.status, job.last_outcome, job.resolved, job.satisfaction) == ("pending", "hung_up", False, None)
        assert job.next_at == local(1, 11)
        assert (await tickets.get(number)).status.value == "replied"


async def test_paused_survey_dials_nothing_until_resumed_and_a_number_blocked_meanwhile_goes_to_the_agents(tmp_path):
    async with running_hotline(tmp_path, config=CONFIG) as hotline:
        tickets = hotline.engine.services["tickets"]
        service = hotline.engine.services["surveys"]
        callbacks = hotline.engine.services["callbacks"]
        service.clock = Clock(local(1, 10))
        phone = citizen_on(hotline, keys=ANSWERS)
        number = await replied_ticket(tickets)
        other = await replied_ticket(tickets, caller="13900139000")
        await service.store.set_paused(True, "lead01", service.clock())
        assert await service.tick() == [] and await service.tick() == []
        assert {j.ticket_number: j.status for j in await service.store.jobs()} == {number: "pending", other: "pending"}
        assert phone.calls == 0 and await callbacks.due(service.clock()) == []   # waiting on the survey's queue
        await service.store.block("13900139000", "市民要求不再回访", service.clock())
        await service.store.set_paused(False, "lead01", service.clock())
        assert [j.ticket_number for j in await service.tick()] == [number]
        assert [i.ticket.number for i in await callbacks.due(service.clock())] == [other]
        [job] = await service.store.jobs(other)
        assert (job.status, job.result) == ("blocked", "to_agent")
        reasons = [e.detail["reason"] for e in await tickets.history(other) if e.action is Action.CALLBACK_ROUTE]
        assert reasons == ["default", "do_not_call"]
        await job_settled(service, number, ("done",))


async def test_a_supervisor_moves_a_waiting_survey_job_to_the_agents_over_http(tmp_path):
    import re

    import aiohttp
    from aiohttp import web

    config = {**CONFIG, "console": {"session_key": "survey-move-key-0123456789abcdefXYZ"}}
    async with running_hotline(tmp_path, config=config) as hotline:
        tickets = hotline.engine.services["tickets"]
        service = hotline.engine.services["surveys"]
        service.clock = Clock(local(1, 10))
        number = await replied_ticket(tickets)
        await service.store.set_paused(True, "banzhang", service.clock())
        await service.tick()
        [job] = await service.store.jobs(number)
        site = web.TCPSite(hotline.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            form = await (await http.get("/login")).text()
            token = re.search(r'name="login_token" value="([^"]+)"', form).group(1)
            await http.post("/login", data={"username": "banzhang", "password": "demo-supervisor", "login_token": token})
            page = await (await http.get("/surveys")).text()
            csrf = re.search(r'<meta name="csrf-token" content="([^"]*)"', page).group(1)
            assert f'action="/surveys/jobs/{job.id}/to-agent"' in page
            moved = await http.post(f"/surveys/jobs/{job.id}/to-agent", data={"csrf_token": csrf})
            assert moved.status == 200 and "已转坐席回访" in await moved.text()
            again = await http.post(f"/surveys/jobs/{job.id}/to-agent", data={"csrf_token": csrf})
            assert again.status == 409
        assert [i.ticket.number for i in await hotline.engine.services["callbacks"].due(service.clock())] == [number]
        reasons = [e.detail["reason"] for e in await tickets.history(number) if e.action is Action.CALLBACK_ROUTE]
        assert reasons == ["default", "moved_by_supervisor"]
        await service.store.set_paused(False, "banzhang", service.clock())
        assert await service.tick() == []             # the agents have it now: never dialed


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_engine_restart_while_the_survey_call_rings_loses_none_and_dials_none_twice(tmp_path):
    config = {"survey": {**CONFIG["survey"], "ring_seconds": 200}}
    async with running_hotline(tmp_path, config=config) as hotline:
        tickets = hotline.engine.services["tickets"]
        service = hotline.engine.services["surveys"]
        service.clock = Clock(local(1, 10))
        number = await replied_ticket(tickets)
        phone = citizen_on(hotline, ring_time=100.0, keys=ANSWERS)   # 100 s of ringing (5 s real)
        assert len(await service.tick()) == 1
        await until(lambda: phone.calls == 1)
        await hotline.kill_engine()
        await hotline.start_engine()
        fresh = hotline.engine.services["surveys"]
        fresh.clock = Clock(local(1, 10, 1))
        assert await fresh.tick() == []            # the job is out: not dialed again
        job = await job_settled(fresh, number, ("done",))
        assert (job.result, job.attempts) == ("reopened", 1)
        assert phone.calls == 1
        # read through the new engine: the killed one's database is gone with it
        assert (await hotline.engine.services["tickets"].get(number)).status.value == "dispatched"


async def test_a_number_on_the_configured_do_not_call_list_is_never_dialed(tmp_path):
    config = {"survey": {**CONFIG["survey"], "do_not_call": ["138-0013-8000"]}}
    async with running_hotline(tmp_path, config=config) as hotline:
        service = hotline.engine.services["surveys"]
        service.clock = Clock(local(1, 10))
        phone = citizen_on(hotline, keys=ANSWERS)
        number = await replied_ticket(hotline.engine.services["tickets"])
        assert await service.tick() == [] and await service.tick() == []
        assert phone.calls == 0 and await service.store.jobs(number) == []
        assert [i.ticket.number for i in await hotline.engine.services["callbacks"].due(service.clock())] == [number]

