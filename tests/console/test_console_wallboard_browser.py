"""The wallboard in headless Chromium (issue 14.4): an empty configured queue and an offline agent are on the
page; the TV mode button gives large tiles without navigation, still updated live over the websocket (an agent
signing in leaves the offline list). Screenshots at 1366×768 and 1920×1080 go to
browser_support.screenshot_dir("wallboard")."""
from __future__ import annotations


import pytest
import pytest_asyncio
from playwright.async_api import expect

from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS, member
from browser_support import chromium, screenshot_dir, ui_login
from conftest import require_chromium
from console_support import MovableClock, assert_no_stray_tasks, make_config, running_console
from hotline.engine import ENGINE
from queues.live import LiveFloor
from wallboard_support import EMPTY_QUEUE, expected, seed

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def wall(tmp_path_factory):
    require_chromium()
    clock = MovableClock()
    tmp = tmp_path_factory.mktemp("wallboard-browser")
    settings = ConsoleSettings(session_key="wall-browser-key-0123456789abcdefgh", session_max_age=1800,
                               poll_seconds=0.3, live_batch_seconds=0.05, live_tick_seconds=0.5,
                               chart_refresh_seconds=3600)

    def prepare(app):
        app[ENGINE].overrides.update(floor=LiveFloor(clock))

    async with running_console(make_config(tmp), clock, settings=settings, users=AREA_USERS,
                               prepare=prepare) as (app, client):
        async with chromium() as browser:
            yield app, str(client.make_url("")).rstrip("/"), browser
    assert_no_stray_tasks()


async def test_the_wallboard_shows_an_empty_queue_and_an_offline_agent_and_its_tv_mode_updates_live(wall, tmp_path):
    app, base, browser = wall
    engine = app[ENGINE]
    shots = screenshot_dir("wallboard")
    await seed(engine)
    engine.services["floor"].handle(member("PJSIP/8101", "坐席01"))
    await app[CONSOLE].wallboard.refresh()

    context = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    try:
        page = await context.new_page()
        await ui_login(page, base, "lead01", path="/wallboard")
        await page.wait_for_url("**/wallboard")
        empty = page.locator(f'#queue-tiles [data-queue="{EMPTY_QUEUE}"]')
        await expect(empty).to_contain_text("夜间专席")
        await expect(empty.locator(".q-waiting")).to_have_text("0")
        await expect(empty.locator(".q-aht")).to_have_text("—")
        await expect(page.locator(f'#queue-rows tr[data-queue="{EMPTY_QUEUE}"]')).to_be_visible()
        offline = page.get_by_test_id("offline-agents")
        await expect(offline.locator('li[data-interface="PJSIP/8102"]')).to_contain_text("坐席02")
        await expect(offline.locator('li[data-interface="PJSIP/8102"]')).to_contain_text("未签入/离线")
        await expect(offline.locator('li[data-interface="PJSIP/8101"]')).to_have_count(0)
        center = expected()[""]
        await expect(page.locator('.kpi[data-kpi="aht"] .v')).to_have_text(f"{center['aht']} 秒")
        await expect(page.locator('.kpi[data-kpi="occupancy_pct"] .v')).to_have_text(f"{center['occupancy_pct']} %")
        await expect(page.locator(".topbar nav")).to_be_visible()
        await page.screenshot(path=str(shots / "wallboard-1366x768.png"), full_page=True)

        await page.get_by_test_id("tv-mode").click()
        await page.wait_for_url("**/wallboard?tv=1")
        await expect(page.locator(".topbar")).to_be_hidden()                 # no navigation on the wall
        await expect(page.get_by_test_id("agent-table")).to_be_hidden()
        await expect(empty).to_be_visible()
        await expect(offline.locator('li[data-interface="PJSIP/8102"]')).to_be_visible()
        size = await page.locator('.kpi[data-kpi="aht"] .v').evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 28, size                                              # large tiles at 1366 px
        await page.screenshot(path=str(shots / "wallboard-tv-1366x768.png"))
        await page.set_viewport_size({"width": 1920, "height": 1080})
        await page.screenshot(path=str(shots / "wallboard-tv-1920x1080.png"))

        engine.services["floor"].handle(member("PJSIP/8102", "坐席02", queue=EMPTY_QUEUE))  # over the websocket
        await expect(offline.locator('li[data-interface="PJSIP/8102"]')).to_have_count(0)
        await expect(page.locator(f'#queue-tiles [data-queue="{EMPTY_QUEUE}"] .q-idle')).to_have_text("1")
        await page.screenshot(path=str(shots / "wallboard-tv-1920x1080-signed-in.png"))
        await page.goto(base + "/wallboard")
        await expect(page.get_by_test_id("tv-mode")).to_be_visible()
        await page.screenshot(path=str(shots / "wallboard-1920x1080.png"), full_page=True)
    finally:
        await context.close()
    for name in ("wallboard-1366x768.png", "wallboard-tv-1366x768.png", "wallboard-tv-1920x1080.png"):
        assert (shots / name).stat().st_size > 10_000, name
