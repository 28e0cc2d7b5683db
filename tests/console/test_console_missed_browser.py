"""漏接回拨 in headless Chromium against the stand-in (issue 14.3): an abandoned caller is on the
worklist with its draft; the agent clicks 一键回拨, watches their own phone ring, then the citizen,
records 回拨成功 and the row is gone; the supervisor sees the 回拨率.

Screenshots (1366×768 and 1920×1080) go to browser_support.screenshot_dir("missed")."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import expect

from browser_support import chromium, screenshot_dir, ui_login
from calls.codes import Outcome
from calls.finished import FinishedCall
from conftest import require_chromium

pytestmark = [pytest.mark.browser]
CITIZEN = "13800138000"
CONFIG = {"console": {"session_key": "missed-browser-key-0123456789abcdef"},
          "callbacks": {"caller_ids": {"12345": "057112345"}}}


async def _shots(page, shots: Path, name: str) -> None:
    for width, height in ((1366, 768), (1920, 1080)):
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(shots / f"{name}-{width}x{height}.png"), full_page=True)
    await page.set_viewport_size({"width": 1366, "height": 768})


async def test_agent_calls_an_abandoned_caller_back_from_the_worklist_and_the_supervisor_sees_the_rate(tmp_path):
    from hotline.testing import running_hotline

    require_chromium()
    shots = screenshot_dir("missed")
    async with running_hotline(tmp_path / "hotline", config=CONFIG) as hotline:
        call_log = hotline.engine.services["call_log"]
        now = hotline.engine.clock()
        await call_log.record(FinishedCall("standin", "abandon-1", Outcome.ABANDONED, now - timedelta(seconds=75), now,
                                           caller_number=CITIZEN, caller_name="王女士", line="12345",
                                           first_queue="hotline-general", hold_seconds=62, left_queue_at=now))
        (missed,) = await call_log.list_missed()
        draft = (await call_log.get_missed(missed.id)).ticket_number
        assert draft
        phone = hotline.add_agent("PJSIP/8101", "坐席01", ring_time=1.0, talk_time=60.0)  # 3 s real: the page sees it
        citizen = hotline.add_callee(CITIZEN, ring_time=2.0)
        site = web.TCPSite(hotline.runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # noqa: SLF001

        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1366, "height": 768})
            await ui_login(page, base, "agent01", "demo-agent-01", path="/callbacks/missed")
            await page.goto(base + "/callbacks/missed")
            row = page.locator(f'tr[data-id="{missed.id}"]')
            await expect(row).to_contain_text("王女士")
            await expect(row).to_contain_text("62 秒")
            await expect(row.get_by_test_id("draft")).to_have_attribute("href", f"/tickets/{draft}")
            await _shots(page, shots, "missed-worklist")
            await row.get_by_role("button", name="一键回拨").click()
            state = row.locator('[data-testid="call-state"]')
            await expect(state).to_have_attribute("data-state", "talking", timeout=10_000)
            assert (phone.calls, citizen.seen) == (1, ["057112345"])   # the agent's phone first, then the citizen
            await _shots(page, shots, "missed-talking")
            await expect(state).to_have_attribute("data-state", "ended", timeout=10_000)

            await row.get_by_label("回拨成功").check()
            await row.get_by_label("备注").fill("已与市民确认诉求")
            await row.get_by_role("button", name="保存").click()
            await expect(page.get_by_test_id("notice")).to_have_text("已记录回拨成功，该来电已移出回拨列表")
            await expect(page.locator(f'tr[data-id="{missed.id}"]')).to_have_count(0)

            await page.context.clear_cookies()
            await ui_login(page, base, "banzhang", "demo-supervisor", path="/callbacks/missed")
            await page.goto(base + "/callbacks/missed?days=7")
            await expect(page.get_by_test_id("rate-value")).to_have_text("100.0 %")
            await expect(page.get_by_test_id("rate-entries")).to_have_text("1")
            await _shots(page, shots, "missed-rate")
        assert (await call_log.get_missed(missed.id)).status.value == "called_back"
