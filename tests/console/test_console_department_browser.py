"""The loop after 派单 in headless Chromium: tickets dispatched through the tickets service reach the
department's 待签收 with their deadline; the department signs for one and answers it (the ticket's
status and history read back); it returns another, a supervisor re-dispatches that one from the
派单异议审核 queue, and it appears in the other department's inbox.

Screenshots (for a person to look at): browser_support.screenshot_dir("department")."""
from __future__ import annotations


import pytest
from playwright.async_api import expect

from agent_console.settings import ConsoleSettings
from browser_support import chromium, screenshot_dir, ui_login
from conftest import require_chromium
from console_support import MovableClock, assert_no_stray_tasks, make_config, running_console
from dept_support import DEPT_USERS, dispatched_ticket, prepare_departments
from hotline.engine import ENGINE
from tickets.codes import Action, Status
from tickets.views import format_local

pytestmark = [pytest.mark.browser]
SETTINGS = ConsoleSettings(session_key="dept-browser-key-0123456789abcdef", session_max_age=600,
                           poll_seconds=0.3, live_batch_seconds=0.05, live_tick_seconds=0.3)


async def test_given_dispatched_tickets_when_a_department_handles_one_and_returns_another_then_the_loop_moves(
        tmp_path):
    require_chromium()
    shots = screenshot_dir("department")
    clock = MovableClock()
    async with running_console(make_config(tmp_path), clock, settings=SETTINGS, users=DEPT_USERS,
                               prepare=prepare_departments) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        clock.advance(-3 * 86400)  # dispatched three days ago: its acceptance deadline has passed
        late = await dispatched_ticket(app, "cgj", "路灯损坏一周无人维修")
        clock.advance(3 * 86400)
        handled = await dispatched_ticket(app, "scjgj", "万达广场门口有商贩占道经营，影响行人通行")
        returned = await dispatched_ticket(app, "scjgj", "小区门口垃圾桶满溢，三天无人清运")
        due = format_local((await tickets.get(handled)).accept_due)
        base = str(client.make_url("")).rstrip("/")
        async with chromium() as browser:
            ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
            ctx.set_default_timeout(8000)
            dept = await ctx.new_page()
            await ui_login(dept, base, "dept01")
            await expect(dept).to_have_url(base + "/dept")
            await expect(dept.get_by_test_id("dept-name")).to_have_text("市场监督管理局")
            await expect(dept.get_by_test_id("tab-pending")).to_have_text("待签收（2）")
            row = dept.locator(f'tr[data-number="{handled}"]')
            await expect(row.get_by_test_id("due")).to_have_text(due)
            await expect(row.get_by_test_id("mark")).to_have_text("正常")
            await dept.screenshot(path=str(shots / "dept-inbox.png"), full_page=True)

            await row.get_by_role("link", name=handled).click()
            await dept.get_by_role("button", name="签收").click()
            await expect(dept.get_by_test_id("notice")).to_have_text("已签收，请在办结时限内办理")
            await expect(dept.get_by_test_id("status")).to_have_text("已签收")
            await dept.get_by_label("办理结果").fill("执法人员已到场，责令商贩退回店内经营，现场已恢复通行")
            await dept.get_by_label("已联系").check()
            await dept.get_by_label("与群众沟通情况").fill("电话联系市民张先生，告知处理结果，市民表示认可")
            await dept.get_by_role("button", name="提交办理结果").click()
            await expect(dept.get_by_test_id("notice")).to_have_text("办理结果已提交，等待单位负责人审核")
            await expect(dept.get_by_test_id("history")).to_contain_text("已联系群众：电话联系市民张先生")
            await dept.screenshot(path=str(shots / "dept-replied.png"), full_page=True)
            await app[ENGINE].services["handling"].approve(handled, "scjgj", "deptlead01")  # the lead's review

            ticket = await tickets.get(handled)
            assert ticket.status is Status.REPLIED and ticket.reply.startswith("执法人员已到场")
            steps = [(e.action, e.actor) for e in await tickets.history(handled)]
            assert steps[-3:] == [(Action.ACCEPT, "dept01"), (Action.SUBMIT, "dept01"), (Action.REPLY, "deptlead01")]
            await dept.goto(base + "/dept?tab=done")
            await expect(dept.locator(f'tr[data-number="{handled}"]')).to_contain_text("按时办结")

            await dept.goto(base + f"/dept/tickets/{returned}")
            await dept.get_by_label("退单理由").select_option(label="非本单位职责")
            await dept.get_by_label("退单说明").fill("垃圾清运属城市管理局职责")
            await dept.get_by_role("button", name="退单").click()
            await expect(dept.get_by_test_id("notice")).to_have_text("已退单，等待 12345 中心审核")
            await expect(dept.get_by_test_id("status")).to_have_text("已退回")
            await ctx.close()

            ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
            ctx.set_default_timeout(8000)
            lead = await ctx.new_page()
            await ui_login(lead, base, "lead01", path="/center/returns")
            await expect(lead).to_have_url(base + "/center/returns")
            item = lead.locator(f'tr[data-number="{returned}"]')
            await expect(item).to_contain_text("非本单位职责")
            await expect(item).to_contain_text("垃圾清运属城市管理局职责")
            await lead.screenshot(path=str(shots / "center-returns.png"), full_page=True)
            await item.get_by_label("新承办单位").select_option(label="城市管理局")
            await item.get_by_label("派单说明").fill("改派城管")
            await item.get_by_role("button", name="重新派单").click()
            await expect(lead.get_by_test_id("notice")).to_have_text("已重新派单")
            await expect(lead.get_by_test_id("returns-empty")).to_be_visible()
            await ctx.close()

            ctx = await browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
            ctx.set_default_timeout(8000)
            other = await ctx.new_page()
            await ui_login(other, base, "dept02")
            await expect(other.get_by_test_id("dept-name")).to_have_text("城市管理局")
            await expect(other.locator(f'tr[data-number="{returned}"]')).to_contain_text("小区门口垃圾桶满溢")
            await expect(other.locator(f'tr[data-number="{handled}"]')).to_have_count(0)
            await expect(other.locator(f'tr[data-number="{late}"]').get_by_test_id("mark")).to_have_text("已超时")
            await other.screenshot(path=str(shots / "dept02-inbox.png"), full_page=True)
            await other.goto(base + f"/dept/tickets/{handled}")
            await expect(other.get_by_role("alert")).to_contain_text("无权访问该工单")
            await ctx.close()
        moved = await tickets.get(returned)
        assert (moved.status, moved.lead_department.code) == (Status.DISPATCHED, "cgj")
        actions = [(e.action, e.actor) for e in await tickets.history(returned)][-2:]
        assert actions == [(Action.RETURN, "dept01"), (Action.DISPATCH, "lead01")]
    assert_no_stray_tasks()
