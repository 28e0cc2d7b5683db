"""Whole flows in headless Chromium against the engine and the stand-in running the shipped dialplan:
an agent takes a citizen's call from the screen pop to a registered ticket while a supervisor watches the
wallboard; an admin adds a dual-number line, applies it, and the stand-in routes a call to its new queue.
Hostile text (script in the transcript, the caller ID name, a line name) is shown as text."""
from __future__ import annotations

import asyncio
import re
import wave

import pytest
import pytest_asyncio
from playwright.async_api import expect

from agent_console.auth.ratelimit import LoginLimits
from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS
from browser_support import chromium, ui_login
from conftest import require_chromium
from console_support import MovableClock, assert_no_stray_tasks, make_config, running_console
from hotline.engine import ENGINE

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

SPOKEN = '我家楼下的路灯坏了一个月<script>alert("t")</script>'
HOSTILE_CALLER = '<img src=x onerror=alert(1)>王'
HOSTILE_LINE = '测试<b onclick=alert(2)>专线</b>'


class FixedTranscriber:
    """Hears a fixed sentence (the acoustics are tested in tests/speech)."""

    available = True

    async def transcribe(self, audio, sample_rate: int = 8000):
        return type("T", (), {"text": SPOKEN, "status": "done"})()


def settings(asterisk_dir) -> ConsoleSettings:
    return ConsoleSettings(session_key="floor-browser-key-0123456789abcdef", session_max_age=1800,
                           poll_seconds=0.3, live_batch_seconds=0.05, live_tick_seconds=0.5,
                           login_limits=LoginLimits(per_user_address=20, per_ip=200, window_seconds=600),
                           chart_refresh_seconds=3600, asterisk_config_dir=asterisk_dir)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser():
    require_chromium()
    async with chromium() as b:
        yield b


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hotline(tmp_path_factory):
    """The stand-in (shipped dialplan, FastAGI to this engine) and the engine with the console served over HTTP."""
    from asterisk_standin.people import Agent
    from asterisk_standin.standin import Standin
    from hotline.demo import prepare_asterisk_dir

    tmp = tmp_path_factory.mktemp("floor-browser")
    config = make_config(tmp)
    directory = await prepare_asterisk_dir(config, [], tmp / "asterisk", 4573)
    standin = Standin(directory, time_scale=0.05, ami_port=0, auth_fail_delay=0.05, spool_dir=None)
    port = await standin.start()
    Agent("PJSIP/8101", "坐席01", ring_time=1.0, talk_time=400.0).register(standin.pbx)

    def prepare(app):
        app[ENGINE].overrides["transcriber"] = FixedTranscriber()

    try:
        async with running_console(make_config(tmp, ami_port=port), MovableClock(), telephony=True,
                                   settings=settings(directory), users=AREA_USERS, prepare=prepare) as (app, client):
            engine = app[ENGINE]
            standin.pbx.agi_map[("127.0.0.1", 4573)] = ("127.0.0.1", engine.services["fastagi"].port)
            await next(iter(engine.ami.values())).wait_ready(timeout=5)
            await engine.services["tickets"].add_department("cgj", "城市管理局")
            yield app, str(client.make_url("")).rstrip("/"), standin, tmp
    finally:
        await standin.stop()
    assert_no_stray_tasks()


async def new_page(browser):
    context = await browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    page = await context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
    return context, page


def silence(path):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 8000)
    return path


