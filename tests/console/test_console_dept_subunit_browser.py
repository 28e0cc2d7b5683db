"""二级派单 in headless Chromium (issue 12.1): a district signs for a ticket and passes it to its street
office; the street office's 承办人 finds it in 待签收 marked 上级转派, signs for it (a colleague's second
签收 is refused by name) and answers it in the same workspace; the district's lead finds the result in
待审核 and approves it; the district stays the responsible department and the answer goes to the center
as the district's. Screenshots go to $HOTLINE_SCREENSHOTS when set, else to the test's tmp dir."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import expect

from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from browser_support import chromium, signed_in_page
from conftest import require_chromium
from console_support import MovableClock, SharedClient, assert_no_stray_tasks, login, make_config, running_console
from dept_support import csrf_in, dispatched_ticket, prepare_sample_tree
from hotline.engine import ENGINE
from tickets.codes import Action, Status

pytestmark = [pytest.mark.browser]
SETTINGS = ConsoleSettings(session_key="dept-subunit-browser-key-0123456789", session_max_age=600,
                           poll_seconds=0.3, live_batch_seconds=0.05, live_tick_seconds=0.3)
USERS = (
    ("lead01", "班长01", ("supervisor",), None),
    ("cdq01", "城东区承办人", ("department",), None, "cdq"),
    ("cdqlead", "城东区负责人", ("department_lead",), None, "cdq"),
    ("dhjd01", "东华街道承办人", ("department",), None, "cdq-dhjd"),
    ("dhjd02", "东华街道承办人乙", ("department",), None, "cdq-dhjd"),
    ("cyjd01", "朝阳街道承办人", ("department",), None, "cdq-cyjd"),
)



async def test_given_a_district_ticket_when_passed_to_a_street_office_then_it_signs_answers_and_the_district_replies(
        tmp_path):
    require_chromium()
    shots = Path(os.environ.get("HOTLINE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    async with running_console(make_config(tmp_path), MovableClock(), settings=SETTINGS, users=USERS,
                               prepare=prepare_sample_tree) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        number = await dispatched_ticket(app, "cdq", "东华路菜市场门口下水道堵塞，污水漫到人行道")
        base = str(client.make_url("")).rstrip("/")
        async with chromium() as browser:
            async def page_of(username: str, path: str = "/"):
                return await signed_in_page(browser, base, username, path)

            dctx, district = await page_of("cdq01")
            await district.locator(f'tr[data-number="{number}"]').get_by_role("link", name=number).click()
            await district.get_by_role("button", name="签收").click()
            await expect(district.get_by_test_id("status")).to_have_text("已签收")
            await district.get_by_label("下级单位").select_option(label="东华街道办事处")
            await district.get_by_label("转派说明").fill("请街道联系市政养护队疏通")
            await district.get_by_role("button", name="转派下级单位").click()
            await expect(district.get_by_test_id("notice")).to_have_text("已转派下级单位，本单位仍负责审核答复")
            await expect(district.get_by_test_id("assigned")).to_contain_text("已转派 东华街道办事处 办理（待下级单位签收）")
            await district.goto(base + "/dept?tab=doing")
            await expect(district.locator(f'tr[data-number="{number}"]').get_by_test_id("assigned")).to_have_text(
                "已转派：东华街道办事处")

            sctx, street = await page_of("dhjd01")
            await expect(street.get_by_test_id("dept-name")).to_have_text("东华街道办事处")
            await expect(street.get_by_test_id("tab-pending")).to_have_text("待签收（1）")
            row = street.locator(f'tr[data-number="{number}"]')
            await expect(row.get_by_test_id("sub")).to_have_text("上级转派")
            await row.get_by_role("link", name=number).click()
            await expect(street.get_by_role("button", name="提交办理结果")).to_have_count(0)
            await expect(street.get_by_role("button", name="转派下级单位")).to_have_count(0)  # only the lead passes down
            colleague = SharedClient(client)  # the colleague has the same page open
            await login(colleague, "dhjd02")
            token = csrf_in(await (await colleague.get(f"/dept/tickets/{number}")).text())
            await street.get_by_role("button", name="签收").click()
            await expect(street.get_by_test_id("notice")).to_have_text(
                "已签收上级转派的工单，办理结果由上级单位审核后答复 12345 中心")
            await expect(street.get_by_test_id("assigned")).to_contain_text("（dhjd01 已签收）")
            late = await colleague.post(f"/dept/tickets/{number}/accept", data={"csrf_token": token},
                                        allow_redirects=False)
            assert late.status == 409 and "该工单已由 dhjd01 签收，无需重复签收" in await late.text()
            await colleague.close()
            await street.get_by_label("办理结果").fill("已联系市政养护队疏通下水道，路面已冲洗干净")
            await street.get_by_label("已联系").check()
            await street.get_by_label("与群众沟通情况").fill("电话联系市民告知疏通结果")
            await street.get_by_role("button", name="提交办理结果").click()
            await expect(street.get_by_test_id("notice")).to_have_text("办理结果已提交，等待单位负责人审核")
            await street.screenshot(path=str(shots / "subunit-submitted.png"), full_page=True)
            await street.goto(base + "/tickets")  # 工单查询 lists what was passed down to it, too
            await street.locator(f'tr[data-number="{number}"]').get_by_role("link", name=number).click()
            await expect(street.locator("body")).to_contain_text("东华路菜市场门口下水道堵塞")
            assert (await tickets.get(number)).status is Status.ACCEPTED  # not yet answered to the center
            await sctx.close()

            octx, other = await page_of("cyjd01")  # a sibling street office sees nothing of it
            await other.goto(base + f"/dept/tickets/{number}")
            await expect(other.get_by_role("alert")).to_contain_text("无权访问该工单")
            await other.goto(base + "/tickets")
            await expect(other.locator(f'tr[data-number="{number}"]')).to_have_count(0)
            await octx.close()

            lctx, lead = await page_of("cdqlead")
            await expect(lead.get_by_test_id("tab-review")).to_have_text("待审核（1）")
            await lead.get_by_test_id("tab-review").click()
            await lead.locator(f'tr[data-number="{number}"]').get_by_role("link", name=number).click()
            await expect(lead.get_by_test_id("pending-result")).to_contain_text("东华街道办事处（dhjd01）")
            await lead.get_by_role("button", name="审核通过并答复").click()
            await expect(lead.get_by_test_id("status")).to_have_text("已答复")
            await expect(lead.get_by_test_id("history")).to_contain_text("签收单位：东华街道办事处")
            await lead.screenshot(path=str(shots / "subunit-approved.png"), full_page=True)
            await lctx.close()
            await dctx.close()

        ticket = await tickets.get(number)
        assert (ticket.status, ticket.lead_department.code, ticket.reply) == (
            Status.REPLIED, "cdq", "已联系市政养护队疏通下水道，路面已冲洗干净")
        steps = [(e.action, e.actor) for e in await tickets.history(number)][-5:]
        assert steps == [(Action.ACCEPT, "cdq01"), (Action.SUB_DISPATCH, "cdq01"), (Action.SUB_ACCEPT, "dhjd01"),
                         (Action.SUBMIT, "dhjd01"), (Action.REPLY, "cdqlead")]
        audited = [(e.username, e.action, e.result) for e in await app[CONSOLE].audit.recent(30)
                   if e.action == "dept.sub_accept"]
        assert sorted(audited) == [("dhjd01", "dept.sub_accept", "ok"), ("dhjd02", "dept.sub_accept", "failed")]
    assert_no_stray_tasks()
