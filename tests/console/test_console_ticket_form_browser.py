"""The agent's ticket form in headless Chromium: a call pops with its IVR draft, the classifier's guess picks a
catalogue rule, the cascading category picker and the district change the suggestion, urgency changes the
deadlines shown, 登记 shows the ticket number and its deadlines, the agent overrides the suggested department
and dispatches; the dispatch records the override. An admin's CSV upload with bad rows lists them."""
from __future__ import annotations

import asyncio

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from playwright.async_api import expect

from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS, FakeTracker, agent_called, agent_connect
from browser_support import chromium, ui_login
from conftest import require_chromium
from console_support import MovableClock, assert_no_stray_tasks, make_config, running_console
from hotline.engine import ENGINE
from queues.live import LiveFloor
from tickets.sample_catalogue import load_sample

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # the eve of 国庆节; deadlines are exact to the minute
SPOKEN = "人民路东门每天有人占道摆摊卖菜，把人行道都堵住了"
SETTINGS = ConsoleSettings(session_key="ticket-form-browser-key-0123456789ab", session_max_age=1800,
                           poll_seconds=0.3, live_batch_seconds=0.05, live_tick_seconds=0.5,
                           chart_refresh_seconds=3600)


@dataclass
class RunningClock(MovableClock):
    """Starts at START and runs with real time (the test takes seconds, not a minute)."""

    began: float = field(default_factory=time.monotonic)

    def __call__(self) -> datetime:
        return START + timedelta(seconds=time.monotonic() - self.began) + self.offset


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser():
    require_chromium()
    async with chromium() as b:
        yield b


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def console(tmp_path_factory):
    clock = RunningClock()
    tracker = FakeTracker()

    def prepare(app):
        app[ENGINE].overrides.update(floor=LiveFloor(clock), call_tracker=tracker)

    tmp = tmp_path_factory.mktemp("ticket-form-browser")
    async with running_console(make_config(tmp), clock, settings=SETTINGS, users=AREA_USERS,
                               prepare=prepare) as (app, client):
        services = app[ENGINE].services
        await load_sample(services["tickets"], services["catalogue"])
        yield app, str(client.make_url("")).rstrip("/"), tracker
    await asyncio.sleep(0.2)  # a pool connection reset at shutdown finishes its own close task (SQLAlchemy)
    assert_no_stray_tasks()


async def new_page(browser):
    context = await browser.new_context(locale="zh-CN")
    context.set_default_timeout(8000)
    page = await context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    return context, page


