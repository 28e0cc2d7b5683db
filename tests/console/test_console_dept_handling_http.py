"""Inside a department over HTTP (issue 12.1, 12.2, 12.8a): 二级派单 to a street office that answers its
district, a handler's result waiting for the 单位负责人 (approve answers the center, reject sends it
back with a comment), attachments checked by size, type and content and stored on disk with their
checksum (bad ones refused with nothing stored; downloads audited and reached only through the
ticket), 申请延期 decided on the center's page with the new deadline in the history, a reply on a
ticket the department does not handle (403, audited), and a 设分中心 line working as a department."""
from __future__ import annotations

import asyncio
import hashlib
import io
from pathlib import Path

from aiohttp import FormData

from agent_console.context import CONSOLE
from agent_console.settings import ConsoleSettings
from console_support import SESSION_KEY, MovableClock, SharedClient, assert_no_stray_tasks, login, running_console
from dept_support import csrf_in
from hotline.config import load_config
from hotline.engine import ENGINE
from tickets.codes import Action, Status
from tickets.views import format_local

SETTINGS = ConsoleSettings(session_key="dept-handling-key-0123456789abcdefXYZ", session_max_age=30 * 86400,
                           live_batch_seconds=0.01, live_tick_seconds=0.2, chart_refresh_seconds=3600)
USERS = (  # username, display, roles, phone, department
    ("lead01", "班长01", ("supervisor",), None),
    ("admin01", "管理员01", ("admin",), None),
    ("deptqx", "区承办人", ("department",), None, "qx"),
    ("deptqxlead", "区负责人", ("department_lead",), None, "qx"),
    ("deptqxlead2", "区负责人乙", ("department_lead",), None, "qx"),
    ("deptjd", "街道承办人", ("department",), None, "jd"),
    ("deptcg", "城管承办人", ("department",), None, "cg"),
    ("deptfzx", "分中心承办人", ("department",), None, "fzx95598"),
)
MAX_BYTES = 64 * 1024
PDF = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500


def config_for(tmp_path: Path, url: str):
    return load_config(None, {}, {
        "engine": {"mode": "development", "data_dir": str(tmp_path)},
        "database": {"url": url},
        "ami": {"servers": [{"name": "standin", "host": "127.0.0.1", "port": 5038, "username": "hotline",
                             "secret": "demo-secret"}]},
        "console": {"port": 0, "session_key": SESSION_KEY},
        "ivr": {"intake_dir": str(tmp_path / "intake")},
        "recordings": {"directory": str(tmp_path / "recordings")},
        "tickets": {"attachment_directory": str(tmp_path / "attachments"), "attachment_max_bytes": MAX_BYTES,
                    "attachment_types": ["pdf", "jpg", "png", "docx"]},
    })


def tree(app) -> None:
    """区县 qx with its street office jd under it; 城管 cg beside them."""
    async def build(app):
        tickets = app[ENGINE].services["tickets"]
        await tickets.add_department("qx", "东城区人民政府", kind="district")
        await tickets.add_department("jd", "东华门街道办事处", kind="street", parent="qx")
        await tickets.add_department("cg", "城市管理局")
    app.on_startup.append(build)


def console(tmp_path, url: str, clock=None):
    """On SQLite and on PostgreSQL (`fresh_database_url`): the inbox and the row locks are SQL of their own."""
    return running_console(config_for(tmp_path, url), clock or MovableClock(), settings=SETTINGS, users=USERS,
                           prepare=tree)


async def signed_in(client, username: str) -> tuple[SharedClient, str]:
    c = SharedClient(client)
    await login(c, username)
    page = await c.get("/dept" if username.startswith("dept") else "/")
    return c, csrf_in(await page.text())


async def accepted_ticket(app, dept: str, content: str, co: tuple[str, ...] = ()) -> str:
    tickets = app[ENGINE].services["tickets"]
    draft = await tickets.create_draft(actor="agent01", caller="13800138000", content=content)
    await tickets.register(draft.number, "agent01", request_type="complaint", content=content)
    await tickets.dispatch(draft.number, dept, list(co), "agent01")
    await tickets.accept(draft.number, dept, "deptqx")
    return draft.number


def reply_form(token: str, *files: tuple[str, bytes], contacted: str = "yes", result: str = "已现场处理") -> FormData:
    form = FormData()
    form.add_field("csrf_token", token)
    form.add_field("result", result)
    form.add_field("contacted", contacted)
    form.add_field("contact", "电话 13800138000 联系市民，告知处理结果")
    for name, body in files:
        form.add_field("attachments", io.BytesIO(body), filename=name, content_type="application/octet-stream")
    return form


