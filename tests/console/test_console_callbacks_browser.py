"""回访 in headless Chromium against the stand-in: the agent clicks 一键呼叫 on the 回访 page, watches
the call ring their phone, reach the simulated citizen and end, records 满意 / 已解决 and the ticket
is closed; then the 考核统计 page shows the department's figures as charts.

Screenshots (for a person to look at): browser_support.screenshot_dir("callbacks")."""
from __future__ import annotations

import re

import pytest
from aiohttp import web
from playwright.async_api import expect

from browser_support import chromium, screenshot_dir, ui_login
from conftest import require_chromium

pytestmark = [pytest.mark.browser]
CONFIG = {"console": {"session_key": "callbacks-browser-key-0123456789abcdef"},
          "callbacks": {"due_after_minutes": 0, "caller_ids": {"12345": "057112345"}}}


async def test_given_a_replied_ticket_when_the_agent_clicks_to_call_and_records_satisfied_then_closed(tmp_path):
    from hotline.testing import running_hotline

    require_chromium()
    shots = screenshot_dir("callbacks")
    async with running_hotline(tmp_path / "hotline", config=CONFIG) as hotline:
        tickets = hotline.engine.services["tickets"]
        hotline.add_agent("PJSIP/8101", "坐席01", ring_time=1.0, talk_time=60.0)  # 3 s real: the page sees it
        citizen = hotline.add_callee("13800138000", ring_time=2.0)
        draft = await tickets.create_draft(caller="13800138000", line_dialed="12345", content="路灯损坏")
        number = draft.number
        await tickets.register(number, "agent01", request_type="help", content="路灯损坏")
        await tickets.dispatch(number, "cgj", [], "agent01")
        await tickets.accept(number, "cgj", "dept02")
        await tickets.reply(number, "路灯已于当日修复", "dept02", dept="cgj", contact="电话")
        site = web.TCPSite(hotline.runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # noqa: SLF001

        async with chromium() as browser:
            page = await browser.new_page()
            await ui_login(page, base, "agent01", "demo-agent-01", path="/callbacks")
            await page.goto(base + "/callbacks")
            row = page.locator(f'tr[data-number="{number}"]')
            await expect(row).to_contain_text("路灯已于当日修复")
            await row.get_by_role("button", name="一键呼叫").click()
            state = row.locator('[data-testid="call-state"]')
            await expect(state).to_have_attribute("data-state", "talking", timeout=10_000)
            await page.screenshot(path=str(shots / "callbacks-talking.png"), full_page=True)
            await expect(state).to_have_attribute("data-state", "ended", timeout=10_000)
            await expect(state).to_contain_text("市民：已接通")
            assert citizen.seen == ["057112345"]

            await row.get_by_label("已联系").check()
            await row.get_by_label("已解决").check()
            await row.get_by_label("满意", exact=True).check()
            await row.get_by_label("市民意见").fill("修好了，谢谢")
            await row.get_by_role("button", name="保存").click()
            await expect(page.get_by_test_id("notice")).to_have_text("回访完成，工单已办结")
            await expect(page.locator(f'tr[data-number="{number}"]')).to_have_count(0)

            await page.context.clear_cookies()
            await ui_login(page, base, "admin", "demo-admin-123", path="/reports/assessment")
            await page.goto(base + "/reports/assessment")
            dept = page.locator('[data-testid="departments"] tr[data-code="cgj"]')
            await expect(dept.locator('[data-key="satisfaction_pct"]')).to_have_text("100.0%")
            await expect(dept.locator('[data-key="callback_pct"]')).to_have_text("100.0%")
            chart = page.locator("#chart-satisfaction_pct rect[data-label='城市管理局']")
            await expect(chart).to_have_attribute("data-value", "100.0")
            await page.screenshot(path=str(shots / "assessment.png"), full_page=True)
            csv_link = page.get_by_test_id("csv")
            assert re.search(r"/reports/assessment\.csv\?from=\d{4}-\d\d-\d\d&to=", await csv_link.get_attribute("href"))

        closed = await tickets.get(number)
        assert closed.status.value == "closed" and closed.evaluation.value == "satisfied"
