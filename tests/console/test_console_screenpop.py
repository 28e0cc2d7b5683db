"""Screen pop and ticket completion over HTTP: what the agent sees when a call rings, the full number on click,
registering/answering/dispatching the draft through TicketService, confidential tickets, roles, CSRF and audit."""
from __future__ import annotations

import pytest
import pytest_asyncio

from agent_console.audit.service import ACCESS_FORBIDDEN, CSRF_REFUSED, VIEW_CALLER_NUMBER, VIEW_CONFIDENTIAL_TICKET
from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from areas_support import AREA_USERS, AuditMark, FakeTracker, reset_floor, agent_called, agent_complete, agent_connect, agent_no_answer
from console_support import MovableClock, SharedClient, assert_no_stray_tasks, csrf_of, login, make_config, running_console
from hotline.engine import ENGINE
from queues.live import LiveFloor

pytestmark = pytest.mark.asyncio(loop_scope="module")
JSON = {"Accept": "application/json"}
SETTINGS = ConsoleSettings(session_key="areas-test-key-0123456789abcdefghij", session_max_age=3600,
                           live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)
CALLER = "13800138000"
REPEAT_CALLER = "13700137000"  # only the duplicate test calls from here


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def desk_app(tmp_path_factory):
    """One app for the module (starting one costs a second: the classifier's dictionary)."""
    clock = MovableClock()
    tracker = FakeTracker()

    def prepare(app):
        app[ENGINE].overrides.update(floor=LiveFloor(clock), call_tracker=tracker)

    tmp = tmp_path_factory.mktemp("screenpop")
    async with running_console(make_config(tmp), clock, settings=SETTINGS, users=AREA_USERS,
                               prepare=prepare) as (app, client):
        engine = app[ENGINE]
        await engine.services["tickets"].add_department("scjgj", "市场监督管理局")
        await engine.services["tickets"].add_department("cgj", "城市管理局")
        yield app, client, tracker, clock
    assert_no_stray_tasks()


@pytest_asyncio.fixture(loop_scope="module")
async def desk(desk_app):
    app, client, tracker, clock = desk_app
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

    yield app, app[ENGINE], tracker, as_user, mark
    for c in clients:
        await c.close()


async def ring(app, linkedid: str, *, answer: bool = True, draft: bool = True, **kw) -> dict:
    """A queue call rings (and is answered) at agent01's phone; `draft`: the agent starts registering it."""
    floor, pops = app[ENGINE].services["floor"], app[CONSOLE].pops
    floor.handle(agent_called(linkedid, **kw))
    if answer:
        floor.handle(agent_connect(linkedid, **kw))
    await pops.idle()
    if answer and draft:
        await pops.ensure_draft("PJSIP/8101", linkedid, "agent01")
    return pops.view("PJSIP/8101")


async def test_given_an_ivr_draft_when_the_call_rings_at_the_agent_then_the_pop_shows_it_masked_with_duplicates(desk):
    app, engine, tracker, as_user, mark = desk
    tickets = engine.services["tickets"]
    similar = await tickets.create_draft(caller=REPEAT_CALLER, content="小区门口的路灯坏了一个月了，晚上很黑")
    other = await tickets.create_draft(caller=REPEAT_CALLER, content="咨询社保卡补办需要什么材料")
    secret = await tickets.create_draft(caller=REPEAT_CALLER, content="举报某单位负责人受贿", confidential=True)
    draft = await tickets.create_draft(caller=REPEAT_CALLER, line_dialed="12345", transcript="我们小区门口的路灯坏了一个月了",
                                       transcript_status="done", call_id="call-1")
    tracker.ivr("call-1", HOTLINE_LINE="12345", HOTLINE_TICKET=draft.number, HOTLINE_ACTION="queue",
                HOTLINE_QUEUE="hotline-general")
    await ring(app, "call-1", answer=False, number=REPEAT_CALLER)

    client, headers = await as_user("agent01")
    pop = (await (await client.get("/agent/pop", headers=JSON)).json())["pop"]
    assert (pop["state"], pop["caller_masked"], pop["caller_name"], pop["line"]) == ("ringing", "137****7000", "张伟",
                                                                                  "12345")
    assert REPEAT_CALLER not in str(pop)
    assert pop["ivr_path"] == ["拨打 12345", "语音留言", "队列 hotline-general"]
    assert pop["ticket"]["number"] == draft.number and pop["ticket"]["transcript"] == "我们小区门口的路灯坏了一个月了"
    assert pop["duplicate"] is True
    flagged = {e["number"]: e["duplicate"] for e in pop["earlier"]}
    assert flagged == {similar.number: True, other.number: False, secret.number: False}
    hidden = next(e for e in pop["earlier"] if e["number"] == secret.number)
    assert hidden["summary"] == "（保密工单，点击查看）" and "受贿" not in str(pop)

    state = await (await client.get("/agent/state", headers=JSON)).json()
    assert state["state"]["pop"]["linkedid"] == "call-1"  # the desk's message carries the pop
    other_agent, _ = await as_user("agent02")
    assert (await (await other_agent.get("/agent/pop", headers=JSON)).json())["pop"] is None


