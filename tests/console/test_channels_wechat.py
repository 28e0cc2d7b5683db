"""The WeChat official account's message push (issue 16.2), spoken in the platform's documented wire
format (plaintext mode): the server-URL verification echoes `echostr`; a citizen's text message opens a
draft (channel wechat) and the passive reply names its ticket number; a later text or image within the
conversation window goes to the same draft (the image as its MediaId/PicUrl reference); a retried
MsgId is stored once; a bad signature is 403 and malformed XML 400 with nothing stored; one OpenID is
rate-limited; the agent sees the conversation on 网上诉求受理 and 登记s it.
"""
from __future__ import annotations

import asyncio
import hashlib
import re
import time
import xml.etree.ElementTree as ET

from sqlalchemy import func, select

from agent_console.context import CONSOLE
from channels.models import WechatMessage
from channels.wechat.protocol import MalformedMessage, parse
from console_support import MovableClock, SharedClient, login, make_config, running_console
from hotline.config import WechatSection
from hotline.engine import ENGINE
from tickets.codes import Channel, Status

TOKEN = "hotline12345token"
OPENID = "oABCD1234efgh5678ijkl90MNOPq"
ACCOUNT = "gh_0123456789ab"


def wechat_config(tmp_path, url: str | None = None, **wechat):
    config = make_config(tmp_path)
    update = {"wechat": config.wechat.model_copy(update={"token": TOKEN, **wechat})}
    if url:
        update["database"] = config.database.model_copy(update={"url": url})
    return config.model_copy(update=update)


def query(timestamp: str | None = None, nonce="1514711492", token=TOKEN, **extra) -> dict:
    """The signed query string; the timestamp is now (the engine refuses stale ones)."""
    timestamp = timestamp or str(int(time.time()))
    sig = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": sig, "timestamp": timestamp, "nonce": nonce, **extra}


def text_xml(content: str, msg_id: str, openid: str = OPENID) -> str:
    return f"""<xml>
  <ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>
  <FromUserName><![CDATA[{openid}]]></FromUserName>
  <CreateTime>1348831860</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[{content}]]></Content>
  <MsgId>{msg_id}</MsgId>
</xml>"""


def image_xml(msg_id: str, openid: str = OPENID) -> str:
    return f"""<xml>
  <ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>
  <FromUserName><![CDATA[{openid}]]></FromUserName>
  <CreateTime>1348831870</CreateTime>
  <MsgType><![CDATA[image]]></MsgType>
  <PicUrl><![CDATA[http://mmbiz.qpic.cn/mmbiz/example.jpg]]></PicUrl>
  <MediaId><![CDATA[media_id_8fKq2x]]></MediaId>
  <MsgId>{msg_id}</MsgId>
</xml>"""


async def push(client, body: str, clock: MovableClock | None = None, **params):
    """POST as the platform does; `clock`: sign with the test's moved clock as the timestamp."""
    params = params or query(timestamp=str(int(clock().timestamp())) if clock else None)
    return await client.post("/wechat", params=params, data=body.encode("utf-8"),
                             headers={"Content-Type": "text/xml"})


async def reply_of(response) -> dict[str, str]:
    assert response.status == 200, await response.text()
    root = ET.fromstring(await response.read())
    return {child.tag: child.text for child in root}


def number_in(reply: dict[str, str]) -> str:
    return re.search(r"(\d{14})", reply["Content"]).group(1)


async def stored(app) -> int:
    async with app[ENGINE].sessions() as session:
        return (await session.execute(select(func.count()).select_from(WechatMessage))).scalar_one()


async def test_given_the_configured_token_when_the_platform_verifies_the_url_then_echostr_is_echoed(tmp_path):
    async with running_console(wechat_config(tmp_path), MovableClock()) as (app, client):
        good = await client.get("/wechat", params=query(echostr="4627453587712946390"))
        assert good.status == 200 and await good.text() == "4627453587712946390"
        forged = await client.get("/wechat", params=query(token="not-the-token", echostr="1"))
        assert forged.status == 403 and await forged.text() != "1"
        stale = await client.get("/wechat", params=query(timestamp=str(int(time.time()) - 3600), echostr="1"))
        assert stale.status == 403, "a signed query string captured an hour ago is not usable"


async def test_given_a_conversation_when_pushed_then_one_draft_answered_with_its_number(tmp_path, fresh_database_url):
    clock = MovableClock()
    async with running_console(wechat_config(tmp_path, fresh_database_url), clock) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        first = await reply_of(await push(client, text_xml("小区门口路灯坏了一个星期，晚上很黑", "1234567890123456"), clock))
        assert (first["ToUserName"], first["FromUserName"], first["MsgType"]) == (OPENID, ACCOUNT, "text")
        number = number_in(first)
        assert "工单编号" in first["Content"]
        ticket = await tickets.get(number)
        assert ticket.channel is Channel.WECHAT and ticket.status is Status.DRAFT
        assert ticket.content == "小区门口路灯坏了一个星期，晚上很黑"
        assert [e.target for e in await app[CONSOLE].audit.recent(10, action="wechat.draft")] == [number]

        clock.advance(120)
        second = await reply_of(await push(client, text_xml("位置在幸福路 12 号东门", "1234567890123457"), clock))
        picture = await reply_of(await push(client, image_xml("1234567890123458"), clock))
        retry = await reply_of(await push(client, image_xml("1234567890123458"), clock))  # the platform's retry
        assert number_in(second) == number_in(picture) == number_in(retry) == number
        assert "已补充到工单" in second["Content"]
        ticket = await tickets.get(number)
        assert "幸福路 12 号东门" in ticket.transcript and "MediaId=media_id_8fKq2x" in ticket.transcript
        assert "PicUrl=http://mmbiz.qpic.cn/mmbiz/example.jpg" in ticket.transcript
        assert await stored(app) == 3 and len(await tickets.search(status="draft")) == 1

        agent = SharedClient(client)  # the center's 网上诉求受理 page lists it with the conversation
        await login(agent, "agent01")
        listing = await (await agent.get("/center/web")).text()
        assert number in listing and "微信" in listing and "media_id_8fKq2x" in listing
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', listing).group(1)
        done = await agent.post(f"/center/web/{number}/register", data={
            "csrf_token": csrf, "request_type": "report", "content": "幸福路 12 号东门路灯损坏一周"})
        assert done.status == 200
        await agent.close()
        assert (await tickets.get(number)).status is Status.REGISTERED

        later = number_in(await reply_of(await push(client, text_xml("又坏了一个", "1234567890123459"), clock)))
        assert later != number, "a registered draft takes no more messages: a new request"
        clock.advance(3600)
        after_window = number_in(await reply_of(await push(client, text_xml("另一件事", "1234567890123460"), clock)))
        assert after_window not in (number, later)
        other = number_in(await reply_of(await push(client, text_xml("我家楼下也是", "1234567890123461",
                                                                          openid="oXYZ_other_citizen"), clock)))
        assert other != after_window


