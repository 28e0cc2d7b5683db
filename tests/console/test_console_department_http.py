"""The 承办单位 workspace over HTTP: a department reaches only its own tickets (403 in Chinese,
audited), two handlers accepting at once get one 303 and one 409, every POST needs its CSRF token,
the inbox marks deadlines yellow and red on the engine's clock, and the admin ties users to departments."""
from __future__ import annotations

import asyncio

from agent_console.settings import ConsoleSettings
from agent_console.ticketdesk.access import TICKET_FORBIDDEN
from console_support import MovableClock, SharedClient, assert_no_stray_tasks, login, make_config, running_console
from dept_support import DEPT_USERS, csrf_in, dispatched_ticket, prepare_departments
from hotline.engine import ENGINE
from agent_console.context import CONSOLE

SETTINGS = ConsoleSettings(session_key="dept-http-key-0123456789abcdefXYZ", session_max_age=30 * 86400,
                           live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)


def console(tmp_path, clock=None):
    return running_console(make_config(tmp_path), clock or MovableClock(), settings=SETTINGS, users=DEPT_USERS,
                           prepare=prepare_departments)


async def signed_in(client, username: str) -> tuple[SharedClient, str]:
    c = SharedClient(client)
    await login(c, username)
    page = await c.get("/dept" if username.startswith("dept") else "/")
    return c, csrf_in(await page.text())


async def test_given_another_departments_ticket_when_a_department_user_opens_or_accepts_it_then_403_and_audited(
        tmp_path):
    async with console(tmp_path) as (app, client):
        number = await dispatched_ticket(app, "scjgj", "商场门口占道经营")
        other, token = await signed_in(client, "dept02")
        inbox = await other.get("/dept")
        assert number not in await inbox.text()
        page = await other.get(f"/dept/tickets/{number}")
        text = await page.text()
        assert page.status == 403 and "无权访问该工单" in text and "占道经营" not in text
        post = await other.post(f"/dept/tickets/{number}/accept", data={"csrf_token": token},
                                allow_redirects=False)
        assert post.status == 403 and "无权访问该工单" in await post.text()
        answer = await other.post(f"/dept/tickets/{number}/reply", allow_redirects=False,
                                  data={"csrf_token": token, "result": "已处理", "contact": "电话"})
        assert answer.status == 403 and "无权访问该工单" in await answer.text()
        denied = await app[CONSOLE].audit.recent(10, action=TICKET_FORBIDDEN)
        assert [(e.username, e.target, e.result) for e in denied] == [("dept02", number, "denied")] * 3
        ticket = await app[ENGINE].services["tickets"].get(number)
        assert ticket.status.value == "dispatched"
        own, _ = await signed_in(client, "dept01")
        mine = await own.get(f"/dept/tickets/{number}")
        assert mine.status == 200 and "占道经营" in await mine.text()
        for c in (other, own):
            await c.close()
    assert_no_stray_tasks()


async def test_given_two_handlers_accepting_at_once_then_one_wins_and_the_other_gets_409_in_chinese(tmp_path):
    async with console(tmp_path) as (app, client):
        number = await dispatched_ticket(app, "scjgj", "超市售卖过期食品")
        (a, ta), (b, tb) = await signed_in(client, "dept01"), await signed_in(client, "dept01b")
        first, second = await asyncio.gather(
            a.post(f"/dept/tickets/{number}/accept", data={"csrf_token": ta}, allow_redirects=False),
            b.post(f"/dept/tickets/{number}/accept", data={"csrf_token": tb}, allow_redirects=False))
        statuses = sorted([first.status, second.status])
        assert statuses == [303, 409], statuses
        loser = first if first.status == 409 else second
        assert "该工单已被签收" in await loser.text()
        history = await app[ENGINE].services["tickets"].history(number)
        assert [e.action.value for e in history].count("accept") == 1
        for c in (a, b):
            await c.close()
    assert_no_stray_tasks()