async def test_given_a_street_office_under_the_district_when_passed_down_then_it_answers_and_the_district_lead_replies(
        tmp_path, fresh_database_url):
    async with console(tmp_path, fresh_database_url) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        number = await accepted_ticket(app, "qx", "胡同内共享单车乱停放堵塞通道")
        qx, tq = await signed_in(client, "deptqx")
        page = await (await qx.get(f"/dept/tickets/{number}")).text()
        assert "转派下级单位" in page and "东华门街道办事处" in page
        wrong = await qx.post(f"/dept/tickets/{number}/sub-dispatch", allow_redirects=False,
                              data={"csrf_token": tq, "sub": "cg"})
        assert wrong.status == 400 and "只能转派给本单位的下级单位" in await wrong.text()
        down = await qx.post(f"/dept/tickets/{number}/sub-dispatch", allow_redirects=False,
                             data={"csrf_token": tq, "sub": "jd", "note": "请街道组织清理"})
        assert down.status == 303
        doing = await (await qx.get("/dept?tab=doing")).text()
        assert number in doing and "已转派：东华门街道办事处" in doing

        jd, tj = await signed_in(client, "deptjd")
        inbox = await (await jd.get("/dept?tab=pending")).text()
        assert number in inbox and "上级转派" in inbox and "待签收（1）" in inbox and "办理中（0）" in inbox
        sheet = await (await jd.get(f"/dept/tickets/{number}")).text()
        assert ">签收</button>" in sheet and "提交办理结果" not in sheet and "申请延期" not in sheet
        early = await jd.post(f"/dept/tickets/{number}/reply", data=reply_form(tj), allow_redirects=False)
        assert early.status == 409 and "请先签收上级单位转派的工单" in await early.text()
        signed = await jd.post(f"/dept/tickets/{number}/accept", data={"csrf_token": tj}, allow_redirects=False)
        assert signed.status == 303
        twice = await jd.post(f"/dept/tickets/{number}/accept", data={"csrf_token": tj}, allow_redirects=False)
        assert twice.status == 409 and "该工单已由 deptjd 签收" in await twice.text()
        inbox = await (await jd.get("/dept?tab=doing")).text()
        assert number in inbox and "办理中（1）" in inbox and "待签收（0）" in inbox
        sheet = await (await jd.get(f"/dept/tickets/{number}")).text()
        assert "提交办理结果" in sheet and ">签收</button>" not in sheet and "deptjd 已签收" in sheet
        assert f'data-number="{number}"' in await (await jd.get("/tickets")).text()  # 工单查询 too
        sent = await jd.post(f"/dept/tickets/{number}/reply", data=reply_form(tj, result="已组织清理单车"),
                             allow_redirects=False)
        assert sent.status == 303
        assert (await tickets.get(number)).status is Status.ACCEPTED  # not yet answered to the center
        review = await (await qx.get("/dept?tab=review")).text()
        assert number in review and "待审核（1）" in review
        handler_try = await qx.post(f"/dept/tickets/{number}/approve", data={"csrf_token": tq},
                                    allow_redirects=False)
        assert handler_try.status == 403  # a 承办人 does not approve

        lead, tl = await signed_in(client, "deptqxlead")
        seen = await (await lead.get(f"/dept/tickets/{number}")).text()
        assert "已组织清理单车" in seen and "审核通过并答复" in seen and "东华门街道办事处（deptjd）" in seen
        ok = await lead.post(f"/dept/tickets/{number}/approve", data={"csrf_token": tl}, allow_redirects=False)
        assert ok.status == 303
        ticket = await tickets.get(number)
        assert (ticket.status, ticket.reply) == (Status.REPLIED, "已组织清理单车")
        history = await tickets.history(number)
        assert [e.action for e in history][-4:] == [Action.SUB_DISPATCH, Action.SUB_ACCEPT, Action.SUBMIT,
                                                    Action.REPLY]
        assert history[-1].detail["approved_by"] == "deptqxlead" and history[-1].detail["handled_by"] == "jd"
        assert history[-1].actor == "deptqxlead"
        done = await (await jd.get("/dept?tab=done")).text()
        assert number in done
        for c in (qx, jd, lead):
            await c.close()
    assert_no_stray_tasks()


