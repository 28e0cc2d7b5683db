"""派单目录, the agent's ticket form fields and the deadline rules, through the real console (aiohttp client):
the form's suggestion (catalogue, district rule, classifier), override, registration with 事发地点 and the
contact number, deadlines across 国庆节 and a 调休 Saturday, admin edits of the catalogue and the rules
(audited, applied to new tickets only), a CSV import with bad rows that applies nothing, role checks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS, AuditMark, FakeTracker, agent_called, agent_connect, reset_floor
from console_support import MovableClock, SharedClient, assert_no_stray_tasks, csrf_of, login, make_config, running_console
from hotline.engine import ENGINE
from queues.live import LiveFloor
from tickets.sample_catalogue import load_sample

pytestmark = pytest.mark.asyncio(loop_scope="module")
JSON = {"Accept": "application/json"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
SETTINGS = ConsoleSettings(session_key="catalogue-test-key-0123456789abcdefgh", session_max_age=3600,
                           live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)
USERS = AREA_USERS + (("dept01", "承办人01", ("department",), None, "cgj"),)
START = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # the Wednesday before 国庆节 (10-01..10-07), 10-10 is 调休


@dataclass
class FrozenClock(MovableClock):
    """A fixed instant the test moves by hand, so deadlines are exact to the minute."""

    def __call__(self) -> datetime:
        return START + self.offset


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def form_app(tmp_path_factory):
    clock = FrozenClock()
    tracker = FakeTracker()

    def prepare(app):
        app[ENGINE].overrides.update(floor=LiveFloor(clock), call_tracker=tracker)

    tmp = tmp_path_factory.mktemp("catalogue")
    async with running_console(make_config(tmp), clock, settings=SETTINGS, users=USERS,
                               prepare=prepare) as (app, client):
        services = app[ENGINE].services
        assert (await load_sample(services["tickets"], services["catalogue"]))["added"] > 20
        yield app, client, clock
    assert_no_stray_tasks()


@pytest_asyncio.fixture(loop_scope="module")
async def desk(form_app):
    app, client, clock = form_app
    reset_floor(app[ENGINE].services, clock)
    app[CONSOLE].pops.pops.clear()
    mark = AuditMark(app[CONSOLE].audit)
    await mark.set()
    clients = []

    async def as_user(username: str):
        c = SharedClient(client)
        clients.append(c)
        await login(c, username)
        return c, {**JSON, "X-CSRF-Token": await csrf_of(c)}

    yield app, app[ENGINE], as_user, mark
    for c in clients:
        await c.close()


async def ring(app, linkedid: str, number: str = "13800138000") -> str:
    floor, pops = app[ENGINE].services["floor"], app[CONSOLE].pops
    floor.handle(agent_called(linkedid, number=number))
    floor.handle(agent_connect(linkedid, number=number))
    await pops.idle()
    ticket = await pops.ensure_draft("PJSIP/8101", linkedid, "agent01")
    return ticket.number


async def preview(client, headers, **body) -> dict:
    response = await client.post("/agent/form/preview", headers=headers, json=body)
    assert response.status == 200, await response.text()
    return await response.json()


async def rule_id(engine, category: str, district: str = "") -> int:
    return next(r.id for r in await engine.services["catalogue"].rules()
                if r.category == category and r.district == district)


async def test_given_the_sample_catalogue_when_the_form_loads_then_the_tree_and_the_place_lists_are_offered(desk):
    app, engine, as_user, mark = desk
    client, _ = await as_user("agent01")
    body = await (await client.get("/agent/catalogue", headers=JSON)).json()
    city = next(n for n in body["tree"] if n["name"] == "城市管理")
    appearance = next(n for n in city["children"] if n["name"] == "市容环境")
    assert "城市管理/市容环境/占道经营" in [n["path"] for n in appearance["children"]]
    east = next(d for d in body["districts"] if d["code"] == "cdq")
    assert (east["name"], [s["name"] for s in east["streets"]]) == ("城东区人民政府", ["朝阳街道办事处", "东华街道办事处"])
    assert [u["label"] for u in body["urgencies"]] == ["危及生命财产", "水电气暖", "一般"]


async def test_given_a_category_district_or_only_text_when_previewing_then_the_matching_rule_is_suggested(desk):
    app, engine, as_user, mark = desk
    client, headers = await as_user("agent01")
    path = "城市管理/市容环境/占道经营"
    city = (await preview(client, headers, category=path))["suggestion"]
    assert (city["lead"], city["co"], city["source"], city["rule_id"]) == (
        {"code": "cgj", "name": "城市管理局"}, [{"code": "scjgj", "name": "市场监督管理局"}], "catalogue",
        await rule_id(engine, path))
    east = (await preview(client, headers, category=path, district="cdq"))["suggestion"]
    assert (east["lead"]["name"], east["rule_id"]) == ("城东区人民政府", await rule_id(engine, path, "cdq"))
    deeper = (await preview(client, headers, category="城市管理 › 违法建设 › 楼顶加盖", district="gxq"))["suggestion"]
    assert (deeper["lead"]["code"], deeper["category"]) == ("gxq", "城市管理/违法建设")  # nearest parent rule
    guessed = await preview(client, headers, content="我家楼下天天有人占道摆摊卖菜")
    assert (guessed["classifier_label"], guessed["suggestion"]["source"], guessed["suggestion"]["lead"]["code"]) == (
        "城市管理", "classifier", "cgj")
    assert (await preview(client, headers, category="闲聊"))["suggestion"] is None


URGENCY_DEADLINES = [  # urgency -> acceptance limit shown, due (registered 2026-09-30 10:00, the eve of 国庆节)
    ("life_property", "15 分钟", "2026-09-30 10:15"),
    ("utilities", "30 分钟", "2026-09-30 10:30"),
    ("normal", "1 个工作日", "2026-10-08 10:00"),  # over the seven days of 国庆节
]


@pytest.mark.parametrize("urgency, limit, due", URGENCY_DEADLINES)
async def test_given_an_urgency_when_previewing_then_the_acceptance_tier_and_deadline_are_shown(desk, urgency, limit,
                                                                                                due):
    app, engine, as_user, mark = desk
    client, headers = await as_user("agent01")
    deadlines = (await preview(client, headers, urgency=urgency, request_type="投诉"))["deadlines"]
    assert (deadlines["accept_limit"], deadlines["accept_due"]) == (limit, due)
    assert (deadlines["complete_limit"], deadlines["complete_due"]) == ("5 个工作日", "2026-10-13 10:00")
    assert (await preview(client, headers, urgency=urgency))["deadlines"]["complete_limit"] == ""  # no type yet


async def test_given_the_suggestion_taken_when_dispatched_then_fields_deadlines_and_the_rule_used_are_stored(desk):
    app, engine, as_user, mark = desk
    number = await ring(app, "cat-1")
    client, headers = await as_user("agent01")
    response = await client.post(f"/agent/tickets/{number}/complete", headers=headers, json={
        "then": "dispatch", "request_type": "投诉", "content": "人民路东门商户占道经营", "urgency": "normal",
        "category": "城市管理/市容环境/占道经营", "district": "cdq", "street": "cdq-dhjd", "address": "人民路 88 号东门",
        "caller_name": "张伟", "contact": "", "lead": "cdq", "co": ["cgj"]})
    assert response.status == 200, await response.text()
    shown = (await response.json())["ticket"]
    assert (shown["number"], shown["complete_due"], shown["accept_due"], shown["contact_masked"]) == (
        number, "2026-10-13 10:00", "2026-10-08 10:00", "138****8000")
    ticket = await engine.services["tickets"].get(number)
    assert (ticket.district, ticket.street, ticket.address, ticket.caller_name, ticket.contact_number) == (
        "cdq", "cdq-dhjd", "人民路 88 号东门", "张伟", "13800138000")  # blank contact: the caller ID
    dispatch = [e for e in await engine.services["tickets"].history(number) if e.action.value == "dispatch"][-1]
    assert dispatch.detail["routing"] == {"source": "catalogue", "category": "城市管理/市容环境/占道经营",
                                          "rule_id": await rule_id(engine, "城市管理/市容环境/占道经营", "cdq")}
    register = [e for e in await engine.services["tickets"].history(number) if e.action.value == "register"][-1]
    assert register.detail["contact"] == "138****8000"  # the history keeps the number masked


async def test_given_the_agent_overrides_the_suggestion_when_dispatched_then_a_manual_choice_is_recorded(desk):
    app, engine, as_user, mark = desk
    number = await ring(app, "cat-2", number="13900139000")
    client, headers = await as_user("agent01")
    response = await client.post(f"/agent/tickets/{number}/complete", headers=headers, json={
        "then": "dispatch", "request_type": "投诉", "content": "商户占道", "category": "城市管理/市容环境/占道经营",
        "contact": "0571-8765 4321", "lead": "scjgj", "co": []})
    assert response.status == 200, await response.text()
    ticket = await engine.services["tickets"].get(number)
    assert (ticket.lead_department.code, ticket.contact_number) == ("scjgj", "057187654321")
    dispatch = [e for e in await engine.services["tickets"].history(number) if e.action.value == "dispatch"][-1]
    assert dispatch.detail["routing"] == {"source": "manual", "suggested_source": "catalogue", "suggested_lead": "cgj",
                                          "suggested_rule_id": await rule_id(engine, "城市管理/市容环境/占道经营")}


BAD_FORM = [  # extra fields, start of the Chinese message
    ({"contact": "12345"}, "联系电话：应为 11 位手机号、带区号的固定电话或 7–8 位本地号码"),
    ({"contact": "1380013800a"}, "联系电话：应为 11 位手机号"),
    ({"district": "nowhere"}, "事发区县：请从列表中选择区县"),
    ({"district": "cxq", "street": "cdq-dhjd"}, "事发街道：街道“东华街道办事处”不属于所选区县"),
    ({"address": "路" * 257}, "详细地址：长度 257 超过上限 256 字符"),
    ({"urgency": "很急"}, "紧急程度：请选择 一般、水电气暖、危及生命财产"),
]


@pytest.mark.parametrize("extra, message", BAD_FORM, ids=[m[:12] for _, m in BAD_FORM])
async def test_given_bad_form_fields_when_registering_then_refused_in_chinese_and_the_draft_unchanged(
        desk, extra, message):
    app, engine, as_user, mark = desk
    number = await ring(app, f"cat-bad-{BAD_FORM.index((extra, message))}", number="13700137001")
    client, headers = await as_user("agent01")
    response = await client.post(f"/agent/tickets/{number}/complete", headers=headers,
                                 json={"request_type": "咨询", "content": "问路", **extra})
    body = await response.json()
    assert (response.status, body["error"]["message"].startswith(message)) == (400, True), body
    assert (await engine.services["tickets"].get(number)).status.value == "draft"


BAD_CSV = (
    "category,district,lead,co,classifier\n"
    "城市管理/绿化/树木修剪,,cgj,,\n"                 # line 2: fine, but must not be applied either
    "城市管理/绿化/草坪,,园林局,,\n"                   # line 3: unknown lead
    "城市管理/绿化/树木修剪,,cgj,,\n"                 # line 4: duplicate of line 2
    "城市管理//空,,cgj,,\n"                          # line 5: empty level
    "交通出行/停车,火星区,jtj,swj;不存在的局,\n"        # line 6: unknown district and co
    "住房/物业管理,,zjj,zjj,\n"                       # line 7: lead also co-handling
)


async def test_given_a_csv_with_bad_rows_when_an_admin_imports_it_then_each_row_is_named_and_nothing_applied(desk):
    app, engine, as_user, mark = desk
    before = await engine.services["catalogue"].rules()
    client, headers = await as_user("admin01")
    response = await client.post("/admin/catalogue/import", headers=headers, json={"csv": BAD_CSV})
    body = await response.json()
    assert (response.status, body["error"]["message"]) == (400, "导入失败：5 行有错误，未导入任何规则")
    assert body["error"]["rows"] == [
        "第 3 行：主办部门“园林局”不存在",
        "第 4 行：与第 2 行重复（同一分类和区县）",
        "第 5 行：分类不能为空，各级之间用 / 或 › 分隔，每级都要填写",
        "第 6 行：区县“火星区”不存在；协办部门“不存在的局”不存在",
        "第 7 行：主办部门不能同时协办",
    ]
    assert await engine.services["catalogue"].rules() == before
    assert [(e.action, e.result) for e in sorted(await mark.rows(), key=lambda e: e.id)
            if e.action.startswith("admin.")] == [("admin.catalogue.import", "failed")]

    good = "分类,区县,主办部门,协办部门\n城市管理/绿化/树木修剪,,城市管理局,住房和城乡建设局\n住房/物业管理,,zjj,cgj\n"
    response = await client.post("/admin/catalogue/import", headers=headers, json={"csv": good})
    assert (response.status, (await response.json())["message"]) == (200, "导入成功：新增 1 条，更新 1 条")
    trees = {r.category: r for r in await engine.services["catalogue"].rules() if r.district == ""}
    assert (trees["城市管理/绿化/树木修剪"].lead, trees["城市管理/绿化/树木修剪"].co) == ("cgj", ("zjj",))
    assert (trees["住房/物业管理"].co, trees["住房/物业管理"].updated_by) == (("cgj",), "admin01")


async def test_given_an_admin_when_adding_and_deleting_a_rule_in_the_console_then_the_form_follows_and_it_is_audited(
        desk):
    app, engine, as_user, mark = desk
    admin, headers = await as_user("admin01")
    agent, agent_headers = await as_user("agent01")
    page = await admin.get("/admin/catalogue")
    assert page.status == 200 and "城市管理 › 市容环境 › 占道经营" in await page.text()
    refused = await admin.post("/admin/catalogue", headers=headers, json={
        "category": "教育/校外培训", "district": "", "lead": "培训办", "co": ""})
    assert (refused.status, (await refused.json())["error"]["message"]) == (400, "主办部门“培训办”不存在")
    saved = await admin.post("/admin/catalogue", headers=headers, json={
        "category": "教育 › 校外培训", "district": "cxq", "lead": "cxq", "co": "jyj;scjgj", "classifier": ""})
    assert saved.status == 200, await saved.text()
    suggestion = (await preview(agent, agent_headers, category="教育/校外培训/退费", district="cxq"))["suggestion"]
    assert (suggestion["lead"]["code"], [c["code"] for c in suggestion["co"]]) == ("cxq", ["jyj", "scjgj"])
    new_id = await rule_id(engine, "教育/校外培训", "cxq")
    assert (await admin.post(f"/admin/catalogue/{new_id}/delete", headers=headers)).status == 200
    assert (await preview(agent, agent_headers, category="教育/校外培训/退费", district="cxq"))["suggestion"] is None
    assert [(e.action, e.result) for e in sorted(await mark.rows(), key=lambda e: e.id) if e.action.startswith("admin.catalogue")] == [
        ("admin.catalogue.save", "failed"), ("admin.catalogue.save", "ok"), ("admin.catalogue.delete", "ok")]


async def test_given_non_admins_when_editing_the_catalogue_or_rules_then_refused_and_nothing_changes(desk):
    app, engine, as_user, mark = desk
    before = await engine.services["catalogue"].rules()
    limits = sorted(engine.services["tickets"].deadline_limits(), key=repr)
    for username in ("agent01", "lead01", "dept01"):
        client, headers = await as_user(username)
        for url, body in (("/admin/catalogue/import", {"csv": "category,lead\n城市管理,swj\n"}),
                          ("/admin/catalogue", {"category": "城市管理", "lead": "swj"}),
                          ("/admin/deadlines", {"kind": "accept", "request_type": "*", "urgency": "*",
                                                "amount": 1, "unit": "minutes"})):
            response = await client.post(url, headers=headers, json=body)
            assert response.status == 403 and "console.access.forbidden" in await response.text()
    dept, _ = await as_user("dept01")
    assert (await dept.get("/agent/catalogue", headers=JSON)).status == 403
    assert await engine.services["catalogue"].rules() == before
    assert sorted(engine.services["tickets"].deadline_limits(), key=repr) == limits


async def test_given_an_admin_changes_a_deadline_rule_then_new_tickets_get_it_old_ones_keep_theirs_across_tiaoxiu(
        desk):
    """Complaints: 5 -> 3 working days. Registered 2026-09-30 10:00, 3 working days after 国庆节 is
    Saturday 10-10, a 调休 workday; the ticket registered before the change keeps 10-13."""
    app, engine, as_user, mark = desk
    tickets = engine.services["tickets"]
    agent, agent_headers = await as_user("agent01")
    admin, headers = await as_user("admin01")
    old = await ring(app, "cat-old", number="13600136000")
    assert (await agent.post(f"/agent/tickets/{old}/complete", headers=agent_headers, json={
        "request_type": "投诉", "content": "噪声扰民"})).status == 200
    page = await admin.get("/admin/deadlines")
    assert page.status == 200 and "办结时限" in await page.text()
    bad = await admin.post("/admin/deadlines", headers=headers, json={
        "kind": "complete", "request_type": "complaint", "urgency": "*", "amount": 0, "unit": "working_days"})
    assert (bad.status, (await bad.json())["error"]["message"]) == (400, "时限应为正整数（分钟最多 100000，工作日最多 365）")
    fallback = await admin.post("/admin/deadlines/delete", headers=headers, json={
        "kind": "accept", "request_type": "*", "urgency": "*"})
    assert (fallback.status, (await fallback.json())["error"]["message"]) == (400, "兜底规则（全部/全部）不能删除，只能修改")
    saved = await admin.post("/admin/deadlines", headers=headers, json={
        "kind": "complete", "request_type": "complaint", "urgency": "*", "amount": "3", "unit": "working_days"})
    assert saved.status == 200, await saved.text()
    assert (await preview(agent, agent_headers, request_type="投诉"))["deadlines"]["complete_due"] == "2026-10-10 10:00"
    new = await ring(app, "cat-new", number="13600136001")
    response = await agent.post(f"/agent/tickets/{new}/complete", headers=agent_headers, json={
        "request_type": "投诉", "content": "噪声扰民"})
    assert (await response.json())["ticket"]["complete_due"] == "2026-10-10 10:00"  # 调休 Saturday
    assert (await tickets.get(old)).complete_due.astimezone(SHANGHAI) == datetime(2026, 10, 13, 10, 0, tzinfo=SHANGHAI)
    audit = [(e.action, e.target, e.result) for e in sorted(await mark.rows(), key=lambda e: e.id) if e.action.startswith("admin.deadline")]
    assert audit == [("admin.deadline.save", "", "failed"), ("admin.deadline.delete", "accept */*", "failed"),
                     ("admin.deadline.save", "complete complaint/* 5 working_days -> 3 working_days", "ok")]
    restored = await admin.post("/admin/deadlines", headers=headers, json={
        "kind": "complete", "request_type": "complaint", "urgency": "*", "amount": 5, "unit": "working_days"})
    assert restored.status == 200


async def test_given_the_clock_after_the_holiday_when_previewing_then_minutes_are_wall_clock(desk):
    app, engine, as_user, mark = desk
    clock = app[ENGINE].clock
    base = clock()
    try:
        clock.offset += timedelta(days=3, hours=13, minutes=55)  # 2026-10-03 23:55, mid-holiday
        client, headers = await as_user("agent01")
        deadlines = (await preview(client, headers, urgency="life_property", request_type="求助"))["deadlines"]
        assert (deadlines["accept_due"], deadlines["complete_due"]) == ("2026-10-04 00:10", "2026-10-10 23:55")  # 求助: 3 working days, the 3rd the 调休 Saturday
    finally:
        clock.offset -= timedelta(days=3, hours=13, minutes=55)
    assert clock() == base


async def test_given_a_deactivated_department_when_suggesting_then_its_rules_are_skipped_and_it_is_not_a_co_handler(
        desk):
    app, engine, as_user, mark = desk
    tickets = engine.services["tickets"]
    client, headers = await as_user("agent01")
    await tickets.set_department_active("rlgs", False)
    await tickets.set_department_active("wjw", False)
    try:
        assert (await preview(client, headers, category="公用事业/供暖/室温不达标"))["suggestion"] is None
        water = (await preview(client, headers, category="公用事业/供水/水质异常"))["suggestion"]
        assert (water["lead"]["code"], water["co"]) == ("zls", [])
        admin, _ = await as_user("admin01")
        assert "热力公司（已停用，不再建议）" in await (await admin.get("/admin/catalogue")).text()
    finally:
        await tickets.set_department_active("rlgs", True)
        await tickets.set_department_active("wjw", True)
    assert (await preview(client, headers, category="公用事业/供暖/室温不达标"))["suggestion"]["lead"]["code"] == "rlgs"
