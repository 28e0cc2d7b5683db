"""Department handling in headless Chromium (issue 12.2): a 承办人 signs in, 签收, asks for an extension;
a supervisor approves it on the center's 延期审核 page and the new completion deadline shows in the
workspace; the 承办人 answers with a PDF attachment; the 单位负责人 opens the 待审核 tab, downloads the
attachment and approves; the ticket is 已答复 with the whole path in its history.

Screenshots: browser_support.screenshot_dir("dept-handling")."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from browser_support import chromium, screenshot_dir, ui_login
from conftest import require_chromium
from console_support import MovableClock, assert_no_stray_tasks, make_config, running_console
from dept_support import DEPT_USERS, dispatched_ticket, prepare_departments
from hotline.engine import ENGINE
from tickets.codes import Action, Status
from tickets.views import format_local

pytestmark = [pytest.mark.browser]
SETTINGS = ConsoleSettings(session_key="dept-handling-browser-key-0123456789", session_max_age=600,
                           poll_seconds=0.3, live_batch_seconds=0.05, live_tick_seconds=0.3)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def test_given_a_dispatched_ticket_when_extended_answered_with_a_file_and_approved_then_it_is_replied(tmp_path):
    require_chromium()
    shots = screenshot_dir("dept-handling")
    report = tmp_path / "整改报告.pdf"
    report.write_bytes(PDF)
    async with running_console(make_config(tmp_path), MovableClock(), settings=SETTINGS, users=DEPT_USERS,
                               prepare=prepare_departments) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        number = await dispatched_ticket(app, "scjgj", "农贸市场电子秤缺斤少两，多次反映无果")
        base = str(client.make_url("")).rstrip("/")
        async with chromium() as browser:
            async def page_of(username: str, path: str = "/"):
                ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
                ctx.set_default_timeout(8000)
                page = await ctx.new_page()
                await ui_login(page, base, username, path=path)
                return ctx, page

            ctx, dept = await page_of("dept01")
            await expect(dept).to_have_url(base + "/dept")
            await dept.locator(f'tr[data-number="{number}"]').get_by_role("link", name=number).click()
            await dept.get_by_role("button", name="签收").click()
            await expect(dept.get_by_test_id("status")).to_have_text("已签收")
            old_due = (await tickets.get(number)).complete_due
            await dept.get_by_label("延期天数（工作日）").fill("2")
            await dept.get_by_label("延期理由").fill("需会同计量所检定电子秤")
            await dept.get_by_role("button", name="申请延期").click()
            await expect(dept.get_by_test_id("notice")).to_have_text("延期申请已提交，等待 12345 中心审核")
            await expect(dept.get_by_test_id("extension")).to_contain_text("待中心审核")

            cctx, center = await page_of("lead01", "/center/extensions")
            await expect(center).to_have_url(base + "/center/extensions")
            item = center.locator(f'tr[data-number="{number}"]')
            await expect(item).to_contain_text("需会同计量所检定电子秤")
            new_due = tickets.calendar.add_working_days(old_due, 2)
            await expect(item.get_by_test_id("new-due")).to_have_text(format_local(new_due))
            await center.screenshot(path=str(shots / "center-extensions.png"), full_page=True)
            await item.get_by_label("审核意见").fill("同意延期")
            await item.get_by_role("button", name="同意延期", exact=True).click()
            await expect(center.get_by_test_id("notice")).to_have_text("已同意延期，新的办结时限已生效")
            await expect(center.get_by_test_id("extensions-empty")).to_be_visible()
            await cctx.close()

            await dept.reload()
            await expect(dept.get_by_test_id("complete-due")).to_have_text(format_local(new_due))
            await expect(dept.get_by_test_id("history")).to_contain_text(
                f"办结时限由 {format_local(old_due)} 延至 {format_local(new_due)}")
            await dept.get_by_label("办理结果").fill("经检定两台电子秤超差，已责令停用并立案查处")
            await dept.get_by_label("已联系").check()
            await dept.get_by_label("与群众沟通情况").fill("电话联系市民李女士告知查处结果，市民满意")
            await dept.get_by_label("附件").set_input_files(str(report))
            await dept.get_by_role("button", name="提交办理结果").click()
            await expect(dept.get_by_test_id("notice")).to_have_text("办理结果已提交，等待单位负责人审核")
            await expect(dept.get_by_test_id("status")).to_have_text("已签收")
            await ctx.close()

            lctx, lead = await page_of("deptlead01")
            await lead.get_by_test_id("tab-review").click()
            await expect(lead.get_by_test_id("tab-review")).to_have_text("待审核（1）")
            await lead.locator(f'tr[data-number="{number}"]').get_by_role("link", name=number).click()
            await expect(lead.get_by_test_id("pending-result")).to_contain_text("已责令停用并立案查处")
            async with lead.expect_download() as waiting:
                await lead.get_by_test_id("attachment").click()
            download = await waiting.value
            assert download.suggested_filename == "整改报告.pdf"
            assert Path(await download.path()).read_bytes() == PDF
            await lead.screenshot(path=str(shots / "dept-review.png"), full_page=True)
            await lead.get_by_role("button", name="审核通过并答复").click()
            await expect(lead.get_by_test_id("notice")).to_have_text("审核通过，已答复 12345 中心")
            await expect(lead.get_by_test_id("status")).to_have_text("已答复")
            await lead.goto(base + "/dept?tab=done")
            await expect(lead.locator(f'tr[data-number="{number}"]')).to_contain_text("按时办结")
            await lctx.close()

        ticket = await tickets.get(number)
        assert (ticket.status, ticket.complete_due) == (Status.REPLIED, new_due)
        steps = [(e.action, e.actor) for e in await tickets.history(number)][-5:]
        assert steps == [(Action.ACCEPT, "dept01"), (Action.EXT_REQUEST, "dept01"), (Action.EXT_APPROVE, "lead01"),
                         (Action.SUBMIT, "dept01"), (Action.REPLY, "deptlead01")]
        downloads = await app[CONSOLE].audit.recent(5, action="download.attachment")
        assert [e.username for e in downloads] == ["deptlead01"]
    assert_no_stray_tasks()