async def test_given_a_citizen_calling_when_the_agent_takes_it_then_pop_ticket_and_wallboard_follow(hotline, browser):
    from asterisk_standin.people import Citizen, speak

    app, base, standin, tmp = hotline
    agent_ctx, agent = await new_page(browser)
    lead_ctx, lead = await new_page(browser)
    try:
        await ui_login(agent, base, "agent01", path="/agent")
        await expect(agent).to_have_url(base + "/agent")
        await ui_login(lead, base, "lead01", path="/wallboard")
        await expect(lead).to_have_url(base + "/wallboard")
        agent_row = lead.locator('#agent-rows tr[data-interface="PJSIP/8101"]')

        await agent.locator('li[data-queue="hotline-general"]').get_by_role("button", name="签入").click()
        await expect(agent.get_by_test_id("state")).to_have_text("空闲")
        await expect(agent_row.get_by_test_id("agent-state")).to_have_text("空闲")
        await agent.get_by_role("button", name="示忙：小休").click()
        await expect(agent_row.get_by_test_id("agent-state")).to_have_text("示忙")
        await expect(agent_row).to_contain_text("小休")
        duration = agent_row.locator("td").nth(4)  # 持续: the page counts from `since`, no message per second
        await expect(duration).to_have_text(re.compile(r"^\d\d:\d\d$"))
        await expect(duration).not_to_have_text(await duration.text_content())

        # nobody free: the citizen leaves a spoken request, then waits in the queue
        citizen = Citizen("13800138021", HOSTILE_CALLER, dialed="12345", context="from-trunk",
                          script=[speak(silence(tmp / "speech.wav"), 0.0)], patience=600.0)
        outcome = citizen.place(standin.pbx)
        await expect(lead.get_by_test_id("center-waiting")).to_have_text("1", timeout=20_000)
        await expect(lead.locator('#queue-rows tr[data-queue="hotline-general"] .waiting')).to_have_text("1")
        await expect(lead.get_by_test_id("center-longest")).to_have_text(re.compile(r"^[1-9]\d* 秒$"))

        await agent.get_by_role("button", name="示闲").click()
        pop = agent.get_by_test_id("pop")
        await expect(pop).to_be_visible()
        await expect(agent.get_by_test_id("pop-caller")).to_have_text("138****8021")
        await expect(agent.get_by_test_id("pop-name")).to_have_text(HOSTILE_CALLER)
        await expect(agent.get_by_test_id("pop-transcript")).to_have_text(SPOKEN, timeout=30_000)  # speech, loaded host
        await expect(agent.get_by_test_id("pop-path")).to_contain_text("语音留言")
        await expect(agent.get_by_test_id("pop-state")).to_have_text("通话中")
        await expect(lead.get_by_test_id("center-waiting")).to_have_text("0")
        await expect(agent_row.get_by_test_id("agent-state")).to_have_text("通话中")
        assert outcome.answered_by == "PJSIP/8101"

        await agent.get_by_test_id("pop-reveal").click()
        await expect(agent.get_by_test_id("pop-caller")).to_have_text("13800138021")
        await expect(agent.locator("#t-content")).to_have_value(SPOKEN)  # the draft's text, for the agent to edit
        # 并单 (issue 12.9): the same citizen's earlier open ticket about the same thing is offered as a duplicate
        tickets = app[ENGINE].services["tickets"]
        earlier = await tickets.create_draft(caller="13800138021", content=SPOKEN)
        await tickets.register(earlier.number, "agent02", request_type="report", content=SPOKEN)
        await agent.locator("#t-content").fill(SPOKEN)
        await expect(agent.get_by_test_id("t-duplicates")).to_be_visible()
        await expect(agent.locator("#t-duplicates-list li")).to_have_count(1)
        await expect(agent.locator("#t-duplicates-list li")).to_contain_text(earlier.number)
        await agent.get_by_test_id("t-type").select_option("投诉")
        await agent.locator("#t-category").fill("市政设施")
        await agent.get_by_test_id("t-register").click()
        await expect(agent.get_by_test_id("ticket-result")).to_have_text(re.compile(r"^工单 \d+ 已登记$"))

        number = (await agent.get_by_test_id("pop-ticket").text_content()).split("（")[0]
        ticket = await app[ENGINE].services["tickets"].get(number)
        assert (ticket.status.value, ticket.request_type.label, ticket.category, ticket.content) == (
            "registered", "投诉", "市政设施", SPOKEN)
        assert ticket.caller == "13800138021" and ticket.call_id == outcome.linkedid

        await agent.get_by_test_id("wrapup").click()  # 话后处理: paused with its own reason, then 示闲
        await expect(agent_row).to_contain_text("话后处理")
        member = standin.pbx.queues.queues["hotline-general"].members["PJSIP/8101"]
        assert (member.paused, member.paused_reason) == (True, "话后处理")
        await agent.get_by_role("button", name="示闲").click()
        await expect(agent_row).not_to_contain_text("话后处理")
        assert agent.dialogs == [] and lead.dialogs == []
        assert await agent.locator("#pop img, #pop script").count() == 0
    finally:
        await agent_ctx.close()
        await lead_ctx.close()


