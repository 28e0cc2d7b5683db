"""Issue 14 "done when": an agent takes, registers and dispatches ten demo calls in a row with the keyboard
alone, in headless Chromium against the demo configuration on the stand-in (demo accounts, lines, the sample
派单目录, the simulated 110/119/120/122 operators). Only keyboard presses and typing: the login form, 签入
(Alt+Q), the ticket form (Alt+C, Tab, arrow keys), 派单 (Alt+D), 话后处理 (Alt+W), 示闲 (Alt+1) and, on one
call, a one-click 119 transfer (Alt+T, Tab, Enter) that the demo's 119 operator answers. Every ticket is
read back from the store as dispatched to the department the catalogue suggested."""
from __future__ import annotations

import random

import pytest
from aiohttp import web
from playwright.async_api import expect

from browser_support import chromium, screenshot_dir
from conftest import require_chromium

pytestmark = [pytest.mark.browser]
CALLS = 10
TRANSFERRED = 4   # the fifth call is handed to 119 before it is dispatched
# (what the citizen says, 诉求类型 with its place in the select, the 派单目录 path, the suggested department)
REQUESTS = (
    ("幸福路东段路灯不亮已经一个星期了", "投诉", 3, "城市管理/市政设施/路灯不亮", "cgj"),
    ("路口小吃店后厨卫生很差，疑似使用过期食材", "举报", 4, "市场监管/食品安全", "scjgj"),
)
TYPES = ("", "咨询", "求助", "投诉", "举报", "建议", "表扬")


async def focused(page) -> str:
    return await page.evaluate("document.activeElement && (document.activeElement.id || "
                               "document.activeElement.getAttribute('data-target') + ':' + "
                               "document.activeElement.getAttribute('data-mode'))")


async def test_an_agent_takes_registers_and_dispatches_ten_demo_calls_with_the_keyboard_alone(tmp_path):
    from asterisk_standin.people import Citizen
    from asterisk_standin.traffic import TrafficPlan
    from hotline.demo import EMERGENCY_OPERATORS, simulate_people
    from hotline.testing import running_hotline

    require_chromium()
    shots = screenshot_dir("keyboard")
    async with running_hotline(tmp_path / "hotline", config={
            "console": {"session_key": "keyboard-shift-key-0123456789abcdef"}}) as hotline:
        simulate_people(hotline.pbx, hotline.config, 0, TrafficPlan(rate=0.1, duration=0, seed=1), random.Random(1))
        # agent01's phone (the demo registers it too): rings 0.4 s, talks until the citizen hangs up
        hotline.add_agent("PJSIP/8101", "坐席01", ring_time=8.0, talk_time=4000.0)
        tickets = hotline.engine.services["tickets"]
        site = web.TCPSite(hotline.runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # noqa: SLF001

        async with chromium() as browser:
            context = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            context.set_default_timeout(15_000)
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            keys = page.keyboard

            await page.goto(base + "/login?next=/agent")
            await expect(page.get_by_label("用户名")).to_be_focused()  # typing before the focus lands loses keys
            await keys.type("agent01")            # the user name field has the focus
            await keys.press("Tab")
            await keys.type("demo-agent-01")
            await keys.press("Enter")
            await expect(page).to_have_url(base + "/agent")
            await expect(page.get_by_test_id("shortcuts")).to_contain_text("Alt+Q 签入全部队列")
            await keys.press("Alt+Q")
            general = page.locator('li[data-queue="hotline-general"] .qstate')
            await expect(general).to_have_text("已签入")
            await expect(page.get_by_test_id("state")).to_have_text("空闲")

            numbers: list[tuple[str, str]] = []
            expected: dict[str, tuple[str, str]] = {}
            for i in range(CALLS):
                content, label, index, category, lead = REQUESTS[i % len(REQUESTS)]
                caller = f"1390000{i:04d}"
                outcome = Citizen(caller, f"市民{i}", dialed="12345", context="from-trunk",
                                  patience=9000.0).place(hotline.pbx)
                await expect(page.get_by_test_id("pop-state")).to_have_text("通话中", timeout=30_000)
                await expect(page.get_by_test_id("pop-caller")).to_have_text(f"139****{i:04d}")

                await keys.press("Alt+C")
                assert await focused(page) == "t-content"
                await keys.press("Control+A")
                await keys.type(content)
                await keys.press("Shift+Tab")
                assert await focused(page) == "t-type"
                for _ in range(len(TYPES)):
                    await keys.press("ArrowUp")      # from the top, whatever the draft suggested
                for _ in range(index):
                    await keys.press("ArrowDown")
                await expect(page.get_by_test_id("t-type")).to_have_value(label)
                await keys.press("Tab")              # 诉求内容
                await keys.press("Tab")              # 紧急程度
                await keys.press("Tab")              # 一级分类
                await keys.press("Tab")              # 分类 (free text, the path the picker shows too)
                assert await focused(page) == "t-category"
                await keys.press("Control+A")
                await keys.type(category)
                await keys.press("Tab")              # leaving the field applies the category
                await expect(page.get_by_test_id("t-suggest")).to_contain_text("建议派单")
                await expect(page.get_by_test_id("t-lead")).to_have_value(lead)

                if i == TRANSFERRED:  # 119 一键转接 by keyboard: the demo's 119 operator answers
                    await keys.press("Alt+T")
                    assert await focused(page) == "110:blind"
                    await keys.press("Tab")
                    await keys.press("Tab")
                    assert await focused(page) == "119:blind"
                    await keys.press("Enter")
                    await expect(page.get_by_test_id("transfer-hint")).to_have_text("已转出，您可以接听下一通来电")
                    await expect(page.get_by_test_id("pop-state")).to_have_text("已挂机，请完成工单")
                    citizen = hotline.pbx.find_channel(outcome.channel)
                    assert citizen is not None and {c.endpoint.name for c in citizen.bridge.channels
                                                    if c is not citizen} == {EMERGENCY_OPERATORS["119"]}
                    await page.screenshot(path=str(shots / "keyboard-119-1366x768.png"))

                await keys.press("Alt+D")
                await expect(page.get_by_test_id("ticket-result")).to_contain_text("已派单至")
                number = (await page.get_by_test_id("ticket-result").text_content()).split()[1]
                numbers.append((number, lead))
                expected[number] = (label, category)
                if i != TRANSFERRED:
                    await keys.press("Alt+W")        # 话后处理, effective when the citizen hangs up
                    await expect(page.get_by_test_id("state")).to_contain_text("通话结束后生效")
                    hotline.pbx.request_hangup(hotline.pbx.find_channel(outcome.channel), 16)
                    await expect(page.get_by_test_id("pop-state")).to_have_text("已挂机，请完成工单")
                else:
                    await keys.press("Alt+W")
                await expect(page.get_by_test_id("state")).to_have_text("示忙（话后处理）")
                if i == 0:
                    await page.screenshot(path=str(shots / "keyboard-dispatched-1366x768.png"))
                await keys.press("Alt+1")            # ready for the next call
                await expect(page.get_by_test_id("state")).to_have_text("空闲")

            await expect(page.get_by_test_id("calls")).to_have_text(str(CALLS))
            await keys.press("Alt+2")                # the end of the run: a break, by keyboard too
            await expect(page.get_by_test_id("state")).to_have_text("示忙（小休）")
            assert errors == []
            await context.close()

        assert len({n for n, _ in numbers}) == CALLS
        for number, lead in numbers:
            ticket = await tickets.get(number)
            assert (ticket.status.value, ticket.lead_department.code, ticket.request_type.label, ticket.category) == (
                "dispatched", lead, *expected[number]), number