async def test_given_a_call_without_ivr_draft_when_answered_then_no_draft_until_the_agent_registers(desk):
    app, engine, tracker, as_user, mark = desk
    pop = await ring(app, "call-2", number="02088886666", draft=False)
    assert (pop["state"], pop["ticket"]) == ("talking", None)
    assert await engine.services["tickets"].search(caller="02088886666") == []  # answering alone files nothing
    agent, headers = await as_user("agent01")
    made = await (await agent.post("/agent/pop/call-2/draft", headers=headers)).json()
    again = await (await agent.post("/agent/pop/call-2/draft", headers=headers)).json()
    assert made["ticket"]["number"] == again["ticket"]["number"]  # idempotent
    (ticket,) = await engine.services["tickets"].search(caller="02088886666")
    assert (ticket.call_id, ticket.number, ticket.status.value) == ("call-2", made["ticket"]["number"], "draft")
    assert [e.actor for e in await engine.services["tickets"].history(ticket.number)] == ["agent01"]
    assert (await agent.post("/agent/pop/call-x/draft", headers=headers)).status == 404
    assert (await agent.post("/agent/pop/call-2/draft", headers=JSON)).status == 403  # no CSRF token
    rows = await mark.rows(5, action="ticket.draft")
    assert [(r.username, r.target) for r in rows] == [("agent01", ticket.number)] * 2
    app[ENGINE].services["floor"].handle(agent_complete("call-2"))
    assert app[CONSOLE].pops.view("PJSIP/8101")["state"] == "ended"  # kept for wrap-up


async def test_given_a_ring_not_answered_when_ringnoanswer_then_the_pop_goes_away(desk):
    app, engine, tracker, as_user, mark = desk
    await ring(app, "call-3", answer=False)
    app[ENGINE].services["floor"].handle(agent_no_answer("call-3"))
    assert app[CONSOLE].pops.view("PJSIP/8101") is None


async def test_given_a_pop_when_the_agent_clicks_for_the_number_then_it_is_shown_and_audited(desk):
    app, engine, tracker, as_user, mark = desk
    await ring(app, "call-4")
    client, headers = await as_user("agent01")
    response = await client.post("/agent/pop/call-4/number", headers=headers)
    assert (response.status, (await response.json())["number"]) == (200, CALLER)
    rows = await mark.rows(5, action=VIEW_CALLER_NUMBER)
    assert [(r.username, r.target, r.result) for r in rows] == [("agent01", "call call-4 138****8000", "ok")]

    refused = await client.post("/agent/pop/call-4/number", headers=JSON)  # no CSRF token
    assert (refused.status, (await refused.json())["error"]["id"]) == (403, "console.csrf.refused")
    wrong = await client.post("/agent/pop/call-other/number", headers=headers)
    assert (wrong.status, (await wrong.json())["error"]["message"]) == (404, "这通来电已不在您的弹屏中")
    other, other_headers = await as_user("agent02")
    assert (await other.post("/agent/pop/call-4/number", headers=other_headers)).status == 404
    lead, lead_headers = await as_user("lead01")
    assert (await lead.post("/agent/pop/call-4/number", headers=lead_headers)).status == 403
    assert len(await mark.rows(5, action=VIEW_CALLER_NUMBER)) == 1


