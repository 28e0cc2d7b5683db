"""Issue 12's whole loop in headless Chromium, on SQLite and on PostgreSQL, against the engine and the
stand-in running the shipped dialplan: a citizen calls 12345, the agent answers, fills the form, takes the
catalogue's suggestion and dispatches; the department's 承办人 signs for it and asks for an extension, a
supervisor approves it; a second ticket is returned and the center re-dispatches it to another
department; with the clock pushed forward the 督办 sweep marks that one yellow, then red, and the
notices are logged and shown in the workspace; the departments answer and their leads approve, and both
tickets are 已答复, each step in the ticket's history with its actor.

Screenshots go to $HOTLINE_SCREENSHOTS when set, else to the test's tmp dir."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from playwright.async_api import expect

from agent_console.auth.ratelimit import LoginLimits
from agent_console.settings import ConsoleSettings
from browser_support import chromium, signed_in_page
from conftest import require_chromium
from console_support import MovableClock, assert_no_stray_tasks, running_console
from dept_support import prepare_sample_tree
from hotline.config import load_config
from hotline.engine import ENGINE
from supervision.service import ACTOR
from tickets.codes import Action, Status
from tickets.views import format_local

pytestmark = [pytest.mark.browser]
SETTINGS = ConsoleSettings(session_key="ticket-loop-browser-key-0123456789ab", session_max_age=86400,
                           session_idle_timeout=86400, poll_seconds=0.3, live_batch_seconds=0.05,
                           live_tick_seconds=0.5, chart_refresh_seconds=3600,
                           login_limits=LoginLimits(per_user_address=50, per_ip=500, window_seconds=600))
USERS = (  # username, display, roles, phone[, department]
    ("agent01", "坐席01", ("agent",), "PJSIP/8101"),
    ("lead01", "班长01", ("supervisor",), None),
    ("cg01", "城管承办人", ("department",), None, "cgj"),
    ("cglead", "城管负责人", ("department_lead",), None, "cgj"),
    ("zls01", "供水承办人", ("department",), None, "zls"),
    ("zlslead", "供水负责人", ("department_lead",), None, "zls"),
)
SAID = "万达广场门口每天有商贩占道经营，人行道都堵住了"


def loop_config(tmp: Path, url: str, ami_port: int):
    return load_config(None, {}, {
        "engine": {"mode": "development", "data_dir": str(tmp)},
        "database": {"url": url},
        "ami": {"servers": [{"name": "standin", "host": "127.0.0.1", "port": ami_port, "username": "hotline",
                             "secret": "demo-secret"}], "connect_timeout": 2.0, "action_timeout": 5.0},
        "agi": {"port": 0},
        "console": {"port": 0, "session_key": SETTINGS.session_key},
        "ivr": {"intake_dir": str(tmp / "intake")},
        "recordings": {"directory": str(tmp / "recordings")},
        "tickets": {"attachment_directory": str(tmp / "attachments")},
        "supervision": {"enabled": False},  # the test runs the sweep itself, at the moments its clock sets
    })



async def test_given_a_citizen_call_when_the_loop_runs_through_the_departments_then_both_tickets_are_replied(
        tmp_path, fresh_database_url, caplog):
    require_chromium()
    from asterisk_standin.people import Agent, Citizen, hangup
    from asterisk_standin.standin import Standin
    from hotline.demo import prepare_asterisk_dir

    shots = Path(os.environ.get("HOTLINE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    caplog.set_level(logging.INFO, logger="supervision.gateway")
    directory = await prepare_asterisk_dir(loop_config(tmp_path, fresh_database_url, 5038), [],
                                           tmp_path / "asterisk", 4573)
    standin = Standin(directory, time_scale=0.05, ami_port=0, auth_fail_delay=0.05, spool_dir=None)
    port = await standin.start()
    Agent("PJSIP/8101", "坐席01", ring_time=4.0, talk_time=4000.0).register(standin.pbx)
    clock = MovableClock()
    try:
        async with running_console(loop_config(tmp_path, fresh_database_url, port), clock, telephony=True,
                                   settings=SETTINGS, users=USERS, prepare=prepare_sample_tree) as (app, client):
            engine = app[ENGINE]
            tickets, supervision = engine.services["tickets"], engine.services["supervision"]
            standin.pbx.agi_map[("127.0.0.1", 4573)] = ("127.0.0.1", engine.services["fastagi"].port)
            await next(iter(engine.ami.values())).wait_ready(timeout=5)
            base = str(client.make_url("")).rstrip("/")
            async with chromium() as browser:
                async def page_of(username: str, path: str = "/"):
                    return await signed_in_page(browser, base, username, path)

                # 1. The call: the agent answers, fills the form, takes the catalogue's suggestion, dispatches.
                actx, agent = await page_of("agent01", "/agent")
                await agent.locator('li[data-queue="hotline-general"]').get_by_role("button", name="签入").click()
                await expect(agent.get_by_test_id("state")).to_have_text("空闲")
                citizen = Citizen("13800138093", "王芳", dialed="12345", context="from-trunk",
                                  script=[hangup(at=9000)], patience=9000.0)
                call = citizen.place(standin.pbx)
                await expect(agent.get_by_test_id("pop-state")).to_have_text("通话中", timeout=20_000)
                await agent.get_by_test_id("t-type").select_option("投诉")
                await agent.locator("#t-content").fill(SAID)
                await agent.get_by_test_id("t-cat-1").select_option(label="城市管理")
                await agent.get_by_test_id("t-cat-2").select_option(label="市容环境")
                await agent.get_by_test_id("t-cat-3").select_option(label="占道经营")
                suggest = agent.get_by_test_id("t-suggest")
                await expect(suggest).to_contain_text("建议派单：城市管理局（主办），协办：市场监督管理局")
                await expect(suggest).to_contain_text("依据：派单目录")
                await expect(agent.get_by_test_id("t-lead")).to_have_value("cgj")
                await agent.get_by_test_id("t-address").fill("万达广场北门")
                await agent.get_by_test_id("t-register").click()
                await expect(agent.get_by_test_id("ticket-result")).to_contain_text("已登记")
                first = (await agent.get_by_test_id("ticket-result").text_content()).split()[1]
                await agent.get_by_test_id("t-dispatch").click()
                await expect(agent.get_by_test_id("ticket-result")).to_have_text(f"工单 {first} 已派单至 城市管理局")
                await agent.screenshot(path=str(shots / "loop-agent-dispatched.png"), full_page=True)
                standin.pbx.request_hangup(standin.pbx.find_channel(call.channel), 16)
                await actx.close()
                ticket = await tickets.get(first)
                assert (ticket.status, ticket.lead_department.code, ticket.caller) == (
                    Status.DISPATCHED, "cgj", "13800138093")
                assert [d.code for d in ticket.co_departments] == ["scjgj"]
                dispatch = [e for e in await tickets.history(first) if e.action is Action.DISPATCH][-1]
                assert dispatch.detail["routing"]["source"] == "catalogue"

                # A second ticket, on a 水电气暖 deadline (签收 within 30 minutes), wrongly sent to 城管.
                draft = await tickets.create_draft(actor="agent01", caller="13900139000", content="小区停水两天了")
                await tickets.register(draft.number, "agent01", request_type="complaint",
                                       content="小区停水两天了，没有任何通知", urgency="utilities")
                await tickets.dispatch(draft.number, "cgj", [], "agent01")
                second = draft.number

                # 2. 城管 signs for the first and asks for two more working days; the second goes back.
                dctx, dept = await page_of("cg01")
                await expect(dept).to_have_url(base + "/dept")
                await expect(dept.get_by_test_id("tab-pending")).to_have_text("待签收（2）")
                await dept.locator(f'tr[data-number="{first}"]').get_by_role("link", name=first).click()
                await expect(dept.locator(".transcript").first).to_have_text(SAID)
                await dept.get_by_role("button", name="签收").click()
                await expect(dept.get_by_test_id("status")).to_have_text("已签收")
                old_due = (await tickets.get(first)).complete_due
                await dept.get_by_label("延期天数（工作日）").fill("2")
                await dept.get_by_label("延期理由").fill("需联合市场监管部门开展集中整治")
                await dept.get_by_role("button", name="申请延期").click()
                await expect(dept.get_by_test_id("notice")).to_have_text("延期申请已提交，等待 12345 中心审核")
                await dept.goto(base + f"/dept/tickets/{second}")
                await dept.get_by_label("退单理由").select_option(label="非本单位职责")
                await dept.get_by_label("退单说明").fill("供水问题属自来水公司职责")
                await dept.get_by_role("button", name="退单").click()
                await expect(dept.get_by_test_id("notice")).to_have_text("已退单，等待 12345 中心审核")

                # 3. The center approves the extension and re-dispatches the returned ticket to 自来水公司.
                cctx, center = await page_of("lead01", "/center/extensions")
                item = center.locator(f'tr[data-number="{first}"]')
                new_due = tickets.calendar.add_working_days(old_due, 2)
                await expect(item.get_by_test_id("new-due")).to_have_text(format_local(new_due))
                await item.get_by_label("审核意见").fill("同意延期")
                await item.get_by_role("button", name="同意延期", exact=True).click()
                await expect(center.get_by_test_id("notice")).to_have_text("已同意延期，新的办结时限已生效")
                await center.goto(base + "/center/returns")
                back = center.locator(f'tr[data-number="{second}"]')
                await expect(back).to_contain_text("供水问题属自来水公司职责")
                await back.get_by_label("新承办单位").select_option(label="自来水公司")
                await back.get_by_label("派单说明").fill("改派自来水公司")
                await back.get_by_role("button", name="重新派单").click()
                await expect(center.get_by_test_id("notice")).to_have_text("已重新派单")
                await cctx.close()
                redispatched = await tickets.get(second)
                assert (redispatched.status, redispatched.lead_department.code) == (Status.DISPATCHED, "zls")
                span = redispatched.accept_due - redispatched.dispatched_at
                assert span.total_seconds() == 30 * 60

                # 4. 督办 with the clock pushed forward: yellow at 80 % of the 30 minutes, red once overdue.
                assert (await supervision.run_once()).marked == []
                clock.advance(25 * 60)
                assert (await supervision.run_once()).marked == [(second, "yellow")]
                zctx, water = await page_of("zls01")
                row = water.locator(f'tr[data-number="{second}"]')
                await expect(row.get_by_test_id("mark")).to_have_text("即将超时")
                clock.advance(6 * 60)
                assert (await supervision.run_once()).marked == [(second, "red")]
                assert (await supervision.run_once()).marked == []  # each mark once
                logged = [r.getMessage() for r in caplog.records if r.name == "supervision.gateway"]
                for audience, topic in (("department", "yellow"), ("center", "yellow"),
                                        ("department", "red"), ("center", "red")):
                    assert sum(f"audience={audience} department=zls ticket={second} topic={topic}" in m
                               for m in logged) == 1, (audience, topic, logged)
                await water.goto(base + "/dept/notices")
                notices = water.get_by_test_id("dept-notices")
                await expect(notices.locator(f'tr[data-number="{second}"][data-topic="yellow"]')).to_have_count(1)
                await expect(notices.locator(f'tr[data-number="{second}"][data-topic="red"]')).to_contain_text(
                    "已超过签收时限")
                await water.screenshot(path=str(shots / "loop-dept-notices.png"), full_page=True)
                await water.goto(base + "/dept")
                await expect(row.get_by_test_id("mark")).to_have_text("已超时")
                sctx, watch = await page_of("lead01", "/center/supervision")
                await expect(watch.get_by_test_id("center-notices").locator(
                    f'tr[data-number="{second}"][data-topic="red"]')).to_contain_text("已超过签收时限")
                await watch.screenshot(path=str(shots / "loop-center-supervision.png"), full_page=True)
                await sctx.close()

                # 5. The departments answer, their leads approve: both tickets are 已答复.
                await row.get_by_role("link", name=second).click()
                await water.get_by_role("button", name="签收").click()
                await expect(water.get_by_test_id("status")).to_have_text("已签收")
                await water.get_by_label("办理结果").fill("管道抢修完毕，已恢复供水")
                await water.get_by_label("已联系").check()
                await water.get_by_label("与群众沟通情况").fill("电话告知市民恢复供水时间，市民认可")
                await water.get_by_role("button", name="提交办理结果").click()
                await expect(water.get_by_test_id("notice")).to_have_text("办理结果已提交，等待单位负责人审核")
                await zctx.close()
                await dept.goto(base + f"/dept/tickets/{first}")
                await expect(dept.get_by_test_id("complete-due")).to_have_text(format_local(new_due))
                await dept.get_by_label("办理结果").fill("已联合市场监管部门清理占道摊点，设置隔离护栏")
                await dept.get_by_label("已联系").check()
                await dept.get_by_label("与群众沟通情况").fill("电话联系王女士告知整治结果，市民满意")
                await dept.get_by_role("button", name="提交办理结果").click()
                await expect(dept.get_by_test_id("notice")).to_have_text("办理结果已提交，等待单位负责人审核")
                await dctx.close()
                for lead, number in (("zlslead", second), ("cglead", first)):
                    lctx, boss = await page_of(lead)
                    await boss.get_by_test_id("tab-review").click()
                    await boss.locator(f'tr[data-number="{number}"]').get_by_role("link", name=number).click()
                    await boss.get_by_role("button", name="审核通过并答复").click()
                    await expect(boss.get_by_test_id("status")).to_have_text("已答复")
                    await boss.screenshot(path=str(shots / f"loop-{lead}-replied.png"), full_page=True)
                    await lctx.close()

            one, two = await tickets.get(first), await tickets.get(second)
            assert (one.status, one.complete_due, one.reply) == (
                Status.REPLIED, new_due, "已联合市场监管部门清理占道摊点，设置隔离护栏")
            assert (two.status, two.reply) == (Status.REPLIED, "管道抢修完毕，已恢复供水")
            steps = [(e.action, e.actor) for e in await tickets.history(first)]
            assert steps[-7:] == [(Action.REGISTER, "agent01"), (Action.DISPATCH, "agent01"),
                                  (Action.ACCEPT, "cg01"), (Action.EXT_REQUEST, "cg01"),
                                  (Action.EXT_APPROVE, "lead01"), (Action.SUBMIT, "cg01"), (Action.REPLY, "cglead")]
            path = [(e.action, e.actor) for e in await tickets.history(second)]
            assert path[-8:] == [(Action.DISPATCH, "agent01"), (Action.RETURN, "cg01"), (Action.DISPATCH, "lead01"),
                                 (Action.DEADLINE_MARK, ACTOR), (Action.DEADLINE_MARK, ACTOR),
                                 (Action.ACCEPT, "zls01"), (Action.SUBMIT, "zls01"), (Action.REPLY, "zlslead")]
    finally:
        await standin.stop()
    assert_no_stray_tasks()
