"""上行短信 (issue 16): the city SMS platform pushes a citizen's SMS to /sms/inbound, signed with the
shared secret; it becomes a draft (channel sms) with the sender's number, listed on 网上诉求受理 for
an agent to 登记, and the citizen gets the ticket number back by SMS. A retried msg_id is stored
once; unsigned, stale, oversized, malformed and flooding pushes are refused with nothing stored.
"""
from __future__ import annotations

import json
import re
import time

from sqlalchemy import func, select

from agent_console.context import CONSOLE
from channels.models import SmsInbound, SmsMessage
from channels.sms.uplink import sign
from console_support import MovableClock, SharedClient, login, make_config, running_console
from hotline.engine import ENGINE
from tickets.codes import Channel, Status

SECRET = "uplink-shared-secret-0123456789"
SENDER = "13912345678"


def uplink_config(tmp_path, url: str | None = None, **sms):
    config = make_config(tmp_path)
    update = {"sms": config.sms.model_copy(update={"uplink_secret": SECRET, **sms})}
    if url:
        update["database"] = config.database.model_copy(update={"url": url})
    return config.model_copy(update=update)


def body_of(msg_id: str, text: str, sender: str = SENDER, to: str = "12345") -> bytes:
    return json.dumps({"msg_id": msg_id, "from": sender, "to": to, "text": text,
                       "received_at": "2026-12-03T20:15:00+08:00"}, ensure_ascii=False).encode()


async def push(client, body: bytes, *, secret: str = SECRET, timestamp: str | None = None, clock=None):
    timestamp = timestamp or str(int(clock().timestamp() if clock else time.time()))
    return await client.post("/sms/inbound", data=body, headers={
        "Content-Type": "application/json", "X-Sms-Timestamp": timestamp,
        "X-Sms-Signature": sign(secret, timestamp, body)})


async def stored(app) -> int:
    async with app[ENGINE].sessions() as session:
        return (await session.execute(select(func.count()).select_from(SmsInbound))).scalar_one()


async def replies(app) -> list[SmsMessage]:
    await app[ENGINE].services["sms_inbound"].drain()
    async with app[ENGINE].sessions() as session:
        return list(await session.scalars(select(SmsMessage).where(SmsMessage.kind == "inbound_reply")))


async def test_given_a_citizens_sms_when_pushed_then_a_draft_the_agent_registers_and_the_number_sent_back(
        tmp_path, fresh_database_url):
    clock = MovableClock()
    async with running_console(uplink_config(tmp_path, fresh_database_url), clock) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        response = await push(client, body_of("MO-20261203-0001", "幸福路 8 号井盖丢失，晚上有人差点掉下去"), clock=clock)
        assert response.status == 200, await response.text()
        answer = await response.json()
        number = answer["ticket_number"]
        assert answer["duplicate"] is False and re.fullmatch(r"\d{14}", number)
        ticket = await tickets.get(number)
        assert ticket.channel is Channel.SMS and ticket.status is Status.DRAFT
        assert ticket.caller == SENDER and ticket.contact_number == SENDER
        assert ticket.content == "幸福路 8 号井盖丢失，晚上有人差点掉下去"
        [reply] = await replies(app)
        assert reply.to_number == SENDER and number in reply.text and reply.status == "sent"
        assert number in app[ENGINE].services["sms"].gateway.sent[-1].text  # the log-only gateway got it
        assert [e.target for e in await app[CONSOLE].audit.recent(10, action="sms.draft")] == [number]

        again = await push(client, body_of("MO-20261203-0001", "幸福路 8 号井盖丢失，晚上有人差点掉下去"), clock=clock)
        assert (await again.json()) == {"ticket_number": number, "duplicate": True}
        assert await stored(app) == 1 and len(await replies(app)) == 1
        assert len(await tickets.search(status="draft")) == 1

        agent = SharedClient(client)
        await login(agent, "agent01")
        listing = await (await agent.get("/center/web")).text()
        assert number in listing and "短信" in listing and "139****5678" in listing and SENDER not in listing
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', listing).group(1)
        done = await agent.post(f"/center/web/{number}/register", data={
            "csrf_token": csrf, "request_type": "report", "content": "幸福路 8 号井盖丢失"})
        assert done.status == 200
        await agent.close()
        assert (await tickets.get(number)).status is Status.REGISTERED

        admin = SharedClient(client)  # 短信记录: the message taken in, its retry, and the reply sent
        await login(admin, "boss")
        log_page = await (await admin.get("/admin/sms")).text()
        await admin.close()
        inbound = log_page.split('data-testid="sms-inbound"')[1]
        assert number in inbound and "139****5678" in inbound and SENDER not in log_page
        assert "<td>1</td>" in inbound and "井盖丢失" in inbound and "上行短信回复" in log_page


async def test_given_bad_pushes_when_sent_then_clear_4xx_and_nothing_stored(tmp_path):
    clock = MovableClock()
    async with running_console(uplink_config(tmp_path, uplink_per_sender=2), clock) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        good = body_of("MO-1", "路灯不亮")
        assert (await push(client, good, secret="guessed", clock=clock)).status == 403
        unsigned = await client.post("/sms/inbound", data=good, headers={"Content-Type": "application/json"})
        assert unsigned.status == 403
        stale = str(int(clock().timestamp()) - 3600)
        assert (await push(client, good, timestamp=stale)).status == 403
        assert (await push(client, b"{not json", clock=clock)).status == 400
        assert (await push(client, b'["a list"]', clock=clock)).status == 400
        assert (await push(client, body_of("MO-2", "x", sender="110"), clock=clock)).status == 400
        assert (await push(client, body_of("MO 3 bad id", "x"), clock=clock)).status == 400
        assert (await push(client, body_of("MO-4", ""), clock=clock)).status == 400
        assert (await push(client, body_of("MO-5", "\x00控制字符"), clock=clock)).status == 400
        huge = await push(client, body_of("MO-6", "长" * 5000), clock=clock)
        assert huge.status == 413 and (await huge.json())["error"] == "sms.too_large"
        assert await stored(app) == 0 and await tickets.search(status="draft") == []

        for i in range(2):
            assert (await push(client, body_of(f"MO-1{i}", f"第 {i} 条"), clock=clock)).status == 200
        flood = await push(client, body_of("MO-19", "第 3 条"), clock=clock)
        assert flood.status == 429 and int(flood.headers["Retry-After"]) > 0
        other = await push(client, body_of("MO-20", "别的号码", sender="+8613700000000"), clock=clock)
        assert other.status == 200
        assert (await tickets.get((await other.json())["ticket_number"])).caller == "13700000000"
        assert await stored(app) == 3 and len(await tickets.search(status="draft")) == 3


async def test_given_no_uplink_secret_when_pushed_then_the_endpoint_is_absent(tmp_path):
    async with running_console(make_config(tmp_path), MovableClock()) as (app, client):
        response = await push(client, body_of("MO-1", "路灯不亮"), secret="")
        assert response.status == 404 and await stored(app) == 0
