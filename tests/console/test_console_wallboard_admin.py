"""Wallboard and merged-hotline admin over HTTP: the floor's figures with missed targets marked, today's calls by
hour, line edits refused in Chinese, the config diff and apply, and who may open which page."""
from __future__ import annotations

from datetime import timedelta

import dataclasses

import pytest
import pytest_asyncio

from agent_console.audit.service import ACCESS_FORBIDDEN, CSRF_REFUSED
from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS, AuditMark, reset_floor, caller_abandon, caller_hangup, caller_join, member
from calls.models import CallRecord
from console_support import MovableClock, SharedClient, assert_no_stray_tasks, csrf_of, login, make_config, running_console
from hotline.engine import ENGINE
from queues.live import LiveFloor
from queues.models import MergeMode

pytestmark = pytest.mark.asyncio(loop_scope="module")
JSON = {"Accept": "application/json"}


def settings(asterisk_dir=None) -> ConsoleSettings:
    return ConsoleSettings(session_key="areas-test-key-0123456789abcdefghij", session_max_age=3600,
                           live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600,
                           asterisk_config_dir=asterisk_dir)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def console_app(tmp_path_factory):
    """One app for the module (starting one costs a second: the classifier's dictionary)."""
    clock = MovableClock()
    tmp = tmp_path_factory.mktemp("wallboard")

    def prepare(app):
        app[ENGINE].overrides.update(floor=LiveFloor(clock))

    async with running_console(make_config(tmp), clock, settings=settings(tmp / "asterisk"), users=AREA_USERS,
                               prepare=prepare) as (app, client):
        yield app, client, clock, tmp / "asterisk"
    assert_no_stray_tasks()


@pytest.fixture
def asterisk_dir(console_app):
    return console_app[3]


@pytest_asyncio.fixture(loop_scope="module")
async def console(console_app, request):
    app, client, clock, directory = console_app
    reset_floor(app[ENGINE].services, clock, app[CONSOLE].wallboard)
    original = app[CONSOLE].settings
    if getattr(request, "param", "") == "no-dir":
        app[CONSOLE].settings = dataclasses.replace(original, asterisk_config_dir=None)
    mark = AuditMark(app[CONSOLE].audit)
    await mark.set()
    clients = []

    async def as_user(username: str):
        c = SharedClient(client)
        clients.append(c)
        await login(c, username)
        return c, {**JSON, "X-CSRF-Token": await csrf_of(c)}

    yield app, as_user, clock, mark
    app[CONSOLE].settings = original
    for c in clients:
        await c.close()


async def test_given_callers_and_agents_when_the_supervisor_reads_the_board_then_figures_and_missed_targets(console):
    app, as_user, clock, mark = console
    floor = app[ENGINE].services["floor"]
    floor.handle(member("PJSIP/8101", "坐席01"))
    floor.handle(member("PJSIP/8102", "坐席02", paused=True, reason="午休"))
    floor.handle(caller_join("c1"))
    floor.handle(caller_join("c2"))
    floor.handle(caller_abandon("c2"))
    floor.handle(caller_hangup("c2"))
    lead, _ = await as_user("lead01")
    board = (await (await lead.get("/wallboard/state", headers=JSON)).json())["board"]
    assert (board["center"]["waiting"], board["center"]["service"]["missed"]) == (
        1, ["abandoned_pct", "answered_15s_pct", "connection_rate_pct"])
    figures = board["center"]["service"]["figures"]
    # one caller still waiting, one abandoned: of the decided calls, all were abandoned
    assert figures["abandoned_pct"] == {"label": "放弃率", "value": 100.0, "target": 5.0, "missed": True}
    assert figures["answered_15s_pct"]["missed"] is True and figures["answered_15s_pct"]["value"] == 0.0
    (queue,) = board["queues"]
    assert (queue["name"], queue["label"], queue["waiting"]) == ("hotline-general", "12345 总坐席 general pool", 1)
    assert {s["state"]: s["count"] for s in queue["agents"]} == {"talking": 0, "ringing": 0, "idle": 1, "paused": 1,
                                                                 "unavailable": 0}
    paused = next(a for a in board["agents"] if a["interface"] == "PJSIP/8102")
    assert (paused["state_label"], paused["paused_reason"]) == ("示忙", "午休") and paused["since"] is not None
    assert "13900000001" not in str(board)  # callers' numbers never reach the board whole

    page = await (await lead.get("/wallboard")).text()
    assert 'class="tile figure missed" data-figure="abandoned_pct"' in page
    assert 'data-figure="answered_15s_pct"' in page and "监控大屏" in page