async def test_given_a_call_when_the_agent_fills_the_form_then_suggestion_override_number_and_deadlines(
        console, browser):
    app, base, tracker = console
    engine = app[ENGINE]
    tickets, catalogue = engine.services["tickets"], engine.services["catalogue"]
    context, agent = await new_page(browser)
    try:
        await ui_login(agent, base, "agent01", path="/agent")
        await expect(agent.get_by_test_id("pop")).to_be_hidden()
        draft = await tickets.create_draft(caller="13800138000", call_id="form-1", transcript=SPOKEN,
                                           transcript_status="done")
        tracker.ivr("form-1", HOTLINE_TICKET=draft.number)
        floor = engine.services["floor"]
        floor.handle(agent_called("form-1"))
        floor.handle(agent_connect("form-1"))

        await expect(agent.get_by_test_id("pop")).to_be_visible()
        await expect(agent.locator("#t-content")).to_have_value(SPOKEN)
        await expect(agent.get_by_test_id("t-caller-name")).to_have_value("张伟")  # from the caller ID name
        await expect(agent.get_by_test_id("t-contact")).to_have_value("138****8000")  # the caller ID, masked
        suggest = agent.get_by_test_id("t-suggest")
        await expect(suggest).to_contain_text("建议派单：城市管理局（主办），协办：市场监督管理局")
        await expect(suggest).to_contain_text("依据：智能分类（城市管理）")
        await expect(agent.get_by_test_id("t-lead")).to_have_value("cgj")

        await agent.get_by_test_id("t-cat-1").select_option(label="城市管理")
        await agent.get_by_test_id("t-cat-2").select_option(label="市容环境")
        await agent.get_by_test_id("t-cat-3").select_option(label="占道经营")
        await expect(agent.locator("#t-category")).to_have_value("城市管理/市容环境/占道经营")
        await expect(suggest).to_contain_text("依据：派单目录")
        await agent.get_by_test_id("t-district").select_option(label="城东区人民政府")
        await expect(suggest).to_contain_text("建议派单：城东区人民政府（主办），协办：城市管理局")
        await expect(agent.get_by_test_id("t-lead")).to_have_value("cdq")
        await agent.get_by_test_id("t-street").select_option(label="东华街道办事处")
        await agent.get_by_test_id("t-address").fill("人民路 88 号东门")

        deadlines = agent.get_by_test_id("t-deadlines")
        await agent.get_by_test_id("t-type").select_option("投诉")
        await agent.get_by_test_id("t-urgency").select_option(label="危及生命财产")
        await expect(deadlines).to_contain_text("签收时限：15 分钟（若现在派单，须在 2026-09-30 10:15 前签收）")
        await agent.get_by_test_id("t-urgency").select_option(label="水电气暖")
        await expect(deadlines).to_contain_text("签收时限：30 分钟")
        await agent.get_by_test_id("t-urgency").select_option(label="一般")
        await expect(deadlines).to_have_text("签收时限：1 个工作日（若现在派单，须在 2026-10-08 10:00 前签收）；"
                                             "办结时限：5 个工作日（须在 2026-10-13 10:00 前办结）")

        await agent.get_by_test_id("t-contact").fill("abc")
        await agent.get_by_test_id("t-register").click()
        await expect(agent.get_by_test_id("ticket-error")).to_have_text(re.compile("^联系电话：应为 11 位手机号"))
        assert (await tickets.get(draft.number)).status.value == "draft"
        await agent.get_by_test_id("t-contact").fill("0571-87654321")

        await agent.get_by_test_id("t-register").click()
        await expect(agent.get_by_test_id("ticket-result")).to_have_text(f"工单 {draft.number} 已登记")
        await expect(agent.get_by_test_id("ticket-deadlines")).to_have_text(
            f"工单号 {draft.number} · 办结时限 2026-10-13 10:00")
        await expect(agent.get_by_test_id("pop-ticket")).to_contain_text(draft.number)

        await agent.get_by_test_id("t-lead").select_option(label="城市管理局")  # the agent overrides
        await agent.locator("#t-co").select_option([])
        await agent.get_by_test_id("t-dispatch").click()
        await expect(agent.get_by_test_id("ticket-result")).to_have_text(f"工单 {draft.number} 已派单至 城市管理局")
        await expect(agent.get_by_test_id("ticket-deadlines")).to_have_text(
            f"工单号 {draft.number} · 办结时限 2026-10-13 10:00 · 签收时限 2026-10-08 10:00")

        ticket = await tickets.get(draft.number)
        assert (ticket.status.value, ticket.lead_department.code, ticket.category, ticket.urgency.value) == (
            "dispatched", "cgj", "城市管理/市容环境/占道经营", "normal")
        assert (ticket.district, ticket.street, ticket.address, ticket.contact_number, ticket.caller_name) == (
            "cdq", "cdq-dhjd", "人民路 88 号东门", "057187654321", "张伟")
        east = next(r.id for r in await catalogue.rules()
                    if r.category == "城市管理/市容环境/占道经营" and r.district == "cdq")
        dispatch = [e for e in await tickets.history(draft.number) if e.action.value == "dispatch"][-1]
        assert dispatch.detail["routing"] == {"source": "manual", "suggested_rule_id": east, "suggested_lead": "cdq",
                                              "suggested_source": "catalogue"}
        assert agent.dialogs == []
    finally:
        await context.close()


async def test_given_an_admin_when_uploading_a_csv_with_a_bad_row_then_the_page_lists_it_and_nothing_changes(
        console, browser, tmp_path):
    app, base, tracker = console
    catalogue = app[ENGINE].services["catalogue"]
    before = await catalogue.rules()
    bad = tmp_path / "catalogue.csv"
    bad.write_text("category,lead\n城市管理/绿化,cgj\n城市管理/养犬,<b>公安局</b>\n", encoding="utf-8")
    context, admin = await new_page(browser)
    try:
        await ui_login(admin, base, "admin01", path="/admin/catalogue")
        await expect(admin.get_by_test_id("catalogue")).to_contain_text("城市管理 › 市容环境 › 占道经营")
        await admin.get_by_test_id("catalogue-file").set_input_files(str(bad))
        await admin.get_by_test_id("catalogue-import").click()
        await expect(admin.get_by_test_id("catalogue-import-error")).to_have_text("导入失败：1 行有错误，未导入任何规则")
        await expect(admin.get_by_test_id("catalogue-import-rows")).to_have_text("第 3 行：主办部门“<b>公安局</b>”不存在")
        assert await catalogue.rules() == before
        assert await admin.locator("#catalogue-import-rows b").count() == 0

        row = next(r for r in before if r.category == "公用事业/供水/停水")  # 编辑 fills the form, 保存 changes it
        await admin.locator(f'tr[data-rule="{row.id}"]').get_by_role("button", name="编辑").click()
        form = admin.get_by_test_id("catalogue-form")
        await expect(form.get_by_label("分类", exact=True)).to_have_value("公用事业/供水/停水")
        await form.get_by_label("协办部门").fill("cgj")
        await form.get_by_role("button", name="保存").click()
        await expect(admin.get_by_test_id("admin-result")).to_have_text("已保存：公用事业 › 供水 › 停水")
        changed = next(r for r in await catalogue.rules() if r.id == row.id)
        assert (changed.lead, changed.co, changed.updated_by) == ("zls", ("cgj",), "admin01")
    finally:
        await context.close()
