"""热点与预警 in headless Chromium: a supervisor opens the page from the menu, sees the seeded WeChat
spike as a warning and the district table, picks 电话 in the channel filter and the warning is gone.

Screenshots (for a person to look at): browser_support.screenshot_dir("hotspots")."""
from __future__ import annotations


import pytest
from playwright.async_api import expect

from browser_support import chromium, screenshot_dir, ui_login
from conftest import require_chromium
from console_support import MovableClock, make_config, running_console
from dept_support import DEPT_USERS
from test_console_hotspots import prepare, seed

pytestmark = [pytest.mark.browser]


async def test_given_a_seeded_spike_when_the_supervisor_filters_by_channel_then_the_warning_follows_the_filter(
        tmp_path):
    require_chromium()
    shots = screenshot_dir("hotspots")
    clock = MovableClock()
    async with running_console(make_config(tmp_path), clock, users=DEPT_USERS, prepare=prepare) as (app, client):
        await seed(app, clock)
        base = str(client.make_url("")).rstrip("/")
        async with chromium() as browser:
            page = await browser.new_page()
            await ui_login(page, base, "lead01", path="/")
            await page.get_by_role("link", name="热点预警").click()
            warnings = page.locator('[data-testid="warnings"] tr.warning')
            await expect(warnings).to_have_count(2)
            await expect(warnings.first).to_contain_text("交通/公交")
            await expect(warnings.first).to_contain_text("全市")
            await expect(page.locator('[data-testid="districts"] tr[data-code="pd"] [data-key="today"]')).to_have_text("6")
            await expect(page.locator("#chart-category rect[data-label='交通/公交']")).to_have_attribute("data-value", "6.0")
            await page.screenshot(path=str(shots / "hotspots.png"), full_page=True)
            await page.get_by_test_id("channel").select_option(label="电话")
            await page.get_by_role("button", name="统计").click()
            await expect(page.get_by_test_id("no-warnings")).to_have_text("当日无预警。")
            await expect(page.get_by_test_id("csv")).to_have_attribute("href", __import__("re").compile("channel=phone"))
