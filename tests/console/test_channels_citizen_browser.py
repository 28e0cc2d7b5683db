"""The citizen's intake page on a phone screen (390×844) in headless Chromium: fill the form, get the
SMS code (read from the log-only adapter), submit, see number and query code; then query it.
The page must fit the screen (no horizontal scroll). Screenshots: browser_support.screenshot_dir("citizen")."""
from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from browser_support import chromium, screenshot_dir
from channels.web.context import CITIZEN
from conftest import require_chromium
from console_support import MovableClock, make_config, running_console
from hotline.engine import ENGINE
from tickets.codes import Channel

pytestmark = [pytest.mark.browser]


async def test_given_a_phone_screen_when_a_citizen_submits_and_queries_then_the_page_fits_and_answers(tmp_path):
    require_chromium()
    shots = screenshot_dir("citizen")
    async with running_console(make_config(tmp_path), MovableClock()) as (app, client):
        base = str(client.make_url("")).rstrip("/")
        async with chromium() as browser:
            ctx = await browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                            device_scale_factor=2, is_mobile=True, has_touch=True)
            ctx.set_default_timeout(8000)
            page = await ctx.new_page()
            await page.goto(base + "/citizen/new")
            await page.get_by_label("诉求类型").select_option(label="求助")
            await page.get_by_label("诉求内容").fill("楼道灯坏了一个月，老人夜里上下楼不安全")
            await page.get_by_label("事发地点").fill("南开区长江道 88 号 3 单元")
            await page.get_by_label("联系电话（手机）").fill("13912345678")
            await page.get_by_role("button", name="获取验证码").click()
            await expect(page.get_by_role("status")).to_contain_text("验证码已写入服务器日志")
            await expect(page.get_by_label("诉求内容")).to_have_value("楼道灯坏了一个月，老人夜里上下楼不安全")
            sent = app[CITIZEN].desk.outbox.gateway.sent[-1]
            code = re.search(r"验证码为 (\d{6})", sent.text).group(1)
            await page.get_by_label("短信验证码").fill(code)
            await page.locator("#files").set_input_files(files=[{"name": "楼道.png", "mimeType": "image/png",
                                                                 "buffer": b"\x89PNG\r\n\x1a\n" + bytes(500)}])
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the form is {width}px wide on a 390px screen"
            await page.screenshot(path=str(shots / "citizen-new-390.png"), full_page=True)
            await page.get_by_role("button", name="提交诉求").click()
            await expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
            number = (await page.locator("#ticket-number").inner_text()).strip()
            qcode = (await page.locator("#query-code").inner_text()).strip()
            await expect(page.locator("#files-kept")).to_have_text("1 个")
            await page.screenshot(path=str(shots / "citizen-done-390.png"), full_page=True)
            ticket = await app[ENGINE].services["tickets"].get(number)
            assert ticket.channel is Channel.WEB and ticket.address == "南开区长江道 88 号 3 单元"
            assert [a.name for a in await app[CITIZEN].desk.attachments.of(number)] == ["楼道.png"]

            await page.get_by_role("link", name="查询诉求").first.click()
            await page.get_by_label("工单编号").fill(number)
            await page.get_by_label("查询码").fill(qcode)
            await page.get_by_role("button", name="查询").click()
            await expect(page.locator("#status")).to_have_text("已提交，待受理")
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390
            await page.screenshot(path=str(shots / "citizen-query-390.png"), full_page=True)
            await ctx.close()
