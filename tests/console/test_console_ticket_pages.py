"""工单查询 and 督办 over HTTP: the ticket list filters and pages, each role sees only its tickets,
another department's ticket is 403 and audited, a confidential ticket stays masked in lists and
every view of it is audited; a supervisor's 督办单 and the sweep's marks reach the department's
督办提醒 and the ticket's timeline."""
from __future__ import annotations

import re
from datetime import timedelta

from yarl import URL

from agent_console.audit.service import VIEW_CONFIDENTIAL_TICKET
from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from agent_console.ticketdesk.access import TICKET_FORBIDDEN
from console_support import MovableClock, SharedClient, assert_no_stray_tasks, login, make_config, running_console
from dept_support import DEPT_USERS, csrf_in, dispatched_ticket, prepare_departments
from hotline.engine import ENGINE
from tickets.views import SHANGHAI

SETTINGS = ConsoleSettings(session_key="ticket-pages-key-0123456789abcdefXYZ", session_max_age=30 * 86400,
                           live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)


def console(tmp_path, clock=None):
    return running_console(make_config(tmp_path), clock or MovableClock(), settings=SETTINGS, users=DEPT_USERS,
                           prepare=prepare_departments)


async def signed_in(client, username: str) -> tuple[SharedClient, str]:
    c = SharedClient(client)
    await login(c, username)
    page = await c.get("/tickets")
    return c, csrf_in(await page.text())


def numbers(html: str) -> list[str]:
    return re.findall(r'<tr data-number="(\d+)"', html)


async def test_given_tickets_of_two_departments_then_the_list_filters_pages_and_scopes_by_role(tmp_path):
    async with console(tmp_path) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        ours = [await dispatched_ticket(app, "scjgj", f"过期食品 {i}") for i in range(52)]
        theirs = await dispatched_ticket(app, "cgj", "占道经营堵塞人行道")
        shared = await dispatched_ticket(app, "cgj", "商场噪音扰民", co=("scjgj",))
        await tickets.register((await tickets.create_draft(actor="agent01", line_dialed="12315",
                                                           content="网购退货")).number, "agent01",
                               request_type="consult", content="网购退货纠纷", category="市场监管 › 消费维权")

        lead, _ = await signed_in(client, "lead01")
        first = await (await lead.get("/tickets")).text()
        assert len(numbers(first)) == 50 and "下一页" in first
        assert numbers(first)[0] != ours[0]  # newest first
        nxt = re.search(r'href="(/tickets\?[^"]*after=[^"]*)"', first).group(1).replace("&amp;", "&")
        second = await (await lead.get(URL(nxt, encoded=True))).text()
        assert len(numbers(second)) == 5 and not set(numbers(second)) & set(numbers(first))
        assert set(ours + [theirs, shared]) <= set(numbers(first) + numbers(second))

        assert numbers(await (await lead.get("/tickets", params={"department": "cgj"})).text()) == [shared, theirs]
        assert len(numbers(await (await lead.get("/tickets", params={"line": "12315"})).text())) == 1
        assert len(numbers(await (await lead.get("/tickets", params={"category": "市场监管"})).text())) == 1
        assert numbers(await (await lead.get("/tickets", params={"q": "占道"})).text()) == [theirs]
        assert numbers(await (await lead.get("/tickets", params={"q": theirs})).text()) == [theirs]
        assert len(numbers(await (await lead.get("/tickets", params={"status": "registered"})).text())) == 1
        assert numbers(await (await lead.get("/tickets", params={"since": "2000-01-01", "until": "2000-01-02"}))
                       .text()) == []
        bad = await (await lead.get("/tickets", params={"status": "nonsense", "since": "yesterday"})).text()
        assert "未知的工单状态已忽略" in bad and "日期格式应为" in bad and len(numbers(bad)) == 50

        dept, _ = await signed_in(client, "dept02")  # 城管 lead
        seen = numbers(await (await dept.get("/tickets")).text())
        assert seen == [shared, theirs]
        assert numbers(await (await dept.get("/tickets", params={"department": "scjgj"})).text()) == [shared]
        co, _ = await signed_in(client, "dept01")  # 市场监管: leads 52, co-handles one
        assert shared in numbers(await (await co.get("/tickets", params={"q": "噪音"})).text())
        agent, _ = await signed_in(client, "agent01")
        assert len(numbers(await (await agent.get("/tickets")).text())) == 50  # registered by agent01
        for c in (lead, dept, co, agent):
            await c.close()
    assert_no_stray_tasks()


