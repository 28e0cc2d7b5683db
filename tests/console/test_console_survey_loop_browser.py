"""Issue 13's whole loop, through the stand-in and a headless Chromium: a replied ticket → the outbound
survey call answered by a simulated citizen who presses 1 (已解决) then 3 (不满意) → the ticket is reopened
to its department (重办) → the department replies again → the 班长 hands the new round to the agents
(转坐席回访 on 语音回访) → an agent's click-to-call records 满意 → closed. The survey's clock is
controlled (calling hours); its pass is driven by hand."""
from __future__ import annotations

import pytest
from aiohttp import web
from playwright.async_api import expect

from asterisk_standin.surveyed import SurveyedCitizen
from browser_support import chromium, screenshot_dir, ui_login
from conftest import require_chromium
from test_console_survey_handover_browser import CITIZEN, CONFIG, Clock, replied_ticket, settled, tomorrow
from tickets.codes import Action

pytestmark = [pytest.mark.browser]
ANSWERS = {"hotline/survey-resolved": "1", "hotline/survey-satisfaction": "3"}


async def test_a_dissatisfied_survey_reopens_the_ticket_and_an_agents_callback_after_the_new_reply_closes_it(
        tmp_path):
    from hotline.testing import running_hotline

    require_chromium()
    shots = screenshot_dir("survey_loop")
    async with running_hotline(tmp_path / "hotline", config=CONFIG) as hotline:
        tickets = hotline.engine.services["tickets"]
        survey = hotline.engine.services["surveys"]
        callbacks = hotline.engine.services["callbacks"]
        clock = survey.clock = Clock(tomorrow(10))
        number = await replied_ticket(tickets)

        phone = SurveyedCitizen(CITIZEN, ring_time=1.0, keys=ANSWERS)
        phone.register(hotline.pbx)
        assert [j.ticket_number for j in await survey.tick()] == [number]
        job = await settled(survey, number, ("done",))
        assert (job.resolved, job.satisfaction, job.result) == (True, "dissatisfied", "reopened")
        reopened = await tickets.get(number)
        assert reopened.status.value == "dispatched" and reopened.lead_department.code == "cgj"   # 重办

        await tickets.accept(number, "cgj", "dept02")
        await tickets.reply(number, "复查后更换了灯杆和线路", "dept02", dept="cgj", contact="电话")
        await survey.store.set_paused(True, "banzhang", clock())   # the 班长 wants a person to call this time
        await survey.tick()                                         # the new round is the survey's, waiting

        hotline.add_agent("PJSIP/8101", "坐席01", ring_time=1.0, talk_time=60.0)
        citizen = hotline.add_callee(CITIZEN, ring_time=2.0)
        site = web.TCPSite(hotline.runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # noqa: SLF001
        async with chromium() as browser:
            page = await browser.new_page()
            await ui_login(page, base, "banzhang", "demo-supervisor", path="/surveys")
            await page.goto(base + "/surveys")
            waiting = page.locator(f'[data-testid="survey-jobs"] tr[data-ticket="{number}"]').filter(
                has=page.get_by_role("button", name="转坐席回访"))
            await waiting.get_by_role("button", name="转坐席回访").click()
            await expect(page.locator("body")).to_contain_text("已转坐席回访")
            await page.screenshot(path=str(shots / "surveys-moved.png"), full_page=True)

            await page.context.clear_cookies()
            await ui_login(page, base, "agent01", "demo-agent-01", path="/callbacks")
            await page.goto(base + "/callbacks")
            row = page.locator(f'tr[data-number="{number}"]')
            await expect(row).to_contain_text("复查后更换了灯杆和线路")      # the new reply is read out
            await row.get_by_role("button", name="一键呼叫").click()
            state = row.locator('[data-testid="call-state"]')
            await expect(state).to_have_attribute("data-state", "talking", timeout=10_000)
            await expect(state).to_have_attribute("data-state", "ended", timeout=10_000)
            await row.get_by_label("已联系").check()
            await row.get_by_label("已解决").check()
            await row.get_by_label("满意", exact=True).check()
            await row.get_by_role("button", name="保存").click()
            await expect(page.get_by_test_id("notice")).to_have_text("回访完成，工单已办结")
            await page.screenshot(path=str(shots / "callbacks-closed.png"), full_page=True)

        closed = await tickets.get(number)
        assert closed.status.value == "closed" and closed.evaluation.value == "satisfied"
        assert citizen.calls == 1 and phone.calls == 1
        attempts = [(a.channel.value, a.outcome.value) for a in await callbacks.attempts(number)]
        assert attempts == [("survey", "reached"), ("agent", "reached")]
        actions = [e.action for e in await tickets.history(number)]
        assert actions.count(Action.REOPEN) == 1 and actions.count(Action.REPLY) == 2
        assert actions[-1] is Action.CLOSE
        routes = [e.detail["reason"] for e in await tickets.history(number) if e.action is Action.CALLBACK_ROUTE]
        assert routes[-1] == "moved_by_supervisor"
        await survey.store.set_paused(False, "banzhang", clock())
        assert await survey.tick() == []                   # closed: nobody calls again