async def test_given_a_result_when_the_lead_rejects_it_then_it_is_back_in_doing_with_the_comment(
        tmp_path, fresh_database_url):
    async with console(tmp_path, fresh_database_url) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        number = await accepted_ticket(app, "qx", "小区电梯频繁故障")
        qx, tq = await signed_in(client, "deptqx")
        assert (await qx.post(f"/dept/tickets/{number}/reply", data=reply_form(tq, contacted="no"),
                              allow_redirects=False)).status == 303
        again = await qx.post(f"/dept/tickets/{number}/reply", data=reply_form(tq, ("补充.pdf", PDF)),
                              allow_redirects=False)
        assert again.status == 409  # the form is gone while it waits; a stale one is refused
        assert "已有办理结果在等待审核" in await again.text()
        store = tmp_path / "attachments"  # its file was written, then removed with the refusal
        assert not store.exists() or [p for p in store.rglob("*") if p.is_file()] == []
        lead, tl = await signed_in(client, "deptqxlead")
        empty = await lead.post(f"/dept/tickets/{number}/reject-reply", data={"csrf_token": tl, "comment": " "},
                                allow_redirects=False)
        assert empty.status == 400 and "需要填写审核意见" in await empty.text()
        back = await lead.post(f"/dept/tickets/{number}/reject-reply", allow_redirects=False,
                               data={"csrf_token": tl, "comment": "未联系群众，请先电话回复"})
        assert back.status == 303
        doing = await (await qx.get("/dept?tab=doing")).text()
        review = await (await qx.get("/dept?tab=review")).text()
        assert number in doing and number not in review
        sheet = await (await qx.get(f"/dept/tickets/{number}")).text()
        assert "上次提交被退回：未联系群众，请先电话回复" in sheet and "提交办理结果" in sheet
        assert (await qx.post(f"/dept/tickets/{number}/reply", data=reply_form(tq, result="已电话回复并维修"),
                              allow_redirects=False)).status == 303
        lead2, tl2 = await signed_in(client, "deptqxlead2")
        first, second = await asyncio.gather(
            lead.post(f"/dept/tickets/{number}/approve", data={"csrf_token": tl}, allow_redirects=False),
            lead2.post(f"/dept/tickets/{number}/approve", data={"csrf_token": tl2}, allow_redirects=False))
        assert sorted([first.status, second.status]) == [303, 409]
        loser = first if first.status == 409 else second
        assert "不能提交办理结果" in await loser.text() or "没有等待审核的办理结果" in await loser.text()
        actions = [e.action for e in await tickets.history(number)]
        assert actions.count(Action.REPLY) == 1 and Action.REJECT_REPLY in actions
        assert (await tickets.get(number)).reply == "已电话回复并维修"
        for c in (qx, lead, lead2):
            await c.close()
    assert_no_stray_tasks()


