"""In headless Chromium (issue 14.5): an admin edits the keyword rules as a table, tries a sentence in the
test box, applies; the live classifier and the emergency detector use the new rows at once."""
from __future__ import annotations


import pytest
from playwright.async_api import expect

from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS
from browser_support import chromium, screenshot_dir, ui_login
from conftest import require_chromium
from console_support import MovableClock, assert_no_stray_tasks, make_config, running_console
from hotline.engine import ENGINE

pytestmark = [pytest.mark.browser]
SETTINGS = ConsoleSettings(session_key="rules-browser-key-0123456789abcdef", session_max_age=600,
                           poll_seconds=0.3, live_batch_seconds=0.05, live_tick_seconds=0.3)


async def test_an_admin_adds_a_category_row_and_an_emergency_word_tries_a_sentence_and_applies(tmp_path):
    require_chromium()
    shots = screenshot_dir("rules")
    async with running_console(make_config(tmp_path), MovableClock(), settings=SETTINGS,
                               users=AREA_USERS) as (app, client):
        services = app[ENGINE].services
        base = str(client.make_url("")).rstrip("/")
        async with chromium() as browser:
            ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            ctx.set_default_timeout(10000)
            admin = await ctx.new_page()
            await ui_login(admin, base, "admin01", path="/admin/rules")
            await expect(admin).to_have_url(base + "/admin/rules")
            table = admin.get_by_test_id("rules-table")
            before = await table.locator("tbody tr").count()
            await admin.get_by_test_id("rules-add").click()
            row = table.locator("tbody tr").last
            await row.locator('[data-col="kind"]').select_option("category")
            await row.locator('[data-col="label"]').fill("共享单车")
            await row.locator('[data-col="keywords"]').fill("共享单车、乱停放")
            await row.locator('[data-col="weight"]').fill("3")
            emergency = admin.get_by_test_id("emergency-table").locator("tbody tr").first
            words = emergency.locator('[data-col="words"]')
            await words.fill((await words.input_value()) + "、煤气泄漏了")
            await admin.get_by_test_id("rules-sample").fill("小区门口共享单车乱停放，楼里煤气泄漏了")
            await admin.get_by_test_id("rules-preview").click()
            result = admin.get_by_test_id("rules-preview-result")
            await expect(result).to_contain_text("分类：共享单车")
            await expect(result).to_contain_text("触发词“煤气泄漏了”")
            await admin.screenshot(path=str(shots / "admin-rules-1366.png"), full_page=False)
            live = services["classifier"].classify("共享单车乱停放").categories
            assert all(g.label != "共享单车" for g in live)  # a preview changes nothing live
            await admin.get_by_test_id("rules-apply").click()
            await expect(admin.get_by_test_id("admin-result")).to_contain_text("已应用")
            await expect(table.locator("tbody tr")).to_have_count(before + 1)  # reloaded from the saved rules
            await ctx.close()
        guess = services["classifier"].classify("共享单车乱停放")
        assert guess.categories[0].label == "共享单车"
        assert any(t.word == "煤气泄漏了" for t in services["emergency"].detect_all("家里煤气泄漏了"))
    assert_no_stray_tasks()