async def test_given_a_draft_when_registered_and_answered_directly_then_the_ticket_is_replied_and_audited(desk):
    app, engine, tracker, as_user, mark = desk
    number = (await ring(app, "call-5"))["ticket"]["number"]
    client, headers = await as_user("agent01")
    response = await client.post(f"/agent/tickets/{number}/complete", headers=headers, json={
        "then": "reply", "request_type": "咨询", "category": "社会保障", "content": "咨询社保卡补办",
        "reply": "携带身份证到任一社保网点办理"})
    body = await response.json()
    assert (response.status, body["ticket"]["status"]) == (200, "replied")
    ticket = await engine.services["tickets"].get(number)
    assert (ticket.request_type.label, ticket.category, ticket.reply) == ("咨询", "社会保障", "携带身份证到任一社保网点办理")
    history = [(e.action.value, e.actor) for e in await engine.services["tickets"].history(number)]
    assert history[1:] == [("register", "agent01"), ("reply", "agent01")]
    assert app[CONSOLE].pops.view("PJSIP/8101")["ticket"]["status"] == "replied"
    rows = await mark.rows(1, username="agent01")
    assert [(r.action, r.target, r.result) for r in rows] == [("ticket.reply_direct", number, "ok")]


async def test_given_a_draft_when_dispatched_then_lead_and_co_departments_are_set(desk):
    app, engine, tracker, as_user, mark = desk
    number = (await ring(app, "call-6"))["ticket"]["number"]
    client, headers = await as_user("agent01")
    departments = await (await client.get("/agent/departments", headers=JSON)).json()
    assert departments["departments"] == [{"code": "cgj", "name": "城市管理局"}, {"code": "scjgj", "name": "市场监督管理局"}]
    response = await client.post(f"/agent/tickets/{number}/complete", headers=headers, json={
        "then": "dispatch", "request_type": "投诉", "content": "商户占道经营", "lead": "cgj", "co": ["scjgj"]})
    assert (response.status, (await response.json())["ticket"]["lead"]) == (200, "城市管理局")
    ticket = await engine.services["tickets"].get(number)
    assert (ticket.status.value, [d.code for d in ticket.co_departments]) == ("dispatched", ["scjgj"])


BAD_TICKET_INPUT = [  # body, HTTP status, start of the Chinese message
    ({"request_type": "闲聊", "content": "x"}, 400, "诉求类型：请选择 咨询、求助、投诉、举报、建议、表扬"),
    ({"request_type": "咨询", "content": "   "}, 400, "诉求内容：必填"),
    ({"request_type": "咨询", "content": "x" * 20_001}, 400, "诉求内容：长度 20001 超过上限 20000 字符"),
    ({"then": "reply", "request_type": "咨询", "content": "x"}, 400, "直接办结需要填写答复内容"),
    ({"then": "dispatch", "request_type": "咨询", "content": "x"}, 400, "派单需要选择主办部门"),
    ({"then": "dispatch", "request_type": "投诉", "content": "x", "lead": "nope"}, 400, "部门不存在：nope"),
    ({"then": "dispatch", "request_type": "投诉", "content": "x", "lead": "cgj", "co": ["cgj"]}, 400,
     "协办部门：主办部门不能同时协办"),
    ({"then": "close", "request_type": "咨询", "content": "x"}, 400, "请选择：登记、直接办结或派单"),
    ({"request_type": "咨询", "content": "x", "confidential": "yes"}, 400, "保密标记格式错误"),
    ({"request_type": 5, "content": "x"}, 400, "字段 request_type 必须是文本"),
    ({"then": "dispatch", "request_type": "投诉", "content": "x", "lead": "cgj", "co": [1]}, 400,
     "协办部门格式错误"),
]


async def test_given_bad_ticket_input_when_completing_then_refused_in_chinese_and_the_draft_unchanged(desk):
    app, engine, tracker, as_user, mark = desk
    number = (await ring(app, "call-7"))["ticket"]["number"]
    client, headers = await as_user("agent01")
    for body, status, message in BAD_TICKET_INPUT:  # one app for the whole table: each case is one request
        response = await client.post(f"/agent/tickets/{number}/complete", headers=headers, json=body)
        error = (await response.json())["error"]
        assert response.status == status and error["message"].startswith(message), (body, error)
    ticket = await engine.services["tickets"].get(number)
    assert (ticket.status.value, ticket.content) == ("draft", None)


async def test_given_a_registered_ticket_when_registering_again_then_the_illegal_transition_is_shown_in_chinese(desk):
    app, engine, tracker, as_user, mark = desk
    number = (await ring(app, "call-8"))["ticket"]["number"]
    client, headers = await as_user("agent01")
    first = await client.post(f"/agent/tickets/{number}/complete", headers=headers,
                              json={"request_type": "建议", "content": "建议增加公交线路"})
    assert first.status == 200
    again = await client.post(f"/agent/tickets/{number}/complete", headers=headers,
                              json={"request_type": "建议", "content": "建议增加公交线路"})
    assert (again.status, (await again.json())["error"]["message"]) == (
        409, f"工单 {number} 当前状态为「已登记」，不能执行「登记」")
    missing = await client.post("/agent/tickets/20990101000001/complete", headers=headers,
                                json={"request_type": "建议", "content": "x"})
    assert (missing.status, (await missing.json())["error"]["message"]) == (404, "工单不存在")
    bad_json = await client.post(f"/agent/tickets/{number}/complete", headers={**headers, "Content-Type":
                                                                                "application/json"}, data="{")
    assert (bad_json.status, (await bad_json.json())["error"]["message"]) == (400, "请求格式错误")
    rows = await mark.rows(3, username="agent01")
    assert [r.result for r in rows] == ["failed", "failed", "failed"]