async def test_given_quick_messages_and_retries_at_once_when_pushed_then_one_draft_each_stored_once(tmp_path):
    async with running_console(wechat_config(tmp_path), MovableClock()) as (app, client):
        bodies = [text_xml(f"第 {i} 条", f"500000000000000{i}") for i in range(4)] + [image_xml("5000000000000001")]
        replies = await asyncio.gather(*(push(client, b) for b in bodies))
        numbers = {number_in(await reply_of(r)) for r in replies}
        assert len(numbers) == 1 and await stored(app) == 4
        assert len(await app[ENGINE].services["tickets"].search(status="draft")) == 1


async def test_given_a_new_follower_when_subscribed_then_welcomed_and_nothing_stored(tmp_path):
    async with running_console(wechat_config(tmp_path), MovableClock()) as (app, client):
        subscribe = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]>"
                     "</FromUserName><CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                     "<Event><![CDATA[subscribe]]></Event></xml>")
        assert "欢迎关注" in (await reply_of(await push(client, subscribe)))["Content"]
        voice = text_xml("x", "6000000000000001").replace("[text]", "[voice]")
        answer = await push(client, voice)
        assert answer.status == 200 and await answer.text() == "success"
        assert await stored(app) == 0


async def test_given_a_bad_signature_or_malformed_xml_when_pushed_then_refused_with_nothing_stored(tmp_path):
    async with running_console(wechat_config(tmp_path), MovableClock()) as (app, client):
        tickets = app[ENGINE].services["tickets"]
        forged = await push(client, text_xml("伪造的消息", "2000000000000001"), **query(token="guessed"))
        assert forged.status == 403
        replayed = await push(client, text_xml("重放的消息", "2000000000000006"),
                              **query(timestamp=str(int(time.time()) - 900)))
        assert replayed.status == 403
        unsigned = await client.post("/wechat", data=text_xml("没有签名", "2000000000000002").encode())
        assert unsigned.status == 403
        assert (await push(client, "<xml><ToUserName>gh_1</ToUserName>")).status == 400
        assert (await push(client, text_xml("", "2000000000000003"))).status == 400
        bomb = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                + text_xml("&b;", "2000000000000004").replace("<![CDATA[&b;]]>", "&b;"))
        assert (await push(client, bomb)).status == 400
        huge = await push(client, text_xml("长" * 40_000, "2000000000000005"))
        assert huge.status == 413 and await huge.text() == "消息过大"
        assert await stored(app) == 0 and await tickets.search(status="draft") == []


async def test_given_one_openid_flooding_when_over_its_allowance_then_told_to_wait_and_nothing_stored(tmp_path):
    async with running_console(wechat_config(tmp_path, messages_per_openid=2), MovableClock()) as (app, client):
        for i in range(2):
            await reply_of(await push(client, text_xml(f"第 {i} 条", f"300000000000000{i}")))
        refused = await reply_of(await push(client, text_xml("第 3 条", "3000000000000009")))
        assert "过于频繁" in refused["Content"] and not re.search(r"\d{14}", refused["Content"])
        assert await stored(app) == 2
        fresh = await reply_of(await push(client, text_xml("别人的消息", "3000000000000010", openid="oOther")))
        assert "工单编号" in fresh["Content"]


async def test_given_no_token_configured_when_pushed_then_the_endpoint_is_absent(tmp_path):
    async with running_console(make_config(tmp_path), MovableClock()) as (app, client):
        response = await client.get("/wechat", params=query(token="", echostr="1"))
        assert response.status == 404
        assert (await push(client, text_xml("x", "4000000000000001"), **query(token=""))).status == 404


def test_given_a_token_file_when_read_then_it_is_the_secret(tmp_path):
    path = tmp_path / "wechat.token"
    path.write_text("from-the-file\n", encoding="utf-8")
    assert WechatSection(token_file=path).secret() == "from-the-file"


def test_given_other_message_types_when_parsed_then_not_text_or_image():
    event = parse(b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oA]]></FromUserName>"
                  b"<CreateTime>123</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                  b"<Event><![CDATA[subscribe]]></Event></xml>")
    assert event.msg_type == "event"
    for body in (b"<notxml/>", "<xml>中</xml>".encode("gbk"), b"<!doctype xml><xml/>"):
        try:
            parse(body)
        except MalformedMessage:
            continue
        raise AssertionError(body)
