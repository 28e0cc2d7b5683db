"""WeChat images are fetched by MediaId (获取临时素材) into the draft's attachments, through the HTTP adapter
against a fake of the platform's API (token + media/get, with an expired token on the first try): a PNG
is kept and downloadable from 网上诉求受理; an oversized one, one that is not an image, and an unknown
MediaId are not stored, and the transcript says why. The platform is answered before any fetch."""
from __future__ import annotations

import asyncio
import re
import struct
import time
import zlib

from aiohttp import web
from aiohttp.test_utils import TestServer

from console_support import MovableClock, SharedClient, login, make_config, running_console
from hotline.engine import ENGINE
from test_channels_wechat import ACCOUNT, OPENID, TOKEN, number_in, push, reply_of
from channels.web.attachments import MAX_FILE_BYTES

APPID, APP_SECRET = "wx5823bf96d3bd56c7", "app-secret-for-tests"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


class FakeWechatApi:
    """The platform's /cgi-bin/token and /cgi-bin/media/get, as documented; the first token has expired."""

    def __init__(self) -> None:
        self.tokens = 0
        self.files = {"media_png": (png(), "image/png"),
                      "media_big": (b"\xff\xd8\xff\xe0" + b"\0" * (MAX_FILE_BYTES + 10), "image/jpeg"),
                      "media_exe": (b"MZ\x90\x00 not a picture", "image/jpeg")}

    async def token(self, request: web.Request) -> web.Response:
        assert (request.query["appid"], request.query["secret"]) == (APPID, APP_SECRET)
        self.tokens += 1
        return web.json_response({"access_token": f"tok{self.tokens}", "expires_in": 7200})

    async def media(self, request: web.Request) -> web.StreamResponse:
        if request.query["access_token"] == "tok1":
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        if request.query["media_id"] == "media_slow":
            await asyncio.sleep(2)
        found = self.files.get(request.query["media_id"])
        if found is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=found[0], content_type=found[1])

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_get("/cgi-bin/media/get", self.media)
        return app


def image(msg_id: str, media_id: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>1348831870</CreateTime><MsgType><![CDATA[image]]></MsgType>"
            f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/mmbiz/{media_id}.jpg]]></PicUrl>"
            f"<MediaId><![CDATA[{media_id}]]></MediaId><MsgId>{msg_id}</MsgId></xml>")


async def test_given_images_when_pushed_then_fetched_by_media_id_checked_and_kept_as_attachments(tmp_path):
    fake = FakeWechatApi()
    api = TestServer(fake.app(), host="127.0.0.1")
    await api.start_server()
    config = make_config(tmp_path)
    config = config.model_copy(update={"wechat": config.wechat.model_copy(update={
        "token": TOKEN, "appid": APPID, "app_secret": APP_SECRET, "api_base": str(api.make_url("")),
        "media_timeout_seconds": 1})})
    try:
        async with running_console(config, MovableClock()) as (app, client):
            tickets = app[ENGINE].services["tickets"]
            number = number_in(await reply_of(await push(client, image("8100000000000001", "media_png"))))
            for i, media_id in enumerate(("media_big", "media_exe", "media_gone"), start=2):
                assert number_in(await reply_of(await push(client, image(f"810000000000000{i}", media_id)))) == number
            started = time.monotonic()
            slow = await reply_of(await push(client, image("8100000000000009", "media_slow")))
            assert number_in(slow) == number and time.monotonic() - started < 0.9, "answered before the fetch"
            from channels.wechat.context import WECHAT

            await app[WECHAT].intake.drain()
            assert fake.tokens == 2, "the expired token was renewed once, then cached"
            ticket = await tickets.get(number)
            assert "media_png" in ticket.transcript and "已存为附件 1" in ticket.transcript
            assert re.search(r"media_big\S* 未保存：超过 5 MB", ticket.transcript)
            assert re.search(r"media_exe\S* 未保存：不是 JPG 或 PNG 图片", ticket.transcript)
            assert "media_gone.jpg 获取失败" in ticket.transcript and "media_slow.jpg 获取失败" in ticket.transcript

            agent = SharedClient(client)
            await login(agent, "agent01")
            listing = await (await agent.get("/center/web")).text()
            links = re.findall(rf"/center/web/{number}/attachments/(\d+)", listing)
            assert links == ["1"], listing[:2000]
            download = await agent.get(f"/center/web/{number}/attachments/1")
            assert download.status == 200 and await download.read() == png()
            assert download.headers["Content-Type"] == "image/png"
            assert "attachment" in download.headers["Content-Disposition"]
            await agent.close()
            stored = sorted(p.name for p in (tmp_path / "citizen" / number).iterdir())
            assert stored == ["1.png"] and not list((tmp_path / "citizen").glob(".fetch-*"))
    finally:
        await api.close()
