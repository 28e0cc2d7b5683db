"""Admin pages over HTTP: departments, users, pause reasons, keyword rules — refused in Chinese on bad input,
audited, admin only, CSRF-protected; runtime settings survive a restart; a disabled user is logged out at once."""
from __future__ import annotations

import json

import pytest
import pytest_asyncio

from agent_console.audit.service import ACCESS_FORBIDDEN, CSRF_REFUSED
from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS, AuditMark
from console_support import (PASSWORD, MovableClock, SharedClient, assert_no_stray_tasks, csrf_of, login,
                             make_config, running_console)
from hotline.engine import ENGINE

pytestmark = pytest.mark.asyncio(loop_scope="module")
JSON = {"Accept": "application/json"}
NEW_PASSWORD = "brand-new-pass-99"


def settings() -> ConsoleSettings:
    return ConsoleSettings(session_key="admin-more-key-0123456789abcdefghij", session_max_age=3600,
                           live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def console_app(tmp_path_factory):
    clock = MovableClock()
    tmp = tmp_path_factory.mktemp("admin_more")
    async with running_console(make_config(tmp), clock, settings=settings(), users=AREA_USERS) as (app, client):
        await app[ENGINE].services["tickets"].add_department("cgj", "城市管理局")
        yield app, client
    assert_no_stray_tasks()


@pytest_asyncio.fixture(loop_scope="module")
async def console(console_app):
    app, client = console_app
    mark = AuditMark(app[CONSOLE].audit)
    await mark.set()
    clients = []

    async def as_user(username: str, password: str = PASSWORD):
        c = SharedClient(client)
        clients.append(c)
        await login(c, username, password)
        return c, {**JSON, "X-CSRF-Token": await csrf_of(c)}

    yield app, as_user, mark
    for c in clients:
        await c.close()


async def _error(response, status: int) -> dict:
    assert response.status == status, await response.text()
    return (await response.json())["error"]


GETS = ("/admin/departments", "/admin/users", "/admin/pauses", "/admin/rules")
POSTS = ("/admin/departments", "/admin/departments/cgj", "/admin/departments/cgj/active", "/admin/users",
         "/admin/users/agent01/roles", "/admin/users/agent01/phone", "/admin/users/agent01/active",
         "/admin/users/agent01/password", "/admin/pauses", "/admin/rules/preview", "/admin/rules/apply")


async def test_given_agent_or_supervisor_when_opening_admin_pages_then_403_and_audited(console):
    app, as_user, mark = console
    for username in ("agent01", "lead01"):
        c, headers = await as_user(username)
        for path in GETS:
            assert (await c.get(path)).status == 403, path
        for path in POSTS:
            assert (await c.post(path, headers=headers, json={})).status == 403, path
    denied = {(r.username, r.target) for r in await mark.rows(200, action=ACCESS_FORBIDDEN)}
    assert {(u, f"GET {p}") for u in ("agent01", "lead01") for p in GETS} <= denied
    assert {(u, f"POST {p}") for u in ("agent01", "lead01") for p in POSTS} <= denied
    admin, _ = await as_user("admin01")
    for path in GETS:
        response = await admin.get(path)
        assert response.status == 200 and "csrf-token" in await response.text(), path


async def test_given_admin_without_csrf_token_when_posting_then_refused_and_nothing_changes(console):
    app, as_user, mark = console
    admin, _ = await as_user("admin01")
    for path in POSTS:
        error = await _error(await admin.post(path, headers=JSON, json={"reasons": ["外出"], "active": False}), 403)
        assert error["id"] == "console.csrf.refused", path
    assert "外出" not in app[CONSOLE].settings.pause_reasons
    assert len(await mark.rows(100, action=CSRF_REFUSED)) >= len(POSTS)


async def test_given_admin_when_adding_renaming_and_deactivating_a_department_then_dispatch_stops_offering_it(console):
    app, as_user, mark = console
    admin, headers = await as_user("admin01")
    agent, agent_headers = await as_user("agent01")
    added = await (await admin.post("/admin/departments", headers=headers,
                                    json={"code": "sw-1", "name": "水务局"})).json()
    assert {"code": "sw-1", "name": "水务局", "active": True, "kind": "市直部门", "parent": ""} in added["departments"]
    renamed = await (await admin.post("/admin/departments/sw-1", headers=headers, json={"name": "市水务局"})).json()
    assert {"code": "sw-1", "name": "市水务局", "active": True, "kind": "市直部门", "parent": ""} in renamed["departments"]
    offered = await (await agent.get("/agent/departments", headers=JSON)).text()
    assert "市水务局" in offered
    off = await (await admin.post("/admin/departments/sw-1/active", headers=headers, json={"active": False, "kind": "市直部门", "parent": ""})).json()
    assert {"code": "sw-1", "name": "市水务局", "active": False, "kind": "市直部门", "parent": ""} in off["departments"]
    assert "市水务局" not in await (await agent.get("/agent/departments", headers=JSON)).text()
    # renaming an inactive department keeps it inactive
    await admin.post("/admin/departments/sw-1", headers=headers, json={"name": "水务集团"})
    assert "sw-1" not in {d.code for d in await app[ENGINE].services["tickets"].list_departments()}
    assert "停用" in await (await admin.get("/admin/departments")).text()
    actions = [(r.action, r.result) for r in await mark.rows(50)]
    assert ("admin.department.add", "ok") in actions and ("admin.department.deactivate", "ok") in actions
    assert ("admin.department.rename", "ok") in actions


@pytest.mark.parametrize("path,body,status,message", [
    ("/admin/departments", {"code": "", "name": "x"}, 400, "请填写部门编码"),
    ("/admin/departments", {"code": "有中文", "name": "x"}, 400, "部门编码只能用字母"),
    ("/admin/departments", {"code": "cgj", "name": "重复"}, 400, "已存在"),
    ("/admin/departments", {"code": "ok1", "name": ""}, 400, "请填写部门名称"),
    ("/admin/departments", {"code": "ok1", "name": 5}, 400, "部门名称格式错误"),
    ("/admin/departments", {"code": "ok1", "name": "x" * 129}, 400, "不能超过 128"),
    ("/admin/departments/nope", {"name": "x"}, 404, "不存在"),
    ("/admin/departments/cgj", {"name": ""}, 400, "请填写部门名称"),
    ("/admin/departments/nope/active", {"active": False}, 404, "不存在"),
    ("/admin/departments/cgj/active", {"active": "no"}, 400, "启用标记格式错误"),
])
async def test_given_bad_department_input_when_posting_then_refused_in_chinese(console, path, body, status, message):
    app, as_user, mark = console
    admin, headers = await as_user("admin01")
    error = await _error(await admin.post(path, headers=headers, json=body), status)
    assert message in error["message"]
    assert any(r.result == "failed" and r.action.startswith("admin.department") for r in await mark.rows(5))


async def test_given_admin_when_posting_a_non_object_body_then_request_format_error(console):
    app, as_user, _ = console
    admin, headers = await as_user("admin01")
    for path in ("/admin/departments", "/admin/users", "/admin/pauses", "/admin/rules/apply"):
        error = await _error(await admin.post(path, headers=headers, data="[1"), 400)
        assert error["message"] == "请求格式错误", path


async def test_given_admin_when_adding_a_user_with_phone_then_the_user_logs_in_with_that_phone(console):
    app, as_user, mark = console
    admin, headers = await as_user("admin01")
    response = await admin.post("/admin/users", headers=headers, json={
        "username": "agent09", "display_name": "坐席09", "roles": ["agent", "supervisor"],
        "phone_interface": "PJSIP/8109", "password": NEW_PASSWORD})
    users = (await response.json())["users"]
    assert {"username": "agent09", "display_name": "坐席09", "roles": ["agent", "supervisor"],
            "phone_interface": "PJSIP/8109", "active": True, "department": ""} in users
    new, _ = await as_user("agent09", NEW_PASSWORD)
    state = await (await new.get("/agent/state", headers=JSON)).json()
    assert "PJSIP/8109" in json.dumps(state)
    assert (await new.get("/wallboard")).status == 200
    assert ("admin.user.add", "agent09 agent,supervisor PJSIP/8109", "ok") in [
        (r.action, r.target, r.result) for r in await mark.rows(20)]


@pytest.mark.parametrize("body,status,message", [
    ({"username": "", "roles": ["agent"], "password": NEW_PASSWORD}, 400, "请填写用户名"),
    ({"username": "张三", "roles": ["agent"], "password": NEW_PASSWORD}, 400, "用户名只能用字母"),
    ({"username": "agent01", "roles": ["agent"], "password": NEW_PASSWORD}, 409, "用户名已存在"),
    ({"username": "x1", "roles": [], "password": NEW_PASSWORD}, 400, "请至少选择一个角色"),
    ({"username": "x1", "roles": ["root"], "password": NEW_PASSWORD}, 400, "请至少选择一个角色"),
    ({"username": "x1", "roles": "agent", "password": NEW_PASSWORD}, 400, "请至少选择一个角色"),
    ({"username": "x1", "roles": ["agent"], "password": "short"}, 400, "密码至少需要 10 个字符"),
    ({"username": "x1", "roles": ["agent"], "password": None}, 400, "密码至少需要"),
    ({"username": "x1", "roles": ["agent"], "password": NEW_PASSWORD, "phone_interface": "8001"}, 400,
     "话机应为交换机设备名"),
    ({"username": "x1", "roles": ["agent"], "password": NEW_PASSWORD, "phone_interface": "PJSIP/80 01"}, 400,
     "话机应为交换机设备名"),
    ({"username": "x1", "roles": ["agent"], "password": NEW_PASSWORD, "display_name": "名" * 65}, 400,
     "姓名不能超过 64"),
])
async def test_given_bad_user_input_when_adding_then_refused_in_chinese(console, body, status, message):
    app, as_user, mark = console
    admin, headers = await as_user("admin01")
    error = await _error(await admin.post("/admin/users", headers=headers, json=body), status)
    assert message in error["message"]
    assert (await app[ENGINE].services["accounts"].get_by_name("x1")) is None
    assert [(r.action, r.result) for r in await mark.rows(1)] == [("admin.user.add", "failed")]


async def test_given_logged_in_agent_when_admin_disables_them_then_their_session_ends_at_once(console):
    app, as_user, mark = console
    admin, headers = await as_user("admin01")
    await admin.post("/admin/users", headers=headers, json={
        "username": "temp01", "roles": ["agent"], "password": NEW_PASSWORD})
    temp, _ = await as_user("temp01", NEW_PASSWORD)
    assert (await temp.get("/agent/state", headers=JSON)).status == 200
    off = await admin.post("/admin/users/temp01/active", headers=headers, json={"active": False})
    assert {"username": "temp01", "active": False} .items() <= next(
        u for u in (await off.json())["users"] if u["username"] == "temp01").items()
    assert (await _error(await temp.get("/agent/state", headers=JSON), 401))["id"] == "console.session.expired"
    assert (await login(temp, "temp01", NEW_PASSWORD)).headers.get("Location") in (None, "/login")
    assert "temp01 disabled: 1 sessions, 0 pages" in [r.target for r in await mark.rows(20)]
    await admin.post("/admin/users/temp01/active", headers=headers, json={"active": True})
    again, _ = await as_user("temp01", NEW_PASSWORD)
    assert (await again.get("/agent/state", headers=JSON)).status == 200


async def test_given_admin_when_changing_roles_phone_and_password_then_they_take_effect(console):
    app, as_user, mark = console
    admin, headers = await as_user("admin01")
    await admin.post("/admin/users", headers=headers, json={
        "username": "temp02", "roles": ["agent"], "password": NEW_PASSWORD})
    temp, _ = await as_user("temp02", NEW_PASSWORD)
    assert (await temp.get("/wallboard")).status == 403
    await admin.post("/admin/users/temp02/roles", headers=headers, json={"roles": ["supervisor"]})
    assert (await temp.get("/wallboard")).status == 200
    phone = await admin.post("/admin/users/temp02/phone", headers=headers, json={"phone_interface": "PJSIP/8222"})
    assert any(u["phone_interface"] == "PJSIP/8222" for u in (await phone.json())["users"])
    cleared = await admin.post("/admin/users/temp02/phone", headers=headers, json={"phone_interface": ""})
    assert next(u for u in (await cleared.json())["users"] if u["username"] == "temp02")["phone_interface"] == ""
    assert (await admin.post("/admin/users/temp02/password", headers=headers,
                             json={"password": "another-pass-77"})).status == 200
    assert (await temp.get("/wallboard", headers=JSON)).status == 401  # a reset ends the user's sessions
    assert (await login(temp, "temp02", NEW_PASSWORD)).headers.get("Location") in (None, "/login")
    fresh, _ = await as_user("temp02", "another-pass-77")
    assert (await fresh.get("/wallboard")).status == 200
    actions = {r.action for r in await mark.rows(30)}
    assert {"admin.user.roles", "admin.user.phone", "admin.user.password"} <= actions


@pytest.mark.parametrize("path,body,status,message", [
    ("/admin/users/nobody/roles", {"roles": ["agent"]}, 404, "用户不存在"),
    ("/admin/users/nobody/phone", {"phone_interface": "PJSIP/1"}, 404, "用户不存在"),
    ("/admin/users/nobody/active", {"active": False}, 404, "用户不存在"),
    ("/admin/users/nobody/password", {"password": NEW_PASSWORD}, 404, "用户不存在"),
    ("/admin/users/agent01/roles", {"roles": ["boss"]}, 400, "请至少选择一个角色"),
    ("/admin/users/agent01/phone", {"phone_interface": "no-slash"}, 400, "话机应为交换机设备名"),
    ("/admin/users/agent01/phone", {}, 400, "请填写话机（如 PJSIP/8001）；解除绑定请提交空的话机"),
    ("/admin/users/agent01/phone", {"phone": "PJSIP/8101", "phone_interface": None}, 400, "请填写话机"),
    ("/admin/users/agent01/active", {"active": 1}, 400, "启用标记格式错误"),
    ("/admin/users/agent01/password", {"password": "123"}, 400, "密码至少需要"),
    ("/admin/users/admin01/active", {"active": False}, 400, "不能停用自己的账号"),
    ("/admin/users/admin01/roles", {"roles": ["agent"]}, 400, "不能取消自己的管理员角色"),
])
async def test_given_bad_user_change_when_posting_then_refused_in_chinese(console, path, body, status, message):
    app, as_user, mark = console
    admin, headers = await as_user("admin01")
    error = await _error(await admin.post(path, headers=headers, json=body), status)
    assert message in error["message"]
    assert (await mark.rows(1))[0].result == "failed"
    agent01 = await app[ENGINE].services["accounts"].get_by_name("agent01")
    assert (agent01.roles, agent01.phone_interface, agent01.active) == ("agent", "PJSIP/8101", True)


async def test_given_a_form_without_the_phone_field_when_posted_then_400_and_the_phone_stays(console):
    app, as_user, mark = console
    admin, headers = await as_user("admin01")
    for body in ("", "display_name=x"):
        response = await admin.post("/admin/users/agent01/phone", data=body,
                                    headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})
        assert (await _error(response, 400))["message"] == "请求格式错误"
    agent01 = await app[ENGINE].services["accounts"].get_by_name("agent01")
    assert agent01.phone_interface == "PJSIP/8101"


