"""The citizen's web channel over HTTP (issue 16 items 1, 4, 5): a request submitted with an SMS
code (read from the log-only adapter) becomes a web draft with the citizen's details; the agent
registers it, a department replies; the citizen reads status and reply with number + query code
and evaluates once. A wrong code reads exactly like an unknown number; floods get 429 in Chinese;
every message sent is in the sms_message table (codes masked); the HTTP adapter posts JSON with its token.
"""
from __future__ import annotations

import io
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from agent_console.context import CONSOLE
from channels.models import QueryCode, SmsMessage
from channels.sms import HttpSms, SmsOutbox
from channels.sms.gateway import SmsError
from channels.web.context import CITIZEN
from console_support import MovableClock, SharedClient, login, make_config, running_console
from hotline.engine import ENGINE
from tickets.codes import Channel, Evaluation, Status

PHONE = "13800138000"
FORM = {"request_type": "complaint", "content": "小区门口夜间施工噪音扰民，持续一周", "address": "和平区幸福路 12 号",
        "phone": PHONE, "name": "张先生"}


def token_of(html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def sms_codes(app) -> list[str]:
    gateway = app[CITIZEN].desk.outbox.gateway
    return [re.search(r"验证码为 (\d{6})", m.text).group(1) for m in gateway.sent if "验证码" in m.text]


async def send_code(client, phone=PHONE, **extra):
    token = token_of(await (await client.get("/citizen/new")).text())
    return await client.post("/citizen/new", data={**FORM, "phone": phone, "form_token": token,
                                                   "action": "send_code", **extra})


async def submit(client, code: str, **fields):
    token = token_of(await (await client.get("/citizen/new")).text())
    return await client.post("/citizen/new", data={**FORM, **fields, "sms_code": code, "form_token": token,
                                                   "action": "submit"})


async def query(client, number: str, code: str):
    token = token_of(await (await client.get("/citizen/query")).text())
    return await client.post("/citizen/query", data={"number": number, "code": code, "form_token": token})


async def submitted(app, client) -> tuple[str, str]:
    assert (await send_code(client)).status == 200
    response = await submit(client, sms_codes(app)[-1])
    html = await response.text()
    assert response.status == 200, html
    return (re.search(r'id="ticket-number">(\d+)<', html).group(1),
            re.search(r'id="query-code" class="c-code">([A-Z0-9]+)<', html).group(1))


async def test_given_a_web_submission_with_its_sms_code_when_replied_then_the_citizen_reads_and_evaluates(tmp_path):
    async with running_console(make_config(tmp_path), MovableClock()) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        await tickets.add_department("cgj", "城管局")
        page = await (await client.get("/citizen/new")).text()
        assert "诉求类型" in page and 'name="viewport"' in page and "演示模式" in page

        response = await send_code(client)
        html = await response.text()
        assert response.status == 200 and "验证码已写入服务器日志" in html
        code = sms_codes(app)[-1]
        wrong = await submit(client, "000000" if code != "000000" else "111111")
        assert wrong.status == 400 and "短信验证码不正确" in await wrong.text()
        assert await tickets.search(caller=PHONE) == []

        number, qcode = await submitted(app, client)
        ticket = await tickets.get(number)
        assert ticket.channel is Channel.WEB and ticket.status is Status.DRAFT
        assert (ticket.content, ticket.address, ticket.contact_number, ticket.caller_name, ticket.caller) == (
            FORM["content"], FORM["address"], PHONE, "张先生", PHONE)
        engine = app[ENGINE]
        async with engine.sessions() as session:
            row = (await session.execute(select(QueryCode).where(QueryCode.ticket_number == number))).scalar_one()
            sms = list(await session.scalars(select(SmsMessage)))
        assert qcode not in (row.code_hash, row.salt)
        assert all(m.kind == "verify" and m.status == "sent" and m.to_number == PHONE for m in sms)
        assert not any(re.search(r"\d{6}", m.text) for m in sms), "verification codes must be masked in the log"
        admin = SharedClient(client)
        await login(admin, "boss")
        log_page = await (await admin.get("/admin/sms")).text()
        assert "短信记录" in log_page and "138****8000" in log_page and "验证码" in log_page
        assert not any(c in log_page for c in sms_codes(app)) and PHONE not in log_page
        await admin.close()

        before = await (await query(client, number, qcode)).text()
        assert "已提交，待受理" in before and FORM["content"] in before and 'id="evaluate"' not in before

        agent = SharedClient(client)  # the center's 网上诉求受理 page: check, 登记 and 派单 in one step
        await login(agent, "agent01")
        listing = await (await agent.get("/center/web")).text()
        assert number in listing and "138****8000" in listing and PHONE not in listing
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', listing).group(1)
        missing = await agent.post(f"/center/web/{number}/register", data={"request_type": "complaint",
                                                                           "content": ticket.content})
        assert missing.status == 403, "the console's CSRF check covers the page's forms"
        done = await agent.post(f"/center/web/{number}/register", data={
            "csrf_token": csrf, "request_type": "complaint", "content": ticket.content, "department": "cgj",
            "note": "内部：请核实施工许可证"})
        assert done.status == 200 and number in await done.text()
        assert number not in (await (await agent.get("/center/web")).text()).split("已受理登记")[-1]
        await agent.close()
        registered = await tickets.get(number)
        assert registered.status is Status.DISPATCHED and registered.address == FORM["address"]
        html = await (await query(client, number, qcode)).text()
        assert "办理中" in html and "城管局" in html
        await tickets.accept(number, "cgj", "dept01")
        await tickets.reply(number, "已责令施工单位夜间停工，并处罚款", "dept01", dept="cgj", contact="电话联系")

        html = await (await query(client, number, qcode.lower())).text()
        assert "已答复，待评价" in html and "已责令施工单位夜间停工" in html and "城管局" in html
        assert "内部：请核实施工许可证" not in html and 'id="evaluate"' in html

        token = token_of(html)
        done = await client.post("/citizen/evaluate", data={"number": number, "code": qcode, "form_token": token,
                                                            "evaluation": "basically_satisfied", "note": "希望持续关注"})
        assert done.status == 200 and "感谢您的评价" in await done.text()
        after = await tickets.get(number)
        assert after.evaluation is Evaluation.BASICALLY_SATISFIED and after.status is Status.CALLBACK
        history = await tickets.history(number)
        assert history[-1].actor == "citizen-web"
        again = await client.post("/citizen/evaluate", data={"number": number, "code": qcode, "form_token": token,
                                                             "evaluation": "dissatisfied"})
        assert again.status == 409 and "不能评价" in await again.text()
        assert (await tickets.get(number)).evaluation is Evaluation.BASICALLY_SATISFIED

        unknown = await query(client, "20990101999999", qcode)
        wrong_code = await query(client, number, "ABCDEFGHJK")
        wrong_eval = await client.post("/citizen/evaluate", data={"number": number, "code": "ABCDEFGHJK",
                                                                  "form_token": token, "evaluation": "satisfied"})
        texts = [await r.text() for r in (unknown, wrong_code, wrong_eval)]
        assert [r.status for r in (unknown, wrong_code, wrong_eval)] == [404, 404, 404]
        strip = [re.sub(r'value="[^"]*"', "", t) for t in texts]
        assert strip[0] == strip[1] == strip[2] and "工单编号或查询码不正确" in texts[0]
        audit = await app[CONSOLE].audit.recent(50, action="citizen.query")
        assert {(e.target, e.result) for e in audit} >= {(number, "ok"), (number, "denied"), ("20990101999999", "denied")}


async def test_given_a_confidential_ticket_when_the_citizen_queries_then_content_and_reply_are_hidden(tmp_path):
    async with running_console(make_config(tmp_path), MovableClock()) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        number, qcode = await submitted(app, client)
        await tickets.register(number, "agent01", request_type="report", content="举报：某单位违规排污",
                               confidential=True)
        await tickets.reply(number, "已查处，涉事人员已处理", "agent01")
        html = await (await query(client, number, qcode)).text()
        assert "已答复，待评价" in html and "保密件" in html
        assert "违规排污" not in html and "已查处" not in html and FORM["content"] not in html


async def test_given_floods_then_limits_answer_429_in_chinese_and_forms_need_their_token(tmp_path):
    config = make_config(tmp_path)
    config = config.model_copy(update={"citizen": config.citizen.model_copy(update={
        "codes_per_phone": 2, "queries_per_address": 3, "submits_per_address": 2})})
    clock = MovableClock()
    async with running_console(config, clock) as (app, client):
        assert (await send_code(client)).status == 200
        assert (await send_code(client)).status == 200
        third = await send_code(client)
        assert third.status == 429 and "操作过于频繁" in await third.text() and int(third.headers["Retry-After"]) > 0
        other = await send_code(client, phone="13900139000")
        assert other.status == 200, "another phone from the same address is still served"

        number, qcode = "20990101000001", "ABCDEFGHJK"
        statuses = [(await query(client, number, qcode)).status for _ in range(3)]
        limited = await query(client, number, qcode)
        assert statuses == [404] * 3 and limited.status == 429 and "查询过于频繁" in await limited.text()
        clock.advance(3601)
        assert (await query(client, number, qcode)).status == 404, "the window passes"

        fresh = SharedClient(client)  # no cookie: a cross-site form post cannot carry the token
        refused = await fresh.post("/citizen/new", data={**FORM, "form_token": "x" * 40, "action": "submit"})
        assert refused.status == 403 and "页面已过期" in await refused.text()
        await fresh.close()

        for _ in range(2):
            assert (await submit(client, "000001")).status == 400  # wrong SMS codes count against the address
        flood = await submit(client, "000001")
        assert flood.status == 429 and "操作过于频繁" in await flood.text()


async def test_given_the_http_adapter_then_it_posts_json_with_its_token_and_a_down_gateway_is_logged(tmp_path):
    seen = []

    async def platform(request: web.Request) -> web.Response:
        seen.append((request.headers.get("Authorization"), await request.json()))
        return web.json_response({"ok": True}, status=200 if len(seen) == 1 else 503)

    api = web.Application()
    api.router.add_post("/send", platform)
    server = TestServer(api, host="127.0.0.1")
    await server.start_server()
    async with running_console(make_config(tmp_path), MovableClock()) as (app, _client):
        engine = app[ENGINE]
        gateway = HttpSms(str(server.make_url("/send")), "city-token", sender="12345")
        outbox = SmsOutbox(gateway, engine.sessions, engine.clock)
        try:
            assert await outbox.send(PHONE, "您的工单 20990101000001 已受理", kind="ticket_number",
                                     ticket_number="20990101000001")
            assert not await outbox.send(PHONE, "第二条", kind="ticket_number")
        finally:
            await gateway.close()
            await server.close()
        assert seen[0] == ("Bearer city-token", {"to": PHONE, "text": "您的工单 20990101000001 已受理",
                                                 "sender": "12345"})
        rows = await outbox.recent()
        assert [(r.status, r.adapter) for r in rows] == [("failed", "http"), ("sent", "http")]
        assert "503" in rows[0].error
        down = HttpSms("http://127.0.0.1:9/none", "t", timeout_seconds=1)
        with pytest.raises(SmsError):
            await down.send(PHONE, "x")
        await down.close()


class FlakyGateway:
    """Down for the first `down` sends, then delivers (a city platform that comes back)."""

    name = "flaky"

    def __init__(self, down: int) -> None:
        self.down, self.sent = down, []

    async def send(self, to: str, text: str) -> None:
        if self.down:
            self.down -= 1
            raise SmsError("SMS platform unreachable: ClientConnectorError")
        self.sent.append((to, text))

    async def close(self) -> None:
        return None


async def test_given_a_configured_line_when_a_phone_ticket_is_registered_then_its_number_is_sent_by_sms(tmp_path):
    from channels.sms.notify import TicketNumberNotifier

    config = make_config(tmp_path)
    config = config.model_copy(update={"sms": config.sms.model_copy(update={"notify_lines": ["12345"]})})
    clock = MovableClock()
    async with running_console(config, clock) as (app, _client):
        engine = app[ENGINE]
        tickets = engine.services["tickets"]
        assert engine.services["sms_notifier"].every <= 180  # the running sweep: within 3 minutes
        gateway = FlakyGateway(down=2)
        notifier = TicketNumberNotifier(SmsOutbox(gateway, engine.sessions, clock), engine.sessions, clock,
                                        ["12345"], every=30, max_attempts=5)
        on_line = await tickets.create_draft(caller=PHONE, line_dialed="12345")
        other_line = await tickets.create_draft(caller="13900139000", line_dialed="12315")
        landline = await tickets.create_draft(caller="02288889999", line_dialed="12345")
        draft_only = await tickets.create_draft(caller="13700137000", line_dialed="12345")
        assert await notifier.sweep() == 0, "nothing before 登记"
        for t in (on_line, other_line, landline):
            await tickets.register(t.number, "agent01", request_type="consult", content="咨询社保卡补办")
        assert await notifier.sweep() == 0 and await notifier.sweep() == 0  # the platform is down twice
        clock.advance(30)
        assert await notifier.sweep() == 1
        assert gateway.sent == [(PHONE, f"【12345】您反映的问题已受理，工单编号 {on_line.number}。办理结果将及时答复您，感谢您的支持。")]
        assert await notifier.sweep() == 0, "sent once only"
        rows = await SmsOutbox(gateway, engine.sessions, clock).recent()
        assert [(r.ticket_number, r.status) for r in rows] == [(on_line.number, "sent"), (on_line.number, "failed"),
                                                              (on_line.number, "failed")]
        assert draft_only.number not in {r.ticket_number for r in rows}


async def test_given_oversized_or_malformed_bodies_then_a_clear_4xx_and_nothing_stored(tmp_path):
    async with running_console(make_config(tmp_path), MovableClock()) as (app, client):
        token = token_of(await (await client.get("/citizen/new")).text())
        big = await client.post("/citizen/new", data={**FORM, "content": "噪" * 40_000, "form_token": token,
                                                      "action": "submit"})
        assert big.status == 413 and "提交内容过大" in await big.text()
        long_text = await client.post("/citizen/new", data={**FORM, "content": "噪" * 2001, "form_token": token,
                                                            "action": "submit", "sms_code": "123456"})
        assert long_text.status == 400 and "不能超过 2000 个字" in await long_text.text()
        bad = await client.post("/citizen/query", data=b"\xff\xfe=%%%",
                                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        assert 400 <= bad.status < 500
        assert await app[ENGINE].services["tickets"].search(caller=PHONE) == []


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000


async def test_given_attachments_then_checked_by_their_bytes_kept_with_the_ticket_and_downloaded_by_the_center(
        tmp_path):
    from aiohttp import FormData

    def multipart(code: str, token: str, files) -> FormData:
        data = FormData()
        for key, value in {**FORM, "sms_code": code, "form_token": token, "action": "submit"}.items():
            data.add_field(key, value)
        for name, body in files:
            data.add_field("files", io.BytesIO(body), filename=name, content_type="image/png")
        return data

    async with running_console(make_config(tmp_path), MovableClock()) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        await send_code(client)
        code = sms_codes(app)[-1]
        token = token_of(await (await client.get("/citizen/new")).text())
        fake = await client.post("/citizen/new", data=multipart(code, token, [("photo.png", b"MZ\x90\x00evil")]))
        assert fake.status == 400 and "附件只能是 JPG、PNG 图片或 PDF 文件" in await fake.text()
        big = await client.post("/citizen/new", data=multipart(code, token, [("big.png", PNG + b"\x00" * 6 * 2**20)]))
        assert big.status == 413
        assert await tickets.search(caller=PHONE) == [], "a refused submission stores nothing"
        root = tmp_path / "citizen"
        assert [p for p in root.rglob("*") if p.is_file()] == []

        done = await client.post("/citizen/new", data=multipart(code, token, [("../../路灯.png", PNG)]))
        html = await done.text()
        assert done.status == 200 and 'id="files-kept">1 个' in html, html[:500]
        number = re.search(r'id="ticket-number">(\d+)<', html).group(1)
        assert (root / number / "1.png").read_bytes() == PNG
        assert [p.name for p in root.iterdir()] == [number], "the spool is gone"

        agent = SharedClient(client)
        await login(agent, "agent01")
        listing = await (await agent.get("/center/web")).text()
        assert f"/center/web/{number}/attachments/1" in listing and "路灯.png" in listing, listing[listing.find("<tbody"):][:1500]
        file = await agent.get(f"/center/web/{number}/attachments/1")
        assert file.status == 200 and await file.read() == PNG
        assert file.headers["Content-Disposition"].startswith("attachment") and file.content_type == "image/png"
        assert (await agent.get(f"/center/web/{number}/attachments/2")).status == 404
        assert (await client.get(f"/center/web/{number}/attachments/1", allow_redirects=False)).status in (302, 401)
        await agent.close()