async def test_given_a_post_without_its_csrf_token_then_refused_and_the_ticket_unchanged(tmp_path):
    async with console(tmp_path) as (app, client):
        number = await dispatched_ticket(app, "scjgj", "餐馆油烟扰民")
        c, _ = await signed_in(client, "dept01")
        for action, data in (("accept", {}), ("return", {"reason_code": "other", "reason": "x"})):
            refused = await c.post(f"/dept/tickets/{number}/{action}", data=data, allow_redirects=False)
            assert refused.status == 403 and "CSRF" in await refused.text()
        assert (await app[ENGINE].services["tickets"].get(number)).status.value == "dispatched"
        await c.close()
    assert_no_stray_tasks()


async def test_given_time_passing_then_the_inbox_marks_the_acceptance_deadline_yellow_then_red(tmp_path):
    clock = MovableClock()
    async with console(tmp_path, clock) as (app, client):
        number = await dispatched_ticket(app, "scjgj", "燃气味道很重", request_type="help")
        ticket = await app[ENGINE].services["tickets"].get(number)
        span = (ticket.accept_due - ticket.dispatched_at).total_seconds()
        c, _ = await signed_in(client, "dept01")

        async def mark() -> str:
            import re

            # hours pass on the clock: the session idles out (30 min), so the user signs in again
            fresh, _ = await signed_in(client, "dept01")
            html = await (await fresh.get("/dept?tab=pending")).text()
            await fresh.close()
            return re.search(r'class="mark mark-(\w+)"', html).group(1)
        assert await mark() == "green"
        clock.advance(span * 0.85)
        assert await mark() == "yellow"
        clock.advance(span * 0.2)
        assert await mark() == "red"
        await c.close()
        c, _ = await signed_in(client, "dept01")
        html = await (await c.get("/dept?tab=pending")).text()
        assert "已超时" in html and "超时 " in html and "待签收（1）" in html
        await c.close()
    assert_no_stray_tasks()


async def test_given_the_admin_users_page_then_a_department_role_needs_a_department_and_gets_one(tmp_path):
    async with console(tmp_path) as (app, client):
        admin, token = await signed_in(client, "admin01")
        headers = {"X-CSRF-Token": token, "Accept": "application/json"}
        body = {"username": "dept03", "display_name": "城管承办人丙", "roles": ["department"],
                "password": "dept03-password-x"}
        missing = await admin.post("/admin/users", json=body, headers=headers)
        assert missing.status == 400 and "必须属于一个承办单位" in (await missing.json())["error"]["message"]
        unknown = await admin.post("/admin/users", json={**body, "department": "nope"}, headers=headers)
        assert unknown.status == 400 and "不存在" in (await unknown.json())["error"]["message"]
        added = await admin.post("/admin/users", json={**body, "department": "cgj"}, headers=headers)
        assert added.status == 200
        moved = await admin.post("/admin/users/dept03/roles", json={"roles": ["department_lead"],
                                                                    "department": "scjgj"}, headers=headers)
        assert moved.status == 200
        user = await app[ENGINE].services["accounts"].get_by_name("dept03")
        assert (user.department_code, user.roles) == ("scjgj", "department_lead")
        page = await (await admin.get("/admin/users")).text()
        assert "承办人" in page and "单位负责人" in page and "市场监督管理局" in page
        await admin.close()
        c = SharedClient(client)
        await login(c, "dept03", "dept03-password-x")
        inbox = await c.get("/", allow_redirects=True)
        assert str(inbox.url).endswith("/dept") and "市场监督管理局" in await inbox.text()
        await c.close()
    assert_no_stray_tasks()


