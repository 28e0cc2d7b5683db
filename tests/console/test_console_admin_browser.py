"""In headless Chromium: an admin adds a pause reason and a user with a phone; that user logs in and the
agent desk shows the phone and offers the new pause reason."""
from __future__ import annotations

import pytest
from playwright.async_api import expect

from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS
from browser_support import chromium, ui_login
from conftest import require_chromium
from console_support import MovableClock, assert_no_stray_tasks, make_config, running_console

pytestmark = [pytest.mark.browser]
SETTINGS = ConsoleSettings(session_key="admin-browser-key-0123456789abcdef", session_max_age=600,
                           poll_seconds=0.3, live_batch_seconds=0.05, live_tick_seconds=0.3)


async def test_given_admin_when_adding_a_user_and_a_pause_reason_then_that_user_sees_them_on_the_desk(tmp_path):
    require_chromium()
    async with running_console(make_config(tmp_path), MovableClock(), settings=SETTINGS,
                               users=AREA_USERS) as (app, client):
        base = str(client.make_url("")).rstrip("/")
        async with chromium() as browser:
            admin_ctx = await browser.new_context(locale="zh-CN")
            admin_ctx.set_default_timeout(8000)
            admin = await admin_ctx.new_page()
            await ui_login(admin, base, "admin01", path="/admin/pauses")
            await expect(admin).to_have_url(base + "/admin/pauses")
            reasons = admin.locator("textarea[name=reasons]")
            await reasons.fill("小休\n外出办事\n培训")
            await admin.get_by_role("button", name="保存").click()
            await expect(admin.get_by_test_id("admin-result")).to_have_text("已保存")
            await expect(admin.get_by_test_id("pause-reasons")).to_contain_text("外出办事")

            await admin.goto(base + "/admin/users")
            form = admin.locator("#user-form")
            await form.get_by_label("用户名").fill("agent77")
            await form.get_by_label("姓名").fill("坐席77")
            await form.get_by_label("话机").fill("8177")
            await form.get_by_label("初始密码").fill("agent77-password")
            await form.get_by_role("button", name="新增").click()
            await expect(admin.get_by_test_id("user-error")).to_have_text("话机应为交换机设备名，例如 PJSIP/8001")
            await form.get_by_label("话机").fill("PJSIP/8177")
            await form.get_by_role("button", name="新增").click()
            row = admin.locator('tr[data-username="agent77"]')
            await expect(row).to_contain_text("坐席77")
            await expect(row.get_by_label("agent77 话机")).to_have_value("PJSIP/8177")
            await admin_ctx.close()

            agent_ctx = await browser.new_context(locale="zh-CN")
            agent_ctx.set_default_timeout(8000)
            agent = await agent_ctx.new_page()
            await ui_login(agent, base, "agent77", "agent77-password")
            await expect(agent).to_have_url(base + "/agent")
            await expect(agent.get_by_test_id("phone")).to_have_text("PJSIP/8177")
            await expect(agent.get_by_role("button", name="示忙：外出办事")).to_be_visible()
            await expect(agent.get_by_role("button", name="示忙：午休")).to_have_count(0)
            await agent_ctx.close()
    assert_no_stray_tasks()