async def test_given_a_confidential_ticket_when_viewed_then_only_its_agent_and_supervisors_and_every_view_audited(desk):
    app, engine, tracker, as_user, mark = desk
    number = (await ring(app, "call-9"))["ticket"]["number"]
    agent, headers = await as_user("agent01")
    response = await agent.post(f"/agent/tickets/{number}/complete", headers=headers, json={
        "request_type": "举报", "content": "举报某单位负责人受贿", "confidential": True})
    assert (response.status, (await response.json())["ticket"]["confidential"]) == (200, True)
    app[CONSOLE].pops.dismiss("PJSIP/8101", "call-9")

    assert (await agent.get(f"/tickets/{number}", headers=JSON)).status == 200  # registered it: the handling agent
    other, _ = await as_user("agent02")
    refused = await other.get(f"/tickets/{number}", headers=JSON)
    assert (refused.status, (await refused.json())["error"]["message"]) == (403, "保密工单，仅承办坐席和班长可以查看")
    lead, _ = await as_user("lead01")
    seen = await (await lead.get(f"/tickets/{number}", headers=JSON)).json()
    assert seen["ticket"]["content"] == "举报某单位负责人受贿"
    admin, _ = await as_user("admin01")
    assert (await admin.get(f"/tickets/{number}", headers=JSON)).status == 403  # an admin is neither
    rows = await mark.rows(10, action=VIEW_CONFIDENTIAL_TICKET)
    assert [(r.username, r.result) for r in rows] == [("lead01", "ok"), ("agent02", "denied"), ("agent01", "ok")]
    assert [r.username for r in await mark.rows(1, action=ACCESS_FORBIDDEN)] == ["admin01"]


async def test_given_a_plain_ticket_when_viewed_then_no_confidential_audit_and_unknown_is_404(desk):
    app, engine, tracker, as_user, mark = desk
    plain = await engine.services["tickets"].create_draft(caller=CALLER, content="咨询")
    lead, _ = await as_user("lead01")
    assert (await lead.get(f"/tickets/{plain.number}", headers=JSON)).status == 200
    assert (await lead.get("/tickets/nope", headers=JSON)).status == 404
    assert await mark.rows(5, action=VIEW_CONFIDENTIAL_TICKET) == []


async def test_given_pop_routes_when_called_without_the_agent_role_or_session_then_refused(desk):
    app, engine, tracker, as_user, mark = desk
    await ring(app, "call-10")
    lead, lead_headers = await as_user("lead01")
    for method, path in (("GET", "/agent/pop"), ("POST", "/agent/pop/call-10/dismiss"),
                         ("GET", "/agent/pop/call-10/audio"), ("POST", "/agent/tickets/x/complete"),
                         ("GET", "/agent/departments"), ("POST", "/agent/wrapup")):
        response = await lead.request(method, path, headers=lead_headers)
        assert response.status == 403, path
    assert (await lead.post("/agent/pop/call-10/draft", headers=lead_headers)).status == 403
    denied = await mark.rows(10, action=ACCESS_FORBIDDEN, username="lead01")
    assert len(denied) == 7
    anonymous, _ = await as_user("nobody-logged-in")
    assert (await anonymous.get("/agent/pop", headers=JSON)).status == 401
    agent, headers = await as_user("agent01")
    refused = await agent.post("/agent/pop/call-10/dismiss", headers=JSON)
    assert refused.status == 403
    assert [r.target for r in await mark.rows(1, action=CSRF_REFUSED)] == [
        "POST /agent/pop/call-10/dismiss"]
    assert (await agent.post("/agent/pop/call-10/dismiss", headers=headers)).status == 200
    assert (await (await agent.get("/agent/pop", headers=JSON)).json())["pop"] is None
    assert (await agent.post("/agent/pop/call-10/dismiss", headers=headers)).status == 404