async def test_given_admin_when_setting_pause_reasons_then_the_agent_desk_offers_them(console):
    app, as_user, mark = console
    original = app[CONSOLE].settings
    admin, headers = await as_user("admin01")
    agent, agent_headers = await as_user("agent01")
    try:
        saved = await admin.post("/admin/pauses", headers=headers, json={"reasons": [" 培训 ", "外出办事", ""]})
        assert (await saved.json())["reasons"] == ["培训", "外出办事"]
        desk = await (await agent.get("/agent")).text()
        assert "示忙：外出办事" in desk and "示忙：午休" not in desk
        refused = await _error(await agent.post("/agent/pause", headers=agent_headers, json={"reason": "午休"}), 400)
        assert refused["message"]
        assert "外出办事" in await (await admin.get("/admin/pauses")).text()
        assert ("admin.pause_reasons.set", "培训、外出办事") in [(r.action, r.target) for r in await mark.rows(10)]
    finally:
        app[CONSOLE].settings = original


@pytest.mark.parametrize("reasons,message", [
    ([], "至少需要一个示忙原因"), (["", "  "], "至少需要一个示忙原因"), ("午休", "示忙原因应为文字列表"),
    ([1], "示忙原因应为文字列表"), (["午休", "午休"], "示忙原因重复：午休"), (["话后处理"], "由系统使用"),
    (["长" * 33], "过长"), ([f"r{i}" for i in range(21)], "最多 20 个"),
])
async def test_given_bad_pause_reasons_when_saving_then_refused_and_list_unchanged(console, reasons, message):
    app, as_user, mark = console
    before = app[CONSOLE].settings.pause_reasons
    admin, headers = await as_user("admin01")
    error = await _error(await admin.post("/admin/pauses", headers=headers, json={"reasons": reasons}), 400)
    assert message in error["message"]
    assert app[CONSOLE].settings.pause_reasons == before
    assert [(r.action, r.result) for r in await mark.rows(1)] == [("admin.pause_reasons.set", "failed")]