async def test_given_bad_attachments_then_a_clear_error_and_nothing_stored_and_good_ones_are_served_audited(
        tmp_path, fresh_database_url):
    async with console(tmp_path, fresh_database_url) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        number = await accepted_ticket(app, "qx", "道路井盖缺失", co=("cg",))
        store = tmp_path / "attachments"
        qx, tq = await signed_in(client, "deptqx")
        cases = (
            ((("现场.exe", b"MZ" + b"\x00" * 100),), "类型不允许"),
            ((("照片.pdf", PNG),), "内容与扩展名 .pdf 不符"),
            ((("好的.pdf", PDF), ("大图.png", PNG + b"\x00" * MAX_BYTES)), "过大"),
        )
        for files, message in cases:
            bad = await qx.post(f"/dept/tickets/{number}/reply", data=reply_form(tq, *files), allow_redirects=False)
            text = await bad.text()
            assert bad.status == 400 and message in text, (bad.status, text[:300])
        huge = await qx.post(f"/dept/tickets/{number}/reply", allow_redirects=False,
                             data=reply_form(tq, ("扫描件.pdf", PDF + b"0" * (2 << 20))))
        assert huge.status == 413 and "上传内容过大" in (await huge.json())["error"]["message"]
        assert not store.exists() or [p for p in store.rglob("*") if p.is_file()] == []
        assert Action.SUBMIT not in [e.action for e in await tickets.history(number)]
        assert number in await (await qx.get("/dept?tab=doing")).text()

        good = await qx.post(f"/dept/tickets/{number}/reply", allow_redirects=False,
                             data=reply_form(tq, ("整改报告.pdf", PDF), ("现场照片.png", PNG)))
        assert good.status == 303
        files = sorted(p for p in store.rglob("*") if p.is_file())
        assert len(files) == 2 and {p.read_bytes() for p in files} == {PDF, PNG}
        handling = app[ENGINE].services["handling"]
        pending = (await handling.handling(number)).pending
        pdf = next(a for a in pending.attachments if a.kind == "pdf")
        assert (pdf.name, pdf.size, pdf.sha256) == ("整改报告.pdf", len(PDF), hashlib.sha256(PDF).hexdigest())

        lead, _ = await signed_in(client, "deptqxlead")
        sheet = await (await lead.get(f"/dept/tickets/{number}")).text()
        assert f'/tickets/{number}/attachments/{pdf.id}' in sheet and "整改报告.pdf" in sheet
        got = await lead.get(f"/tickets/{number}/attachments/{pdf.id}")
        assert got.status == 200 and await got.read() == PDF
        assert got.headers["Content-Type"] == "application/pdf" and "attachment" in got.headers["Content-Disposition"]
        audit = app[CONSOLE].audit
        assert [(e.username, e.result) for e in await audit.recent(5, action="download.attachment")] == [
            ("deptqxlead", "ok")]
        supervisor, _ = await signed_in(client, "lead01")
        assert (await supervisor.get(f"/tickets/{number}/attachments/{pdf.id}")).status == 200
        outsider, _ = await signed_in(client, "deptfzx")
        refused = await outsider.get(f"/tickets/{number}/attachments/{pdf.id}")
        assert refused.status == 403
        assert [e.username for e in await audit.recent(5, action="access.ticket_forbidden")] == ["deptfzx"]
        Path(pdf.file_path).write_bytes(PDF.replace(b"0", b"1"))  # changed on disk: never served
        damaged = await lead.get(f"/tickets/{number}/attachments/{pdf.id}")
        assert damaged.status == 409 and "已损坏" in (await damaged.json())["error"]["message"]

        co, tc = await signed_in(client, "deptcg")  # co-handler: sees the ticket, does not answer it
        answer = await co.post(f"/dept/tickets/{number}/reply", data=reply_form(tc), allow_redirects=False)
        assert answer.status == 403 and "本单位不承办该工单" in await answer.text()
        denied = await audit.recent(5, action="dept.submit_reply")
        assert (denied[0].username, denied[0].result) == ("deptcg", "denied")
        for c in (qx, lead, supervisor, outsider, co):
            await c.close()
    assert_no_stray_tasks()


async def test_given_an_extension_request_when_the_center_decides_then_the_new_deadline_is_in_the_history(
        tmp_path, fresh_database_url):
    async with console(tmp_path, fresh_database_url) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        number = await accepted_ticket(app, "qx", "老旧小区外墙脱落")
        old_due = (await tickets.get(number)).complete_due
        qx, tq = await signed_in(client, "deptqx")
        missing = await qx.post(f"/dept/tickets/{number}/extension", allow_redirects=False,
                                data={"csrf_token": tq, "days": "3", "reason": ""})
        assert missing.status == 400 and "请填写延期理由" in await missing.text()
        asked = await qx.post(f"/dept/tickets/{number}/extension", allow_redirects=False,
                              data={"csrf_token": tq, "days": "3", "reason": "需协调维修资金"})
        assert asked.status == 303
        twice = await qx.post(f"/dept/tickets/{number}/extension", allow_redirects=False,
                              data={"csrf_token": tq, "days": "2", "reason": "再延"})
        assert twice.status in (303, 409)  # the form is hidden while one waits; posting anyway is refused
        center, tc = await signed_in(client, "lead01")
        listing = await (await center.get("/center/extensions")).text()
        assert number in listing and "需协调维修资金" in listing and "3 个工作日" in listing
        no_comment = await center.post(f"/center/extensions/{number}/reject", allow_redirects=False,
                                       data={"csrf_token": tc, "comment": ""})
        assert no_comment.status == 400 and "需要填写审核意见" in await no_comment.text()
        ok = await center.post(f"/center/extensions/{number}/approve", allow_redirects=False,
                               data={"csrf_token": tc, "comment": "同意"})
        assert ok.status == 303
        expected = tickets.calendar.add_working_days(old_due, 3)
        assert (await tickets.get(number)).complete_due == expected
        event = [e for e in await tickets.history(number) if e.action is Action.EXT_APPROVE][-1]
        assert (event.actor, event.detail["old_due"], event.detail["new_due"]) == (
            "lead01", old_due.isoformat(), expected.isoformat())
        assert [e.action for e in await tickets.history(number)].count(Action.EXT_REQUEST) == 1
        assert "暂无待审核的延期申请" in await (await center.get("/center/extensions")).text()
        stale = await center.post(f"/center/extensions/{number}/approve", allow_redirects=False,
                                  data={"csrf_token": tc})
        assert stale.status == 409 and "没有待审核的延期申请" in await stale.text()
        sheet = await (await qx.get(f"/dept/tickets/{number}")).text()
        assert "已同意" in sheet and f"延至 {format_local(expected)}" in sheet  # the history line
        for c in (qx, center):
            await c.close()
    assert_no_stray_tasks()