async def test_given_a_pop_with_audio_when_played_then_served_only_from_the_intake_directory_and_audited(desk, tmp_path):
    from agent_console.audit.service import VIEW_RECORDING

    app, engine, tracker, as_user, mark = desk
    intake = engine.config.ivr.intake_dir
    intake.mkdir(parents=True, exist_ok=True)
    (intake / "call-11.wav").write_bytes(b"RIFF----WAVEfmt ")
    good = await engine.services["tickets"].create_draft(caller=CALLER, audio_ref=str(intake / "call-11"))
    tracker.ivr("call-11", HOTLINE_LINE="12345", HOTLINE_TICKET=good.number)
    await ring(app, "call-11")
    agent, headers = await as_user("agent01")
    played = await agent.get("/agent/pop/call-11/audio")
    assert (played.status, await played.read()) == (200, b"RIFF----WAVEfmt ")

    outside = tmp_path / "elsewhere.wav"
    outside.write_bytes(b"secret")
    bad = await engine.services["tickets"].create_draft(caller=CALLER, audio_ref=str(outside))
    tracker.ivr("call-12", HOTLINE_LINE="12345", HOTLINE_TICKET=bad.number)
    await ring(app, "call-12")
    refused = await agent.get("/agent/pop/call-12/audio", headers=JSON)
    assert (refused.status, (await refused.json())["error"]["message"]) == (404, "录音文件不存在或不在录音目录中")
    rows = await mark.rows(5, action=VIEW_RECORDING)
    assert [(r.target, r.result) for r in rows] == [(f"ticket {bad.number}", "failed"), (f"ticket {good.number}", "ok")]


async def test_given_a_draft_number_that_does_not_exist_when_the_call_rings_then_the_pop_says_so_and_shows_the_rest(desk):
    app, engine, tracker, as_user, mark = desk
    tracker.ivr("call-13", HOTLINE_LINE="12345", HOTLINE_TICKET="20990101999999")
    pop = await ring(app, "call-13", answer=False)
    assert (pop["problem"], pop["caller_masked"], pop["ticket"]) == ("部分来电信息加载失败：TicketNotFound",
                                                                      "138****8000", None)
    assert pop["loading"] is False


async def test_given_a_withheld_number_when_answered_then_a_draft_without_caller_and_no_number_to_reveal(desk):
    app, engine, tracker, as_user, mark = desk
    pop = await ring(app, "call-14", number="anonymous", name="<unknown>")
    assert (pop["caller_masked"], pop["has_number"], pop["caller_name"], pop["earlier"]) == ("未显示号码", False, "", [])
    ticket = await engine.services["tickets"].get(pop["ticket"]["number"])
    assert ticket.caller is None and ticket.call_id == "call-14"
    agent, headers = await as_user("agent01")
    response = await agent.post("/agent/pop/call-14/number", headers=headers)
    assert (response.status, (await response.json())["error"]["message"]) == (404, "来电未显示号码")
    assert await mark.rows(5, action=VIEW_CALLER_NUMBER) == []


async def test_given_a_transcript_when_popped_then_the_classifiers_guesses_are_offered_as_defaults(desk):
    app, engine, tracker, as_user, mark = desk
    draft = await engine.services["tickets"].create_draft(caller="13600136000", transcript="我要投诉楼下饭店噪音扰民",
                                                          transcript_status="done")
    tracker.ivr("call-15", HOTLINE_LINE="12345", HOTLINE_TICKET=draft.number)
    pop = await ring(app, "call-15", number="13600136000")
    assert (pop["guess"]["type"], pop["guess"]["category"]) == ("投诉", "环境")
    assert {"我要投诉", "噪音"} <= set(pop["guess"]["matched"])
    assert (pop["ticket"]["request_type"], pop["ticket"]["status"]) == ("", "draft")  # only a default, not applied