async def test_given_an_admin_when_adding_a_dual_number_line_then_the_stand_in_routes_its_calls_to_the_new_queue(
        hotline, browser):
    from asterisk_standin.people import Agent, Citizen

    app, base, standin, tmp = hotline
    context, admin = await new_page(browser)
    try:
        await ui_login(admin, base, "admin01", path="/admin/lines")
        await expect(admin).to_have_url(base + "/admin/lines")
        form = admin.locator("#line-form")
        await form.get_by_label("号码").fill("12399")
        await form.get_by_label("名称").fill(HOSTILE_LINE)
        await form.get_by_label("并入方式").select_option(label="双号并行")
        await form.get_by_label("专席/分中心队列").fill("line-12399")
        await form.get_by_label("溢出等待（秒，0 为不溢出）").fill("0")
        await form.get_by_role("button", name="保存").click()
        await expect(admin.get_by_test_id("line-saved")).to_contain_text("已保存 12399（双号并行）")
        await expect(admin.locator('#line-rows tr[data-number="12399"] td').nth(1)).to_have_text(HOSTILE_LINE)

        await admin.get_by_test_id("preview").click()
        await expect(admin.get_by_test_id("diff")).to_contain_text("+[line-12399]")
        await admin.get_by_test_id("apply").click()
        await expect(admin.get_by_test_id("apply-result")).to_have_text("配置已写入并已重新加载：standin")
        assert admin.dialogs == [] and await admin.locator("#line-rows b").count() == 0
    finally:
        await context.close()

    assert "line-12399" in standin.pbx.queues.queues  # the reload brought the new dedicated queue
    Agent("PJSIP/8201", "专席01", ring_time=0.5, talk_time=1.0).register(standin.pbx)
    standin.pbx.queues.add_member("line-12399", "PJSIP/8201", name="专席01")
    outcome = Citizen("13800138022", "市民", dialed="12399", context="from-trunk").place(standin.pbx)
    async with asyncio.timeout(20):
        await outcome.done.wait()
    assert (outcome.queue, outcome.answered_by) == ("line-12399", "PJSIP/8201")


async def test_given_stored_calls_when_the_supervisor_opens_the_wallboard_then_today_and_24_hours_are_shown(
        hotline, browser):
    """Issue 10.4: the figures the call log holds, per queue, today and over 24 hours (not reset by a restart)."""
    from datetime import timedelta

    from agent_console.context import CONSOLE
    from agent_console.wallboard.hourly import local_midnight
    from calls.models import CallRecord

    app, base, standin, tmp = hotline
    engine = app[ENGINE]
    now = engine.clock()
    calls = [("answered", "line-12377", 3, 1), ("answered", "line-12377", 20, 2), ("abandoned", "line-12377", 9, 3),
             ("timeout", "line-12377", 60, 60 * 23), ("answered", "line-12377", 5, 60 * 30)]
    async with engine.sessions() as session, session.begin():
        for i, (outcome, queue, hold, minutes_ago) in enumerate(calls):
            at = now - timedelta(minutes=minutes_ago)
            session.add(CallRecord(server="browser", linkedid=f"b{i}", started_at=at, ended_at=at, outcome=outcome,
                                   first_queue=queue, final_queue=queue, recorded_at=at, hold_seconds=hold,
                                   ivr_vars={}))
    await app[CONSOLE].wallboard.refresh()
    context, lead = await new_page(browser)
    try:
        await ui_login(lead, base, "lead01", path="/wallboard")
        await expect(lead).to_have_url(base + "/wallboard")
        day = lead.locator('#stored-rows tr[data-queue="line-12377"][data-period="day"]')
        await expect(day.locator(".n-offered")).to_have_text("4")        # the 30-hour-old call is out
        await expect(day.locator(".n-answered")).to_have_text("2")
        await expect(day.locator(".n-answered_15s")).to_have_text("1")
        await expect(day.locator(".n-abandoned")).to_have_text("1")
        await expect(day.locator(".n-timeout")).to_have_text("1")
        await expect(day.locator(".n-longest_wait")).to_have_text("60")
        await expect(day.locator(".p-connection_rate_pct")).to_have_text("50 %")
        today = lead.locator('#stored-rows tr[data-queue="line-12377"][data-period="today"]')
        midnight = local_midnight(now)
        today_count = sum(1 for *_, minutes_ago in calls if now - timedelta(minutes=minutes_ago) >= midnight)
        await expect(today.locator(".n-offered")).to_have_text(str(today_count))
        await expect(lead.locator('#stored-rows tr[data-queue="center"][data-period="day"] td').first).to_have_text(
            "全中心")
        assert lead.dialogs == []
    finally:
        await context.close()