async def test_given_a_subcenter_line_then_it_is_a_department_that_receives_dispatched_tickets(
        tmp_path, fresh_database_url):
    async with console(tmp_path, fresh_database_url) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        admin, ta = await signed_in(client, "admin01")
        saved = await admin.post("/admin/lines", headers={"X-CSRF-Token": ta}, json={
            "number": "95598", "name": "供电服务分中心", "mode": "设分中心", "queue": "subcenter-95598"})
        assert saved.status == 200, await saved.text()
        assert "fzx95598" in {d.code for d in await tickets.list_departments()}
        assert {d.code: d.name for d in await tickets.list_departments()}["fzx95598"] == "供电服务分中心"
        draft = await tickets.create_draft(actor="agent01", caller="13800138000", content="小区停电三小时")
        await tickets.register(draft.number, "agent01", request_type="help", content="小区停电三小时")
        await tickets.dispatch(draft.number, "fzx95598", [], "agent01")
        fzx, tf = await signed_in(client, "deptfzx")
        inbox = await (await fzx.get("/dept")).text()
        assert "供电服务分中心" in inbox and draft.number in inbox and "剩余" in inbox
        assert (await fzx.post(f"/dept/tickets/{draft.number}/accept", data={"csrf_token": tf},
                               allow_redirects=False)).status == 303
        assert (await tickets.get(draft.number)).complete_due is not None
        off = await admin.post("/admin/lines", headers={"X-CSRF-Token": ta}, json={
            "number": "95598", "name": "供电服务分中心", "mode": "设分中心", "queue": "subcenter-95598",
            "enabled": False})
        assert off.status == 200
        assert "fzx95598" not in {d.code for d in await tickets.list_departments()}
        for c in (admin, fzx):
            await c.close()
    assert_no_stray_tasks()


async def test_given_a_passed_down_ticket_returned_and_dispatched_elsewhere_then_the_street_office_loses_it(
        tmp_path, fresh_database_url):
    async with console(tmp_path, fresh_database_url) as (app, client):
        tickets, handling = app[ENGINE].services["tickets"], app[ENGINE].services["handling"]
        number = await accepted_ticket(app, "qx", "河道漂浮垃圾")
        await handling.sub_dispatch(number, "qx", "jd", "deptqx")
        await handling.sub_accept(number, "jd", "deptjd")
        await handling.submit(number, "jd", "deptjd", result="已打捞", contact="电话", contacted=True)
        jd, _ = await signed_in(client, "deptjd")
        assert (await jd.get(f"/dept/tickets/{number}")).status == 200
        await tickets.return_(number, "qx", "河道属水务", "deptqx", reason_code="not_ours")
        await tickets.dispatch(number, "cg", [], "lead01")
        await tickets.accept(number, "cg", "deptcg")
        assert (await jd.get(f"/dept/tickets/{number}")).status == 403
        assert f'data-number="{number}"' not in await (await jd.get("/tickets")).text()
        assert number not in await (await jd.get("/dept?tab=review")).text()
        cg, _ = await signed_in(client, "deptcg")
        sheet = await (await cg.get(f"/dept/tickets/{number}")).text()
        assert 'data-testid="pending-result"' not in sheet and "提交办理结果" in sheet  # not cg's to approve
        assert number in await (await cg.get("/dept?tab=doing")).text()
        for c in (jd, cg):
            await c.close()
    assert_no_stray_tasks()


async def test_a_department_result_longer_than_32_characters_is_kept_whole():
    """The 办理结果 becomes the ticket's reply: it has the reply's limit, not a linkage outcome's 32."""
    from tickets.validation import clean_text

    text = "经现场核查，该商户占道经营属实，已责令其当场整改并清理占道物品，后续将加强巡查，防止反弹。"
    assert len(text) > 32 and clean_text("handling_result", text, required=True) == text