async def test_given_the_admin_departments_page_then_a_street_office_is_added_under_its_district(tmp_path):
    async with console(tmp_path) as (app, client):
        admin, token = await signed_in(client, "admin01")
        headers = {"X-CSRF-Token": token, "Accept": "application/json"}
        district = await admin.post("/admin/departments", headers=headers,
                                    json={"code": "ftq", "name": "丰台区", "kind": "district"})
        assert district.status == 200
        orphan = await admin.post("/admin/departments", headers=headers,
                                  json={"code": "x-jd", "name": "某街道", "kind": "street", "parent": "nope"})
        assert orphan.status == 400 and "上级部门“nope”不存在" in (await orphan.json())["error"]["message"]
        bad = await admin.post("/admin/departments", headers=headers,
                               json={"code": "x-jd", "name": "某街道", "kind": "county"})
        assert bad.status == 400
        street = await admin.post("/admin/departments", headers=headers,
                                  json={"code": "ftq-xc", "name": "新村街道", "kind": "street", "parent": "ftq"})
        rows = {d["code"]: d for d in (await street.json())["departments"]}
        assert (rows["ftq-xc"]["kind"], rows["ftq-xc"]["parent"]) == ("街道乡镇", "丰台区")
        assert "x-jd" not in rows and rows["scjgj"]["kind"] == "市直部门"
        page = await (await admin.get("/admin/departments")).text()
        assert "新村街道" in page and "区县" in page
        await admin.close()
    assert_no_stray_tasks()


async def test_given_a_return_when_the_supervisor_rejects_it_then_the_same_department_must_sign_again(tmp_path):
    async with console(tmp_path) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        number = await dispatched_ticket(app, "scjgj", "无证摊贩销售活禽")
        other = await dispatched_ticket(app, "scjgj", "还在派单中的工单")
        dept, dtoken = await signed_in(client, "dept01")
        no_reason = await dept.post(f"/dept/tickets/{number}/return", allow_redirects=False,
                                    data={"csrf_token": dtoken, "reason_code": "", "reason": "不归我们"})
        assert no_reason.status == 400 and "请选择退单理由" in await no_reason.text()
        sent = await dept.post(f"/dept/tickets/{number}/return", allow_redirects=False,
                               data={"csrf_token": dtoken, "reason_code": "incomplete", "reason": "没有具体地址"})
        assert sent.status == 303
        lead, ltoken = await signed_in(client, "lead01")
        queue = await (await lead.get("/center/returns")).text()
        assert number in queue and "诉求信息不全" in queue and "没有具体地址" in queue and other not in queue
        same = await lead.post(f"/center/returns/{number}/redispatch", allow_redirects=False,
                               data={"csrf_token": ltoken, "department": "scjgj"})
        assert same.status == 400 and "请选择其他承办单位" in await same.text()
        not_returned = await lead.post(f"/center/returns/{other}/redispatch", allow_redirects=False,
                                       data={"csrf_token": ltoken, "department": "cgj"})
        assert not_returned.status == 409 and "已不在待审核状态" in await not_returned.text()
        empty = await lead.post(f"/center/returns/{number}/reject", allow_redirects=False,
                                data={"csrf_token": ltoken, "comment": " "})
        assert empty.status == 400 and "驳回退单需要填写审核意见" in await empty.text()
        rejected = await lead.post(f"/center/returns/{number}/reject", allow_redirects=False,
                                   data={"csrf_token": ltoken, "comment": "地址见录音：XX路12号"})
        assert rejected.status == 303
        ticket = await tickets.get(number)
        assert (ticket.status.value, ticket.lead_department.code) == ("dispatched", "scjgj")
        assert (await tickets.get(other)).lead_department.code == "scjgj"
        last = (await tickets.history(number))[-1]
        assert (last.action.value, last.actor, last.detail["comment"]) == ("reject_return", "lead01",
                                                                           "地址见录音：XX路12号")
        inbox = await (await dept.get("/dept?tab=pending")).text()
        assert number in inbox
        page = await (await dept.get(f"/dept/tickets/{number}")).text()
        assert "驳回退单" in page and "审核意见：地址见录音：XX路12号" in page
        for c in (dept, lead):
            await c.close()
    assert_no_stray_tasks()