def _document(extra_rule=None, extra_emergency=None, services=None) -> dict:
    doc = {"rules": [{"category": "供水", "keywords": ["停水", "水压"], "weight": 1.0},
                     {"type": "投诉", "keywords": ["投诉"], "weight": 1.0}],
           "emergency": [{"target": "119", "service": "fire", "name": "消防", "priority": 1, "words": ["着火"]}]}
    if extra_rule:
        doc["rules"].append(extra_rule)
    if extra_emergency:
        doc["emergency"].append(extra_emergency)
    return doc


async def test_given_draft_rules_when_previewing_a_sentence_then_classification_and_route_without_applying(console):
    app, as_user, mark = console
    services = app[ENGINE].services
    before = services["classifier"].rules_as_dicts()
    admin, headers = await as_user("admin01")
    doc = _document({"category": "噪音", "keywords": ["广场舞噪音"], "weight": 2.0},
                    {"target": "120", "service": "ambulance", "name": "急救", "priority": 2, "words": ["晕倒"]})
    response = await admin.post("/admin/rules/preview", headers=headers, json={
        "text": json.dumps(doc, ensure_ascii=False), "format": "json", "sample": "我要投诉小区广场舞噪音，老人晕倒了"})
    result = await response.json()
    assert result["ok"] is True
    assert result["classification"]["categories"][0]["label"] == "噪音"
    assert result["classification"]["types"][0]["label"] == "投诉"
    assert result["route"]["target"] == "120" and result["route"]["word"] == "晕倒"
    assert services["classifier"].rules_as_dicts() == before  # a preview changes nothing
    assert "广场舞噪音" not in [t for t in services["classifier"].classify("广场舞噪音").tokens if len(t) > 4]
    none = await (await admin.post("/admin/rules/preview", headers=headers, json={
        "text": json.dumps(doc, ensure_ascii=False), "sample": "今天天气不错"})).json()
    assert (none["route"], none["classification"]["categories"]) == (None, [])


