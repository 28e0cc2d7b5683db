"""The whole 回访 loop when the automated survey cannot reach the citizen, through the stand-in and a
headless Chromium: the survey call is busy, then rings out; with its tries used up the ticket moves to
the agents' 回访 page (in its history, and never on both lists); the agent clicks 一键呼叫, the citizen
answers, the agent records 满意 and the ticket is closed. The supervisor's 语音回访 page shows the job as
无法回访 → 已转坐席回访. The survey's clock is controlled (calling hours); its pass is driven by hand.

Screenshots go to $HOTLINE_SCREENSHOTS when set, else to the test's tmp dir."""
from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from playwright.async_api import expect

from asterisk_standin.surveyed import SurveyedCitizen
from browser_support import chromium, ui_login
from conftest import require_chromium
from tickets.codes import Action

pytestmark = [pytest.mark.browser]
CITIZEN = "13800138000"
SHANGHAI = ZoneInfo("Asia/Shanghai")
CONFIG = {"console": {"session_key": "survey-handover-key-0123456789abcdef"},
          "callbacks": {"due_after_minutes": 0, "caller_ids": {"12345": "057112345"}},
          "survey": {"enabled": True, "tick_seconds": 3600, "due_after_minutes": 0, "retry_after_minutes": 30,
                     "ring_seconds": 10, "max_attempts": 2}}


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def tomorrow(hh: int, mm: int = 0) -> datetime:
    day = datetime.now(SHANGHAI).date() + timedelta(days=1)
    return datetime.combine(day, time(hh, mm), SHANGHAI).astimezone(UTC)


async def settled(service, number: str, statuses: tuple[str, ...]):
    async with asyncio.timeout(20):
        while True:
            jobs = await service.store.jobs(number)
            if jobs and jobs[-1].status in statuses and (jobs[-1].status != "gave_up" or jobs[-1].result):
                return jobs[-1]
            await asyncio.sleep(0.05)


async def replied_ticket(tickets) -> str:
    """A citizen's 路灯损坏 ticket the 城管 department (dept02) has answered."""
    draft = await tickets.create_draft(actor="ivr", caller=CITIZEN, line_dialed="12345", content="路灯损坏")
    await tickets.register(draft.number, "agent01", request_type="help", content="路灯损坏")
    await tickets.dispatch(draft.number, "cgj", [], "agent01")
    await tickets.accept(draft.number, "cgj", "dept02")
    await tickets.reply(draft.number, "路灯已于当日修复", "dept02", dept="cgj", contact="电话")
    return draft.number


async def test_given_a_survey_that_fails_its_tries_when_an_agent_calls_back_satisfied_then_the_ticket_closes(tmp_path):
    from hotline.testing import running_hotline

    require_chromium()
    shots = Path(os.environ.get("HOTLINE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    async with running_hotline(tmp_path / "hotline", config=CONFIG) as hotline:
        tickets = hotline.engine.services["tickets"]
        survey = hotline.engine.services["surveys"]
        callbacks = hotline.engine.services["callbacks"]
        clock = survey.clock = Clock(tomorrow(10))
        number = await replied_ticket(tickets)

        phone = SurveyedCitizen(CITIZEN, ring_time=1.0, busy=True)
        phone.register(hotline.pbx)
        assert [j.ticket_number for j in await survey.tick()] == [number]
        job = await settled(survey, number, ("pending",))
        assert (job.last_outcome, job.next_at) == ("busy", tomorrow(10, 30))
        assert await callbacks.due(clock()) == []          # the survey's: not on the agents' list meanwhile
        phone.busy, phone.answer = False, False             # rings out the second time
        clock.at = tomorrow(10, 30)
        assert len(await survey.tick()) == 1
        job = await settled(survey, number, ("gave_up",))
        assert (job.attempts, job.last_outcome, job.result) == (2, "no_answer", "to_agent")
        assert phone.calls == 2 and phone.answered == 0
        assert [i.ticket.number for i in await callbacks.due(clock())] == [number]
        routes = [e.detail["reason"] for e in await tickets.history(number) if e.action is Action.CALLBACK_ROUTE]
        assert routes == ["default", "survey_failed"]
        assert (await tickets.get(number)).status.value == "replied"   # the survey's tries closed nothing

        hotline.add_agent("PJSIP/8101", "坐席01", ring_time=1.0, talk_time=60.0)
        citizen = hotline.add_callee(CITIZEN, ring_time=2.0)
        site = web.TCPSite(hotline.runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # noqa: SLF001
        async with chromium() as browser:
            page = await browser.new_page()
            await ui_login(page, base, "banzhang", "demo-supervisor", path="/surveys")
            await page.goto(base + "/surveys")
            row = page.locator(f'[data-testid="survey-jobs"] tr[data-ticket="{number}"]')
            await expect(row.get_by_test_id("state")).to_contain_text("无法回访")
            await expect(row.get_by_test_id("state")).to_contain_text("已转坐席回访")
            await expect(row.get_by_test_id("number")).to_have_text("138****8000")
            await page.screenshot(path=str(shots / "surveys-handed-over.png"), full_page=True)
            await row.get_by_role("button", name="显示完整号码").click()
            await expect(row.get_by_test_id("number")).to_have_text(CITIZEN)   # audited (test_console_surveys)
            await row.get_by_test_id("history").click()
            await expect(page.locator("body")).to_contain_text("转坐席回访；原因：语音回访多次未成功，转坐席回访")
            await expect(page.locator("body")).to_contain_text("语音回访；原因：默认由语音回访")

            await page.context.clear_cookies()
            await ui_login(page, base, "agent01", "demo-agent-01", path="/callbacks")
            await page.goto(base + "/callbacks")
            row = page.locator(f'tr[data-number="{number}"]')
            await expect(row).to_contain_text("路灯已于当日修复")
            await expect(row.get_by_test_id("why")).to_have_text("语音回访多次未成功，转坐席回访")
            await row.get_by_role("button", name="一键呼叫").click()
            state = row.locator('[data-testid="call-state"]')
            await expect(state).to_have_attribute("data-state", "talking", timeout=10_000)
            await expect(state).to_have_attribute("data-state", "ended", timeout=10_000)
            assert citizen.seen == ["057112345"]
            await row.get_by_label("已联系").check()
            await row.get_by_label("已解决").check()
            await row.get_by_label("满意", exact=True).check()
            await row.get_by_role("button", name="保存").click()
            await expect(page.get_by_test_id("notice")).to_have_text("回访完成，工单已办结")
            await expect(page.locator(f'tr[data-number="{number}"]')).to_have_count(0)
            await page.screenshot(path=str(shots / "callbacks-after-survey.png"), full_page=True)

        closed = await tickets.get(number)
        assert closed.status.value == "closed" and closed.evaluation.value == "satisfied"
        attempts = [(a.channel.value, a.outcome.value) for a in await callbacks.attempts(number)]
        assert attempts == [("survey", "busy"), ("survey", "no_answer"), ("agent", "reached")]
        assert await survey.tick() == []                   # closed: the survey does not call again
