"""The agent's desk for a shift (issue 14.1, 14.2) in headless Chromium against the engine and the stand-in
running the shipped dialplan: the caller, the pop and the ticket form on the first screen at 1366×768 while
the call rings; a ring alert; typed work survives 话后处理, the hang-up and a page reload; the keyboard
registers the ticket; the after-call countdown makes the agent ready by itself. Screenshots at 1366×768
and 1920×1080 go to browser_support.screenshot_dir("desk")."""
from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio
from playwright.async_api import expect

from agent_console.auth.ratelimit import LoginLimits
from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS
from browser_support import chromium, screenshot_dir, ui_login
from conftest import require_chromium
from console_support import MovableClock, assert_no_stray_tasks, make_config, running_console
from hotline.engine import ENGINE
from queues.queue_settings import QueueSettings

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
WRAP_UP = 3


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def desk(tmp_path_factory):
    require_chromium()
    from asterisk_standin.people import Agent
    from asterisk_standin.standin import Standin
    from hotline.demo import prepare_asterisk_dir

    tmp = tmp_path_factory.mktemp("desk-browser")
    directory = await prepare_asterisk_dir(make_config(tmp), [], tmp / "asterisk", 4573)
    standin = Standin(directory, time_scale=0.05, ami_port=0, auth_fail_delay=0.05, spool_dir=None)
    port = await standin.start()
    standin.pbx.queues.queues["hotline-general"].timeout = 120  # ring long enough to look at the ringing desk
    phone = Agent("PJSIP/8101", "坐席01", ring_time=60.0, talk_time=4000.0)  # rings 3 s of real time
    phone.register(standin.pbx)
    settings = ConsoleSettings(session_key="desk-browser-key-0123456789abcdef0", session_max_age=1800,
                               poll_seconds=0.3, live_batch_seconds=0.05, live_tick_seconds=0.5,
                               login_limits=LoginLimits(per_user_address=20, per_ip=200, window_seconds=600),
                               chart_refresh_seconds=3600)
    try:
        async with running_console(make_config(tmp, ami_port=port), MovableClock(), telephony=True,
                                   settings=settings, users=AREA_USERS) as (app, client):
            engine = app[ENGINE]
            standin.pbx.agi_map[("127.0.0.1", 4573)] = ("127.0.0.1", engine.services["fastagi"].port)
            await next(iter(engine.ami.values())).wait_ready(timeout=5)
            await engine.services["queue_settings"].save(
                "hotline-general", QueueSettings(wrapuptime=WRAP_UP), "test")
            async with chromium() as browser:
                yield app, str(client.make_url("")).rstrip("/"), standin, browser, tmp
    finally:
        await standin.stop()
    assert_no_stray_tasks()


async def until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def _top(page, selector: str) -> float:
    box = await page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["y"]


async def test_a_call_rings_on_the_first_screen_and_typed_work_survives_wrap_up_hang_up_and_reload(desk, tmp_path):
    from asterisk_standin.people import Citizen, hangup

    app, base, standin, browser, tmp = desk
    shots = screenshot_dir("desk")
    context = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    context.set_default_timeout(10_000)
    agent = await context.new_page()
    try:
        await ui_login(agent, base, "agent01", path="/agent")
        await expect(agent).to_have_url(base + "/agent")
        await expect(agent.get_by_test_id("shortcuts")).to_contain_text("Alt+G 登记")
        await expect(agent.get_by_test_id("pop-idle")).to_contain_text("等待来电")  # not a blank half page
        await agent.locator('li[data-queue="hotline-general"]').get_by_role("button", name="签入").click()
        await expect(agent.get_by_test_id("state")).to_have_text("空闲")

        citizen = Citizen("13800138091", "周强", dialed="12345", context="from-trunk", script=[hangup(at=9000)],
                          patience=9000.0)
        outcome = citizen.place(standin.pbx)
        await expect(agent.get_by_test_id("pop-state")).to_have_text("振铃中")
        await expect(agent.get_by_test_id("pop-idle")).to_be_hidden()
        assert (await agent.title()).startswith("【来电】")  # the title flashes while it rings
        for selector in ("#pop-caller", "#ticket-form", "#t-content"):
            assert await _top(agent, selector) < 768, selector  # the caller, the pop and the form: first screen
        await agent.screenshot(path=str(shots / "desk-ringing-1366x768.png"))
        await agent.set_viewport_size({"width": 1920, "height": 1080})
        await agent.screenshot(path=str(shots / "desk-ringing-1920x1080.png"))
        await agent.set_viewport_size({"width": 1366, "height": 768})

        await expect(agent.get_by_test_id("pop-state")).to_have_text("通话中", timeout=15_000)
        assert not (await agent.title()).startswith("【来电】")
        await agent.get_by_test_id("t-type").select_option("投诉")
        await agent.keyboard.press("Alt+C")
        await agent.keyboard.type("楼下餐馆油烟扰民，晚上十点后还在营业")
        await agent.get_by_test_id("t-address").fill("人民路 88 号")
        await agent.keyboard.press("Alt+W")  # 话后处理 during the call: pending until it ends
        await expect(agent.get_by_test_id("state")).to_contain_text("通话结束后生效")
        await expect(agent.locator("#t-content")).to_have_value("楼下餐馆油烟扰民，晚上十点后还在营业")

        standin.pbx.request_hangup(standin.pbx.find_channel(outcome.channel), 16)
        await expect(agent.get_by_test_id("pop-state")).to_have_text("已挂机，请完成工单")
        await expect(agent.locator("#t-content")).to_have_value("楼下餐馆油烟扰民，晚上十点后还在营业")
        await expect(agent.get_by_test_id("acw")).to_contain_text("话后处理：还剩")

        await agent.reload()
        await expect(agent.get_by_test_id("pop-state")).to_have_text("已挂机，请完成工单")
        await expect(agent.locator("#t-content")).to_have_value("楼下餐馆油烟扰民，晚上十点后还在营业")
        await expect(agent.get_by_test_id("t-type")).to_have_value("投诉")
        await expect(agent.get_by_test_id("t-address")).to_have_value("人民路 88 号")
        await agent.screenshot(path=str(shots / "desk-wrapup-1366x768.png"))

        await agent.keyboard.press("Alt+G")
        await expect(agent.get_by_test_id("ticket-result")).to_contain_text("已登记")
        number = (await agent.get_by_test_id("ticket-result").text_content()).split()[1]
        ticket = await app[ENGINE].services["tickets"].get(number)
        assert (ticket.content, ticket.request_type.label) == ("楼下餐馆油烟扰民，晚上十点后还在营业", "投诉")
        kept = await agent.evaluate("Object.keys(localStorage).filter(k => k.startsWith('hotline.form.'))")
        assert kept == []  # registered: nothing left in the browser
        await expect(agent.get_by_test_id("state")).to_have_text("空闲", timeout=WRAP_UP * 1000 + 8000)
    finally:
        await context.close()