@pytest.mark.parametrize("body,message", [
    ({"text": "{", "sample": "着火"}, "JSON 格式错误：第 1 行"),
    ({"text": "[]", "sample": "着火"}, "文档应为"),
    ({"text": json.dumps({"rules": [{"category": "x"}], "emergency": []}), "sample": "着火"}, "分类规则和紧急规则都不能为空"),
    ({"text": json.dumps(_document({"category": "x", "keywords": []})), "sample": "x"}, "第3条规则：keywords 必须是非空列表"),
    ({"text": json.dumps(_document(None, {"target": "1x9", "service": "s", "name": "n", "words": ["a"]})),
      "sample": "x"}, "第2条紧急规则：target"),
    ({"text": json.dumps(_document()), "sample": ""}, "试听句子"),
    ({"text": json.dumps(_document()), "sample": "a" * 501}, "试听句子"),
    ({"text": "", "sample": "x"}, "请填写规则"),
    ({"text": "x", "format": "yaml", "sample": "x"}, "格式应为 json 或 toml"),
    ({"text": "[[rules]]\ncategory = ", "format": "toml", "sample": "x"}, "规则文件格式错误"),
])
async def test_given_bad_rules_when_previewing_then_chinese_validation_message(console, body, message):
    app, as_user, _ = console
    admin, headers = await as_user("admin01")
    error = await _error(await admin.post("/admin/rules/preview", headers=headers, json=body), 400)
    assert message in error["message"]


