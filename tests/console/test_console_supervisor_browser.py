"""班长台 and the audit-log viewer in headless Chromium against the demo configuration on the stand-in
(issue 14.4, 14.5): the supervisor sees an agent on a call in Chinese, clicks 监听, their own phone rings and
the stand-in's ChanSpy starts on the agent's channel; an admin then finds that listen in 审计日志 by user and
action and exports the same row as CSV.

Screenshots (1366×768 and 1920×1080) go to browser_support.screenshot_dir("supervisor")."""
from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import expect

from browser_support import chromium, screenshot_dir, ui_login
from conftest import require_chromium

pytestmark = [pytest.mark.browser]
AGENT, SUPERVISOR_PHONE = "PJSIP/8101", "PJSIP/8103"   # agent01's and banzhang's phones in the demo accounts
CONFIG = {"console": {"session_key": "supervisor-browser-key-0123456789abcdef"}}


async def until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def _shots(page, shots: Path, name: str) -> None:
    for width, height in ((1366, 768), (1920, 1080)):
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(shots / f"{name}-{width}x{height}.png"), full_page=True)
    await page.set_viewport_size({"width": 1366, "height": 768})


async def test_a_supervisor_listens_to_a_call_through_chanspy_and_an_admin_finds_it_in_the_audit_log(tmp_path):
    from asterisk_standin.people import Citizen
    from hotline.testing import running_hotline

    require_chromium()
    shots = screenshot_dir("supervisor")
    async with running_hotline(tmp_path / "hotline", config=CONFIG) as hotline:
        spied: list[dict] = []
        hotline.pbx.add_listener(lambda event, msg: spied.append(dict(msg)) if event == "ChanSpyStart" else None)
        hotline.add_agent(AGENT, "坐席01", queue="hotline-general", ring_time=0.5, talk_time=4000.0)
        boss_phone = hotline.add_agent(SUPERVISOR_PHONE, "值班长", ring_time=1.0, talk_time=4000.0)
        transfers = hotline.engine.services["transfers"]
        out = Citizen("13800138075", "孙丽", dialed="12345", context="from-trunk", patience=9000.0).place(hotline.pbx)
        await until(lambda: transfers.calls.of(AGENT) is not None, 20)
        agent_channel = transfers.calls.of(AGENT).agent_channel
        site = web.TCPSite(hotline.runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # noqa: SLF001

        async with chromium() as browser:
            context = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
            context.set_default_timeout(10_000)
            page = await context.new_page()
            await ui_login(page, base, "banzhang", "demo-supervisor", path="/supervisor")
            await expect(page).to_have_url(base + "/supervisor")
            row = page.locator('tr[data-username="agent01"]')
            await expect(row.locator("td").nth(2)).to_have_text("通话中")     # the state in Chinese, not "talking"
            await expect(row.locator("td").nth(4)).to_have_text("通话中")
            await expect(page.locator('tr[data-username="agent02"] td').nth(2)).to_have_text("未签入")
            await expect(page.locator('tr[data-username="agent02"]').get_by_role("button", name="监听")).to_be_disabled()
            await _shots(page, shots, "supervisor")

            await row.get_by_role("button", name="监听").click()
            await expect(page.get_by_test_id("admin-result")).to_have_text(
                f"正在呼叫您的话机 {SUPERVISOR_PHONE}，接听后开始监听坐席01的通话")
            await until(lambda: boss_phone.calls == 1 and spied)    # the supervisor's phone first, then ChanSpy
            assert spied[0]["SpyeeChannel"] == agent_channel
            assert spied[0]["SpyerChannel"].startswith(SUPERVISOR_PHONE + "-")

            await context.clear_cookies()
            await ui_login(page, base, "admin", "demo-admin-123", path="/admin/audit")
            await expect(page).to_have_url(base + "/admin/audit")
            form = page.get_by_test_id("audit-filter")
            await form.get_by_label("用户").fill("banzhang")
            await form.get_by_label("操作").fill("supervisor.")
            await form.get_by_role("button", name="查询").click()
            await expect(page.get_by_test_id("audit-total")).to_have_text("共 1 条")
            cells = page.get_by_test_id("audit-rows").locator("tbody tr").first.locator("td")
            await expect(cells.nth(1)).to_have_text("banzhang")
            await expect(cells.nth(2)).to_have_text("supervisor.listen")
            await expect(cells.nth(3)).to_have_text(f"agent01 {out.linkedid}")
            await expect(cells.nth(5)).to_have_text("成功")
            await _shots(page, shots, "audit")
            async with page.expect_download() as download:
                await page.get_by_test_id("audit-export").click()
            saved = await (await download.value).path()
            table = list(csv.reader(io.StringIO(Path(saved).read_bytes().decode("utf-8-sig"))))
            assert [r[1:4] for r in table[1:]] == [["banzhang", "supervisor.listen", f"agent01 {out.linkedid}"]]
            await context.close()
        hotline.pbx.request_hangup(hotline.pbx.find_channel(out.channel), 16)