async def test_given_no_calls_when_reading_the_board_then_percentages_are_empty_not_100(console):
    app, as_user, clock, mark = console
    lead, _ = await as_user("lead01")
    board = (await (await lead.get("/wallboard/state", headers=JSON)).json())["board"]
    assert board["center"]["waiting"] == 0 and board["center"]["service"]["missed"] == []
    assert {f["value"] for f in board["center"]["service"]["figures"].values()} == {None}


async def test_given_calls_in_the_log_when_the_chart_refreshes_then_today_by_hour_in_beijing_time(console):
    app, as_user, clock, mark = console
    engine = app[ENGINE]
    now = engine.clock()
    rows = [(now, "answered"), (now, "abandoned"), (now - timedelta(days=2), "answered")]
    async with engine.sessions() as session, session.begin():
        for i, (at, outcome) in enumerate(rows):
            session.add(CallRecord(server="s", linkedid=f"l{i}", started_at=at, ended_at=at, outcome=outcome,
                                   recorded_at=at, hold_seconds=0, ivr_vars={}))
    await app[CONSOLE].wallboard.refresh()
    lead, _ = await as_user("lead01")
    chart = (await (await lead.get("/wallboard/state", headers=JSON)).json())["board"]["chart"]
    assert (sum(chart["total"]), sum(chart["answered"])) == (2, 1)


async def test_given_the_live_socket_when_a_member_pauses_then_one_batched_message_shows_it(console):
    app, as_user, clock, mark = console
    lead, _ = await as_user("lead01")
    origin = str(lead.make_url("")).rstrip("/")
    async with lead.ws_connect("/wallboard/live", headers={"Origin": origin}) as ws:
        first = await ws.receive_json(timeout=5)
        assert first["agents"] == []
        floor = app[ENGINE].services["floor"]
        floor.handle(member("PJSIP/8101", "坐席01"))
        floor.handle(member("PJSIP/8101", "坐席01", paused=True, reason="培训"))
        while (pushed := await ws.receive_json(timeout=5))["agents"][0]["state"] != "paused":
            pass
        assert pushed["agents"][0]["paused_reason"] == "培训"