async def test_given_another_departments_ticket_page_then_403_audited_and_a_confidential_view_is_audited(tmp_path):
    async with console(tmp_path) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        other = await dispatched_ticket(app, "scjgj", "过期食品")
        draft = await tickets.create_draft(actor="agent01", caller="13900139000", content="举报某单位负责人受贿",
                                           confidential=True)
        await tickets.register(draft.number, "agent01", request_type="report", content="举报某单位负责人受贿")
        await tickets.dispatch(draft.number, "cgj", [], "agent01")

        dept, _ = await signed_in(client, "dept02")
        refused = await dept.get(f"/tickets/{other}/page")
        text = await refused.text()
        assert refused.status == 403 and "无权访问该工单" in text and "过期食品" not in text
        listed = await (await dept.get("/tickets")).text()
        assert draft.number in listed and "受贿" not in listed and "保密工单" in listed
        shown = await dept.get(f"/tickets/{draft.number}/page")
        body = await shown.text()
        assert shown.status == 200 and "受贿" in body and "本次查看已记录" in body and "13900139000" not in body
        lead, _ = await signed_in(client, "lead01")
        assert (await lead.get(f"/tickets/{draft.number}/page")).status == 200
        audit = app[CONSOLE].audit
        assert [(e.username, e.target, e.result) for e in await audit.recent(10, action=TICKET_FORBIDDEN)] == [
            ("dept02", other, "denied")]
        views = await audit.recent(10, action=VIEW_CONFIDENTIAL_TICKET)
        assert [(e.username, e.result) for e in views] == [("lead01", "ok"), ("dept02", "ok")]
        for c in (dept, lead):
            await c.close()
    assert_no_stray_tasks()


async def test_given_a_supervision_order_and_the_sweep_then_marks_reminders_and_history_reach_every_page(tmp_path):
    clock = MovableClock()
    async with console(tmp_path, clock) as (app, client):
        engine = app[ENGINE]
        number = await dispatched_ticket(app, "cgj", "路灯不亮")
        lead, token = await signed_in(client, "lead01")
        refused = await lead.post(f"/center/tickets/{number}/supervise", data={"comment": "请今日办结", "due": ""})
        assert refused.status == 403  # no CSRF token
        empty = await lead.post(f"/center/tickets/{number}/supervise",
                                data={"csrf_token": token, "comment": "请今日办结", "due": ""})
        assert empty.status == 400 and "请填写督办办结时间" in await empty.text()
        due = (clock() + timedelta(hours=1)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
        form = await (await lead.get(f"/tickets/{number}/page")).text()
        assert f'action="/center/tickets/{number}/supervise"' in form and "下发督办单" in form
        done = await lead.post(f"/center/tickets/{number}/supervise", allow_redirects=False,
                               data={"csrf_token": token, "comment": "请今日办结", "due": due})
        assert done.status == 303
        supervision = engine.services["supervision"]
        clock.advance(10 * 86400)  # the acceptance deadline (1 working day, past any weekend or holiday) is long past
        result = await supervision.run_once()
        assert (number, "red") in result.marked and result.reminded == [number]

        await lead.close()
        lead, _ = await signed_in(client, "lead01")  # the session went idle over those two days
        desk = await (await lead.get("/center/supervision")).text()
        assert number in desk and "红牌超时" in desk and "已发送" in desk
        dept, _ = await signed_in(client, "dept02")
        notices = await (await dept.get("/dept/notices")).text()
        assert "督办催办" in notices and "请今日办结" in notices and "已超过签收时限" in notices
        assert numbers(await (await lead.get("/tickets", params={"mark": "red"})).text()) == [number]
        assert numbers(await (await lead.get("/tickets", params={"mark": "yellow"})).text()) == []
        page = await (await dept.get(f"/tickets/{number}/page")).text()
        for text in ("督办单", "请今日办结", "红牌（已超时）", "第 1 次催办", "通知承办单位", "在工作台办理"):
            assert text in page, text
        audit = await app[CONSOLE].audit.recent(10, action="ticket.supervise")
        assert [e.result for e in audit] == ["ok", "failed"]
        for c in (lead, dept):
            await c.close()
    assert_no_stray_tasks()