async def test_given_invalid_rules_when_applying_then_refused_and_old_rules_keep_working(console):
    app, as_user, mark = console
    services = app[ENGINE].services
    before, emergency_before = services["classifier"].rules_as_dicts(), list(services["emergency"].rules)
    admin, headers = await as_user("admin01")
    bad = _document({"type": "闲聊", "keywords": ["你好"]})
    error = await _error(await admin.post("/admin/rules/apply", headers=headers,
                                          json={"text": json.dumps(bad, ensure_ascii=False)}), 400)
    assert "未知诉求类型“闲聊”" in error["message"]
    assert services["classifier"].rules_as_dicts() == before and services["emergency"].rules == emergency_before
    assert [(r.action, r.result) for r in await mark.rows(1)] == [("admin.rules.apply", "failed")]


async def _apply_toml(admin, headers) -> dict:
    toml = ('[[rules]]\ncategory = "路灯"\nkeywords = ["路灯不亮"]\nweight = 3.0\n\n'
            '[[rules]]\ntype = "求助"\nkeywords = ["帮忙"]\n\n'
            '[[emergency]]\ntarget = "122"\nservice = "traffic"\nname = "交警"\npriority = 4\nwords = ["追尾"]\n')
    response = await admin.post("/admin/rules/apply", headers=headers, json={"text": toml, "format": "toml"})
    assert response.status == 200, await response.text()
    return await response.json()