async def test_given_agent01s_confidential_ticket_when_agent02_completes_it_then_403_audited_nothing_shown_unchanged(
        desk):
    app, engine, tracker, as_user, mark = desk
    number = (await ring(app, "call-41"))["ticket"]["number"]
    owner, owner_headers = await as_user("agent01")
    registered = await owner.post(f"/agent/tickets/{number}/complete", headers=owner_headers, json={
        "request_type": "举报", "content": "举报某局长收受购物卡", "confidential": True})
    assert registered.status == 200
    before = await engine.services["tickets"].get(number)
    other, headers = await as_user("agent02")
    response = await other.post(f"/agent/tickets/{number}/complete", headers=headers, json={
        "then": "reply", "request_type": "举报", "content": "x", "reply": "已转交"})
    text = await response.text()
    assert response.status == 403 and "举报某局长收受购物卡" not in text and "保密工单" in text
    assert '"ticket"' not in text
    after = await engine.services["tickets"].get(number)
    assert (after.status, after.reply, after.content) == (before.status, before.reply, before.content)
    assert "agent02" not in {e.actor for e in await engine.services["tickets"].history(number)}
    rows = [r for r in await mark.rows(5, username="agent02") if r.action != "login"]
    assert [(r.action, r.target, r.result) for r in rows] == [(VIEW_CONFIDENTIAL_TICKET, number, "denied")]
    again = await other.get(f"/tickets/{number}", headers=JSON)  # a refused write does not open the view
    assert again.status == 403 and "举报某局长收受购物卡" not in await again.text()


async def test_given_agent01s_plain_ticket_and_draft_when_agent02_reads_by_number_then_403_and_audited(desk):
    app, engine, tracker, as_user, mark = desk
    draft_number = (await ring(app, "call-42"))["ticket"]["number"]
    other_draft = await engine.services["tickets"].create_draft(caller=CALLER, content="咨询公积金提取条件")
    other, headers = await as_user("agent02")
    for number in (draft_number, other_draft.number):
        response = await other.get(f"/tickets/{number}", headers=JSON)
        body = await response.text()
        assert (response.status, (await response.json())["error"]["message"]) == (
            403, "无权访问该工单：仅承办该来电的坐席、班长和承办该工单的单位可以查看或处理")
        assert "咨询公积金" not in body and '"ticket"' not in body
        refused = await other.post(f"/agent/tickets/{number}/complete", headers=headers,
                                   json={"request_type": "咨询", "content": "改写"})
        assert refused.status == 403
    rows = [r for r in await mark.rows(10, username="agent02") if r.action != "login"]
    assert [(r.action, r.target, r.result) for r in rows] == [
        ("access.ticket_forbidden", n, "denied") for n in (other_draft.number, other_draft.number,
                                                            draft_number, draft_number)]
    assert (await engine.services["tickets"].get(other_draft.number)).content == "咨询公积金提取条件"


async def test_given_a_ticket_when_its_agent_or_a_supervisor_reads_it_then_allowed_and_confidential_reads_audited(
        desk):
    app, engine, tracker, as_user, mark = desk
    number = (await ring(app, "call-43"))["ticket"]["number"]
    agent, headers = await as_user("agent01")
    assert (await agent.get(f"/tickets/{number}", headers=JSON)).status == 200  # the pop it was given
    response = await agent.post(f"/agent/tickets/{number}/complete", headers=headers, json={
        "request_type": "举报", "content": "举报工地夜间施工", "confidential": True})
    assert response.status == 200
    app[CONSOLE].pops.dismiss("PJSIP/8101", "call-43")
    assert (await (await agent.get(f"/tickets/{number}", headers=JSON)).json())["ticket"]["content"] == "举报工地夜间施工"
    lead, _ = await as_user("lead01")
    assert (await (await lead.get(f"/tickets/{number}", headers=JSON)).json())["ticket"]["content"] == "举报工地夜间施工"
    plain = await engine.services["tickets"].create_draft(caller=CALLER, content="咨询")
    assert (await lead.get(f"/tickets/{plain.number}", headers=JSON)).status == 200
    rows = await mark.rows(10, action=VIEW_CONFIDENTIAL_TICKET)
    assert [(r.username, r.result) for r in rows] == [("lead01", "ok"), ("agent01", "ok")]


async def test_given_a_call_agent01_answered_when_the_pop_is_gone_then_the_call_log_still_lets_it_reach_the_ticket(
        desk):
    from datetime import UTC, datetime

    from calls.models import CallRecord

    app, engine, tracker, as_user, mark = desk
    draft = await engine.services["tickets"].create_draft(caller=CALLER, content="求助：小区停水", call_id="call-44")
    now = datetime.now(UTC)
    async with engine.sessions() as session, session.begin():
        session.add(CallRecord(server="standin", linkedid="call-44", started_at=now, ended_at=now, recorded_at=now,
                               answered_interface="PJSIP/8101", outcome="answered"))
    agent, _ = await as_user("agent01")
    assert (await agent.get(f"/tickets/{draft.number}", headers=JSON)).status == 200
    other, _ = await as_user("agent02")
    assert (await other.get(f"/tickets/{draft.number}", headers=JSON)).status == 403