async def test_given_roles_when_opening_the_wallboard_and_admin_pages_then_only_theirs_and_refusals_audited(console):
    app, as_user, clock, mark = console
    agent, agent_headers = await as_user("agent01")
    lead, lead_headers = await as_user("lead01")
    admin, admin_headers = await as_user("admin01")
    for client, path, status in ((agent, "/wallboard", 403), (agent, "/wallboard/state", 403),
                                 (admin, "/wallboard", 403), (lead, "/wallboard", 200),
                                 (agent, "/admin/lines", 403), (lead, "/admin/lines", 403),
                                 (lead, "/admin/lines/preview", 403), (admin, "/admin/lines", 200)):
        assert (await client.get(path)).status == status, path
    assert (await agent.get("/wallboard/live", headers={"Origin": str(agent.make_url("")).rstrip("/")})).status == 403
    assert (await lead.post("/admin/lines/apply", headers=lead_headers)).status == 403
    denied = {(r.username, r.target) for r in await mark.rows(20, action=ACCESS_FORBIDDEN)}
    assert {("agent01", "GET /wallboard"), ("admin01", "GET /wallboard"), ("lead01", "GET /admin/lines"),
            ("lead01", "POST /admin/lines/apply"), ("agent01", "GET /wallboard/live")} <= denied
    cross = await lead.get("/wallboard/live", headers={"Connection": "Upgrade", "Upgrade": "websocket",
                                                        "Sec-WebSocket-Version": "13", "Origin": "http://127.0.0.1:1",
                                                        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert cross.status == 403


async def test_given_an_admin_when_adding_a_dual_number_line_then_saved_previewed_and_applied(console, asterisk_dir):
    app, as_user, clock, mark = console
    admin, headers = await as_user("admin01")
    await app[ENGINE].services["tickets"].add_department("csj", "测试局")
    page = await (await admin.get("/admin/lines")).text()
    assert '<option value="测试局">测试局</option>' in page  # 主管部门 is chosen from the department list
    saved = await admin.post("/admin/lines", headers=headers, json={
        "number": "12399", "name": "测试专线", "mode": "parallel", "queue": "line-12399", "overflow_after": "30",
        "department": "测试局"})
    assert saved.status == 200, await saved.text()
    line = await app[ENGINE].services["lines"].get("12399")
    assert (line.mode, line.queue, line.overflow_after) == (MergeMode.PARALLEL, "line-12399", 30)
    preview = await (await admin.get("/admin/lines/preview", headers=JSON)).json()
    assert "+[line-12399]" in preview["diff"] and "+exten => 12399,1,Set(__HOTLINE_LINE=12399)" in preview["diff"]
    applied = await (await admin.post("/admin/lines/apply", headers=headers)).json()
    assert (applied["ok"], applied["message"]) == (False, "配置已写入，但没有配置交换机连接，未执行重新加载")
    assert "[line-12399]" in (asterisk_dir / "hotline-queues.conf").read_text(encoding="utf-8")
    again = await (await admin.get("/admin/lines/preview", headers=JSON)).json()
    assert (again["diff"], again["unchanged"]) == ("", True)
    rows = [(r.action, r.target) for r in await mark.rows(2, username="admin01")]
    assert rows == [("admin.lines_apply", "no server"), ("admin.line_save", "12399 parallel")]
    refused = await admin.post("/admin/lines/apply", headers=JSON)
    assert refused.status == 403
    assert [r.target for r in await mark.rows(1, action=CSRF_REFUSED)] == ["POST /admin/lines/apply"]


BAD_LINE_FORMS = [  # form, start of the Chinese message
    ({"number": "12a", "name": "x", "mode": "parallel", "queue": "line-1"}, "号码应为 3–15 位数字"),
    ({"number": "12388", "name": "", "mode": "absorbed"}, "请填写热线名称"),
    ({"number": "12388", "name": "x", "mode": "merge"}, "请选择并入方式：整体并入、双号并行、设分中心"),
    ({"number": "12388", "name": "x", "mode": "hub"}, "12345 主号不能在这里修改"),
    ({"number": "12388", "name": "x", "mode": "双号并行"}, "双号并行需要专席队列，例如 line-12388"),
    ({"number": "12388", "name": "x", "mode": "parallel", "queue": "Line 1;[x]"}, "队列名只能用小写字母"),
    ({"number": "12388", "name": "x", "mode": "subcenter"}, "设分中心需要分中心队列或拨号串"),
    ({"number": "12388", "name": "x", "mode": "subcenter", "dial_target": "PJSIP/1\nexten"},
     "分中心拨号串不能含换行符或控制字符"),
    ({"number": "12388", "name": "x", "mode": "subcenter", "dial_target": "PJSIP 95598"}, "分中心号码应为交换机拨号串"),
    ({"number": "12388", "name": "x", "mode": "absorbed", "hours": "9-5"}, "服务时间格式应为 HH:MM-HH:MM"),
    ({"number": "12388", "name": "x", "mode": "absorbed", "overflow_after": "999"}, "溢出等待应为 0–600 秒"),
    ({"number": "12388", "name": "a\nb", "mode": "absorbed"}, "热线名称不能含换行符或控制字符"),
    *[({"number": "12388", "name": f"惠民热线{sep}exten => 9999,1,Dial(PJSIP/x)", "mode": "absorbed"},
       "热线名称不能含换行符或控制字符（如 U+2028 行分隔符）") for sep in ("\u2028", "\u2029", "\u0085", "\r", "\x00")],
    ({"number": "12388", "name": "惠" * 65, "mode": "absorbed"}, "热线名称不能超过 64 个字符"),
    ({"number": "12388", "name": "x", "mode": "absorbed", "enabled": "yes"}, "启用标记格式错误"),
    ({"number": ["12388"], "name": "x", "mode": "absorbed"}, "号码格式错误"),
    ({"number": "12388", "name": "x", "mode": "absorbed", "department": "不存在的局"}, "主管部门“不存在的局”不在部门列表中"),
]


async def test_given_a_bad_line_form_when_saving_then_refused_in_chinese_and_nothing_saved(console):
    app, as_user, clock, mark = console
    admin, headers = await as_user("admin01")
    for form, message in BAD_LINE_FORMS:
        response = await admin.post("/admin/lines", headers=headers, json=form)
        error = (await response.json())["error"]
        assert response.status == 400 and error["message"].startswith(message), (form, error)
    assert await app[ENGINE].services["lines"].get("12388") is None
    rows = await mark.rows(len(BAD_LINE_FORMS) + 5, action="admin.line_save")
    assert len(rows) == len(BAD_LINE_FORMS) and {r.result for r in rows} == {"failed"}


async def test_given_the_hub_number_when_an_admin_edits_it_then_refused(console):
    app, as_user, clock, mark = console
    from queues.routing import LineInfo

    await app[ENGINE].services["lines"].save(LineInfo("12345", "12345热线", MergeMode.HUB))
    admin, headers = await as_user("admin01")
    response = await admin.post("/admin/lines", headers=headers, json={"number": "12345", "name": "x",
                                                                       "mode": "absorbed"})
    assert (response.status, (await response.json())["error"]["message"]) == (400, "12345 主号不能在这里修改")
    bad = await admin.post("/admin/lines", headers={**headers, "Content-Type": "application/json"}, data="[1]")
    assert (bad.status, (await bad.json())["error"]["message"]) == (400, "请求格式错误")


@pytest.mark.parametrize("console", ["no-dir"], indirect=True)
async def test_given_no_asterisk_directory_when_previewing_or_applying_then_disabled_with_an_explanation(console):
    app, as_user, clock, mark = console
    admin, headers = await as_user("admin01")
    page = await (await admin.get("/admin/lines")).text()
    assert "未配置 Asterisk 配置目录（[asterisk] config_dir）" in page and 'data-testid="apply" disabled' in page
    for method, path in (("GET", "/admin/lines/preview"), ("POST", "/admin/lines/apply")):
        response = await admin.request(method, path, headers=headers)
        assert (response.status, (await response.json())["error"]["id"]) == (409, "console.lines.no_directory")


async def test_given_stored_calls_when_the_engine_restarts_then_today_and_24_hour_figures_are_unchanged(console):
    """Issue 10.4: the figures come from the call log, not from the live floor's memory."""
    from agent_console.wallboard.board import Wallboard

    app, as_user, clock, mark = console
    engine = app[ENGINE]
    now = engine.clock()
    stored = [("answered", "hotline-general", "hotline-general", 4), ("answered", "line-12315", "hotline-general", 61),
              ("abandoned", "hotline-general", "hotline-general", 6), ("timeout", "hotline-general", "hotline-general", 60),
              ("ivr_hangup", None, None, 0)]
    async with engine.sessions() as session, session.begin():
        for i, (outcome, first, final, hold) in enumerate(stored):
            at = now - timedelta(minutes=i + 1)
            answered = outcome == "answered"
            session.add(CallRecord(server="restart", linkedid=f"r{i}", started_at=at, ended_at=at, outcome=outcome,
                                   first_queue=first, final_queue=final, recorded_at=at, hold_seconds=hold,
                                   answered_interface="PJSIP/8101" if answered else None,
                                   talk_seconds=40 + 20 * i if answered else None, ivr_vars={}))
    engine.services["floor"].handle(member("PJSIP/8101", "坐席01"))
    await app[CONSOLE].wallboard.refresh()
    lead, _ = await as_user("lead01")
    board = (await (await lead.get("/wallboard/state", headers=JSON)).json())["board"]
    rows = {row["queue"]: row for row in board["stored"]}
    assert rows[""]["label"] == "全中心"
    pool = rows["hotline-general"]["day"]
    assert (pool["offered"], pool["answered"], pool["answered_15s"], pool["abandoned"], pool["timeout"]) == (4, 2, 1, 1, 1)
    assert (pool["average_wait"], pool["longest_wait"]) == (32.5, 61)
    assert rows["line-12315"]["day"]["overflowed"] == 1 and rows["line-12315"]["day"]["abandoned"] == 0
    assert board["center"]["service"]["offered"] == 0      # the live floor knows nothing of these calls
    (agent,) = board["agents"]
    assert agent["answered"] == 0                           # no AgentConnect seen since the (re)start
    from agent_console.wallboard.hourly import local_midnight

    talks = [40 + 20 * i for i, (outcome, *_) in enumerate(stored)
             if outcome == "answered" and now - timedelta(minutes=i + 1) >= local_midnight(now)]
    assert agent["today"] == {"answered": len(talks), "talk_seconds": sum(talks),        # the call log's
                              "average_talk": round(sum(talks) / len(talks), 1) if talks else None}

    # an engine restart: a wallboard with empty memory reads the same figures back
    fresh = Wallboard(engine.services, engine.sessions, engine.clock, lambda: None)
    await fresh.refresh()
    assert fresh.view()["stored"] == board["stored"]


async def test_given_stored_agent_lines_when_the_agent_and_the_supervisor_open_their_pages_then_the_figures_show(console):
    """Issue 10.4: per-agent figures from the stored queue_log lines, on the desk (the agent's own) and the wallboard."""
    from queuelog import parse_lines
    from queuelog.agent_store import AgentLineStore

    app, as_user, clock, mark = console
    now = int(app[ENGINE].clock().timestamp())
    t = now - 600
    lines = [f"{t}|MANAGER|hotline-general|坐席01|ADDMEMBER|", f"{t + 5}|c.1|hotline-general|坐席01|RINGNOANSWER|15000",
             f"{t + 20}|c.1|hotline-general|坐席01|CONNECT|20|a.1|5",
             f"{t + 140}|c.1|hotline-general|坐席01|COMPLETEAGENT|20|120|1",
             f"{t + 140}|NONE|hotline-general|坐席01|PAUSE|话后处理", f"{t + 170}|NONE|hotline-general|坐席01|UNPAUSE|",
             f"{t + 200}|NONE|hotline-general|坐席01|PAUSE|培训", f"{t + 260}|NONE|hotline-general|坐席01|UNPAUSE|",
             f"{t + 300}|MANAGER|hotline-general|坐席01|REMOVEMEMBER|"]
    await AgentLineStore(app[ENGINE].sessions).save("standin:q", parse_lines(lines).records)
    await app[CONSOLE].wallboard.refresh()

    agent, _ = await as_user("agent01")
    state = (await (await agent.get("/agent/state", headers=JSON)).json())["state"]["figures"]["today"]
    assert (state["answered"], state["ring_no_answer"], state["talk_seconds"], state["average_handling"]) == (1, 1, 120, 150.0)
    assert [(p["reason"], p["seconds"]) for p in state["pauses"]] == [("话后处理", 30), ("培训", 60)]
    assert not state["logged_in"] and state["last_logout_at"]
    page = await (await agent.get("/agent")).text()
    assert "我的今日与 24 小时统计" in page and "平均处理时长(秒)" in page and "今日示忙记录" in page
    assert '<td class="f-average_handling" data-period="today">150.0</td>' in page and "<td>培训</td><td>60</td>" in page

    lead, _ = await as_user("lead01")
    board = (await (await lead.get("/wallboard/state", headers=JSON)).json())["board"]
    (row,) = [a for a in board["agent_figures"] if a["name"] == "坐席01"]
    assert row["day"]["answered"] == 1 and row["today"]["pause_count"] == 2
    wall = await (await lead.get("/wallboard")).text()
    assert "坐席今日与 24 小时统计" in wall and 'data-agent="坐席01" data-period="today"' in wall