async def test_given_restart_when_admin_applied_rules_and_pause_reasons_then_they_are_kept(tmp_path, no_stray_tasks):
    config, clock = make_config(tmp_path), MovableClock()
    async with running_console(config, clock, settings=settings(), users=AREA_USERS) as (app, client):
        admin = SharedClient(client)
        await login(admin, "admin01")
        headers = {**JSON, "X-CSRF-Token": await csrf_of(admin)}
        applied = await _apply_toml(admin, headers)
        assert "路灯不亮" in applied["document"] and "已应用" in applied["message"]
        services = app[ENGINE].services
        assert services["classifier"].classify("门口路灯不亮了").best_category.label == "路灯"
        assert services["emergency"].detect("前面车辆追尾了").target == "122"
        await admin.post("/admin/pauses", headers=headers, json={"reasons": ["就餐", "培训"]})
        await admin.close()
    async with running_console(config, clock, settings=settings(), users=()) as (app, client):
        services = app[ENGINE].services
        assert app[CONSOLE].settings.pause_reasons == ("就餐", "培训")
        assert services["classifier"].classify("门口路灯不亮了").best_category.label == "路灯"
        assert [r.target for r in services["emergency"].rules] == ["122"]
        admin = SharedClient(client)
        await login(admin, "admin01")
        assert "路灯不亮" in await (await admin.get("/admin/rules")).text()
        agent = SharedClient(client)
        await login(agent, "agent01")
        assert "示忙：就餐" in await (await agent.get("/agent")).text()
        await admin.close()
        await agent.close()


async def test_given_corrupt_stored_settings_when_restarting_then_config_defaults_are_used(tmp_path, caplog):
    from agent_console.admin.runtime import STORE
    from agent_console.admin.store import CLASSIFIER_RULES, EMERGENCY_RULES, PAUSE_REASONS

    config, clock = make_config(tmp_path), MovableClock()
    async with running_console(config, clock, settings=settings(), users=AREA_USERS) as (app, _):
        defaults = app[ENGINE].services["classifier"].rules_as_dicts()
        store = app[ENGINE].services[STORE]
        await store.put(PAUSE_REASONS, ["午休", "午休"])
        await store.put(CLASSIFIER_RULES, [{"category": "x"}])
        await store.put(EMERGENCY_RULES, "not a list")
    async with running_console(config, clock, settings=settings(), users=()) as (app, _):
        assert app[CONSOLE].settings.pause_reasons == settings().pause_reasons
        assert app[ENGINE].services["classifier"].rules_as_dicts() == defaults
        assert app[ENGINE].services["emergency"].detect("着火了").target == "119"
    assert "stored pause reasons ignored" in caplog.text and "stored keyword rules ignored" in caplog.text


async def test_given_department_code_with_chinese_when_deactivating_by_its_page_link_then_it_works(console):
    from urllib.parse import quote

    app, as_user, _ = console
    await app[ENGINE].services["tickets"].add_department("城管 二", "城管二队")
    admin, headers = await as_user("admin01")
    page = await (await admin.get("/admin/departments")).text()
    link = "/admin/departments/" + quote("城管 二") + "/active"
    assert f'data-post="{link}"' in page
    response = await admin.post(link, headers=headers, json={"active": False})
    assert {"code": "城管 二", "name": "城管二队", "active": False, "kind": "市直部门", "parent": ""} in (await response.json())["departments"]