async def test_given_a_confidential_ticket_then_the_inbox_hides_its_text_and_opening_it_is_audited(tmp_path):
    from agent_console.audit.service import VIEW_CONFIDENTIAL_TICKET

    async with console(tmp_path) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        draft = await tickets.create_draft(actor="agent01", caller="13800138000", content="举报某单位违规收费",
                                           confidential=True)
        await tickets.register(draft.number, "agent01", request_type="report", content="举报某单位违规收费")
        await tickets.dispatch(draft.number, "scjgj", [], "agent01")
        dept, _ = await signed_in(client, "dept01")
        inbox = await (await dept.get("/dept")).text()
        assert draft.number in inbox and "违规收费" not in inbox and "保密工单" in inbox
        opened = await dept.get(f"/dept/tickets/{draft.number}")
        assert opened.status == 200 and "违规收费" in await opened.text()
        views = await app[CONSOLE].audit.recent(10, action=VIEW_CONFIDENTIAL_TICKET)
        assert [(e.username, e.target, e.result) for e in views] == [("dept01", draft.number, "ok")]
        await dept.close()
    assert_no_stray_tasks()


async def test_given_the_demo_seed_then_its_department_accounts_sign_in_to_their_own_workspace(tmp_path):
    from hotline.demo import DEMO_ACCOUNTS, seed

    async with running_console(make_config(tmp_path), MovableClock(), settings=SETTINGS,
                               users=(("lead01", "班长01", ("supervisor",), None),)) as (app, client):
        await seed(app[ENGINE].services)
        await seed(app[ENGINE].services)  # idempotent, as a second demo run on the same data
        names = {"scjgj": "市场监督管理局", "cgj": "城市管理局", "fzx95598": "电力服务热线"}  # 分中心 too
        for username, _, _, password, _, department in DEMO_ACCOUNTS:
            if department is None:
                continue
            assert len(password) >= 12
            c = SharedClient(client)
            await login(c, username, password)
            inbox = await c.get("/")
            assert str(inbox.url).endswith("/dept") and names[department] in await inbox.text()
            await c.close()
    assert_no_stray_tasks()


async def test_given_a_co_handled_ticket_then_the_co_department_adds_its_part_but_cannot_sign_for_it(tmp_path):
    async with console(tmp_path) as (app, client):
        number = await dispatched_ticket(app, "scjgj", "夜市摊点油烟和占道", co=("cgj",))
        co, token = await signed_in(client, "dept02")
        doing = await (await co.get("/dept?tab=doing")).text()
        assert number in doing and "协办" in doing
        page = await (await co.get(f"/dept/tickets/{number}")).text()
        assert "提交协办意见" in page and ">签收</button>" not in page
        sign = await co.post(f"/dept/tickets/{number}/accept", data={"csrf_token": token}, allow_redirects=False)
        assert sign.status == 409 and "该工单已不由本单位承办" in await sign.text()
        empty = await co.post(f"/dept/tickets/{number}/co-reply", data={"csrf_token": token, "part": ""},
                              allow_redirects=False)
        assert empty.status == 400 and "请填写协办意见" in await empty.text()
        part = await co.post(f"/dept/tickets/{number}/co-reply", allow_redirects=False,
                             data={"csrf_token": token, "part": "已对占道摊点劝离"})
        assert part.status == 303
        lead, _ = await signed_in(client, "dept01")
        seen = await (await lead.get(f"/dept/tickets/{number}")).text()
        assert "协办意见：已对占道摊点劝离" in seen and "协办单位：城市管理局" in seen
        ticket = await app[ENGINE].services["tickets"].get(number)
        assert ticket.status.value == "dispatched"
        for c in (co, lead):
            await c.close()
    assert_no_stray_tasks()
