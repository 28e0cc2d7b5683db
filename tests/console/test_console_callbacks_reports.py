"""The 回访 page and the 考核 report over HTTP: who sees what, CSRF on every step, two agents
recording the same callback (one wins, 409 for the other), a confidential ticket's text never on
the worklist, and the report's charts and CSV carry the same figures."""
from __future__ import annotations

import asyncio
import csv
import io

from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from console_support import MovableClock, SharedClient, assert_no_stray_tasks, login, make_config, running_console
from dept_support import DEPT_USERS, csrf_in, dispatched_ticket, prepare_departments
from hotline.engine import ENGINE

SETTINGS = ConsoleSettings(session_key="callbacks-http-key-0123456789abcdefXYZ", session_max_age=30 * 86400,
                           live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)
USERS = (*DEPT_USERS, ("agent02", "坐席02", ("agent",), "PJSIP/8102"))


def console(tmp_path):
    config = make_config(tmp_path)
    config = config.model_copy(update={"callbacks": config.callbacks.model_copy(update={"due_after_minutes": 0})})
    return running_console(config, MovableClock(), settings=SETTINGS, users=USERS, prepare=prepare_departments)


async def signed_in(client, username: str, page: str = "/callbacks") -> tuple[SharedClient, str]:
    c = SharedClient(client)
    await login(c, username)
    return c, csrf_in(await (await c.get(page)).text())


async def replied(app, content: str, *, confidential: bool = False) -> str:
    tickets = app[ENGINE].services["tickets"]
    number = await dispatched_ticket(app, "scjgj", content)
    if confidential:
        draft = await tickets.create_draft(actor="agent01", caller="13900139000", content=content, confidential=True)
        await tickets.register(draft.number, "agent01", request_type="report", content=content, confidential=True)
        await tickets.dispatch(draft.number, "scjgj", [], "agent01")
        number = draft.number
    await tickets.accept(number, "scjgj", "dept01")
    await tickets.reply(number, "已处理完毕", "dept01", dept="scjgj", contact="电话")
    return number


async def test_given_two_agents_recording_one_callback_at_once_then_one_wins_and_the_other_gets_409(tmp_path):
    async with console(tmp_path) as (app, client):
        number = await replied(app, "路灯不亮")
        secret = await replied(app, "举报某单位违规收费", confidential=True)
        a, token_a = await signed_in(client, "agent01")
        b, token_b = await signed_in(client, "agent02")
        page = await (await a.get("/callbacks")).text()
        assert number in page and "已处理完毕" in page and "路灯不亮" in page
        assert secret in page and "违规收费" not in page and "保密工单" in page

        no_token = await a.post(f"/callbacks/{number}/record", data={"result": "unreachable"}, allow_redirects=False)
        assert no_token.status == 403 and "console.csrf.refused" in await no_token.text()
        form = {"result": "reached", "resolved": "yes", "satisfaction": "satisfied"}
        first, second = await asyncio.gather(
            a.post(f"/callbacks/{number}/record", data={**form, "csrf_token": token_a}, allow_redirects=False),
            b.post(f"/callbacks/{number}/record", data={**form, "csrf_token": token_b}, allow_redirects=False))
        statuses = sorted([first.status, second.status])
        assert statuses == [303, 409], statuses
        loser = first if first.status == 409 else second
        assert "该工单已不在待回访状态（可能已被其他坐席回访）" in await loser.text()
        assert (await app[ENGINE].services["tickets"].get(number)).status.value == "closed"
        assert len(await app[ENGINE].services["callbacks"].attempts(number)) == 1

        half = await a.post(f"/callbacks/{secret}/record", data={"result": "reached", "csrf_token": token_a},
                            allow_redirects=False)
        assert half.status == 400 and "请选择是否解决和满意度" in await half.text()
        nothing = await a.post(f"/callbacks/{secret}/record", data={"csrf_token": token_a}, allow_redirects=False)
        assert nothing.status == 400 and "请选择回访结果" in await nothing.text()
        call = await a.post(f"/callbacks/{secret}/call", data={"csrf_token": token_a}, allow_redirects=False)
        assert call.status == 503 and "交换机未连接" in await call.text()  # console without telephony
        audit = await app[CONSOLE].audit.recent(20, action="callback.record")
        assert sorted(e.result for e in audit) == ["failed", "failed", "failed", "ok"]
        for c in (a, b):
            await c.close()
    assert_no_stray_tasks()


async def test_given_a_supervisor_then_the_worklist_has_no_call_buttons_and_the_report_has_charts_and_csv(tmp_path):
    async with console(tmp_path) as (app, client):
        number = await replied(app, "噪音扰民")
        lead, _ = await signed_in(client, "lead01")
        page = await (await lead.get("/callbacks")).text()
        assert number in page and "一键呼叫" not in page

        today = app[ENGINE].clock().astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).date().isoformat()
        report = await lead.get(f"/reports/assessment?from={today}&to={today}")
        html = await report.text()
        assert report.status == 200 and html.count("<svg") == 8 and "按时签收率" in html and "市场监督管理局" in html
        assert 'data-label="市场监督管理局" data-value="100.0"' in html  # 按时签收率 and 按时办结率 bars
        bad = await lead.get("/reports/assessment?from=2026-12-31&to=2026-01-01")
        assert bad.status == 400 and "结束日期不能早于开始日期" in await bad.text()

        exported = await lead.get(f"/reports/assessment.csv?from={today}&to={today}")
        assert exported.status == 200 and exported.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO((await exported.read()).decode("utf-8-sig"))))
        assert rows[0][:6] == ["开始日期", "结束日期", "单位编码", "单位", "按时签收率", "按时办结率"]
        scjgj = next(r for r in rows if len(r) > 3 and r[2] == "scjgj")
        assert scjgj[3:12] == ["市场监督管理局", "100.0", "100.0", "0.0", "0.0", "0.0", "", "", "0.0"]
        exports = await app[CONSOLE].audit.recent(5, action="report.assessment.export")
        assert [e.username for e in exports] == ["lead01"]

        agent, _ = await signed_in(client, "agent01")
        assert (await agent.get("/reports/assessment", allow_redirects=False)).status == 403
        for c in (lead, agent):
            await c.close()
    assert_no_stray_tasks()


async def test_given_a_dissatisfied_callback_then_the_department_finds_it_in_its_inbox_with_the_citizens_words(
        tmp_path):
    async with console(tmp_path) as (app, client):
        number = await replied(app, "楼道堆放杂物")
        agent, token = await signed_in(client, "agent01")
        done = await agent.post(f"/callbacks/{number}/record", allow_redirects=False, data={
            "csrf_token": token, "result": "reached", "resolved": "no", "satisfaction": "basically_satisfied",
            "note": "杂物只清了一半"})
        assert done.status == 303 and done.headers["Location"] == "/callbacks?done=reopened"
        notice = await (await agent.get(done.headers["Location"])).text()
        assert "工单已重办退回原承办单位" in notice and f'data-number="{number}"' not in notice

        dept, _ = await signed_in(client, "dept01", "/dept")
        inbox = await (await dept.get("/dept")).text()
        assert number in inbox  # 待签收 again
        page = await (await dept.get(f"/dept/tickets/{number}")).text()
        assert "回访方式：坐席回访" in page and "未解决" in page and "评价：基本满意" in page
        assert "重办原因：杂物只清了一半" in page
        for c in (agent, dept):
            await c.close()
    assert_no_stray_tasks()
