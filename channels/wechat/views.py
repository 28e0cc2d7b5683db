"""/wechat: the official account's server URL (服务器地址). `@public` — the platform signs every
request instead (signature over token, timestamp, nonce), which is checked before the body is read.

GET answers the platform's verification with `echostr`. POST takes a text or image message into
the citizen's draft and answers with a passive reply naming the ticket number. A bad signature is
403 (so is a timestamp more than [wechat] max_age_seconds from our clock: in plaintext mode the
signature does not cover the body, a captured query string must not stay usable), a malformed body 400, an oversized one 413, all with nothing stored; other message types
(voice, events other than subscribe, which is welcomed) get the documented "success" (no reply).

Safe mode (`encrypt_type=aes`): the body's <Encrypt> must carry a valid `msg_signature`, decrypt with
the EncodingAESKey and name our AppID (crypto.py); the reply is encrypted the same way. A push that
cannot be decrypted is 400, one with a wrong msg_signature or another AppID 403, nothing stored.
"""
from __future__ import annotations

import logging

from aiohttp import web

from agent_console.audit.service import Actor
from agent_console.auth.access import public
from agent_console.context import CONSOLE, client_ip
from channels.ratelimit import Limited

from .context import WECHAT
from .crypto import CryptoRefused, msg_signature, msg_signed
from .protocol import MAX_BODY, MalformedMessage, encrypted, encrypted_reply, fresh, parse, signed, text_reply

log = logging.getLogger(__name__)
NOT_CONFIGURED = "微信公众号接入未配置（[wechat] token）"
WELCOME = ("欢迎关注 12345 政务服务便民热线！直接发送文字或图片即可反映诉求，我们将生成工单并回复工单编号。"
           "紧急情况请拨打 110、119、120。")


def _signed(request: web.Request) -> bool:
    token = request.app[WECHAT].token()
    if not token:
        raise web.HTTPNotFound(text=NOT_CONFIGURED)
    q, cap = request.query, request.app[WECHAT]
    if not signed(token, q.get("timestamp"), q.get("nonce"), q.get("signature")):
        log.warning("wechat push with a bad signature from %s", client_ip(request))
        return False
    if not fresh(q.get("timestamp"), cap.clock().timestamp(), cap.max_age_seconds):
        log.warning("wechat push with a stale timestamp %s from %s", q.get("timestamp", "")[:16], client_ip(request))
        return False
    return True


@public
async def verify(request: web.Request) -> web.Response:
    if not _signed(request):
        raise web.HTTPForbidden(text="签名校验失败")
    return web.Response(text=request.query.get("echostr", "")[:128], content_type="text/plain")


def _reply(msg, text: str, request: web.Request) -> web.Response:
    cap = request.app[WECHAT]
    now = int(cap.clock().timestamp())
    body = text_reply(msg.from_user, msg.to_user, text, now)
    if request.get(_SAFE):
        nonce = request.query.get("nonce", "")[:32]
        secret = cap.crypto.encrypt(body)
        body = encrypted_reply(secret, msg_signature(cap.token(), str(now), nonce, secret), now, nonce)
    return web.Response(body=body, content_type="application/xml", charset="utf-8")


_SAFE = web.RequestKey("wechat_safe_mode", bool)


def _decrypted(request: web.Request, body: bytes) -> bytes:
    """The plain message of a safe-mode push (web.HTTPException when refused)."""
    cap, q = request.app[WECHAT], request.query
    if cap.crypto is None:
        log.warning("wechat safe-mode push but [wechat] appid/encoding_aes_key are not set")
        raise web.HTTPBadRequest(text="安全模式未配置")
    secret = encrypted(body)
    if not msg_signed(cap.token(), q.get("timestamp"), q.get("nonce"), secret, q.get("msg_signature")):
        log.warning("wechat safe-mode push with a bad msg_signature from %s", client_ip(request))
        raise web.HTTPForbidden(text="签名校验失败")
    try:
        plain = cap.crypto.decrypt(secret)
    except CryptoRefused as exc:
        log.warning("wechat safe-mode push refused from %s: %s", client_ip(request), exc)
        if exc.foreign:
            raise web.HTTPForbidden(text="AppID 不符") from None
        raise web.HTTPBadRequest(text="消息解密失败") from None
    request[_SAFE] = True
    return plain


@public
async def receive(request: web.Request) -> web.Response:
    if not _signed(request):
        raise web.HTTPForbidden(text="签名校验失败")
    if (request.content_length or 0) > MAX_BODY:
        return web.Response(status=413, text="消息过大")  # returned: a raised 413 is reworded for uploads
    body = await request.content.read(MAX_BODY + 1)
    try:
        if request.query.get("encrypt_type") == "aes":
            body = _decrypted(request, body)
        msg = parse(body)
    except MalformedMessage as exc:
        log.info("wechat push refused: %s", exc)
        raise web.HTTPBadRequest(text="消息格式错误") from None
    if msg.msg_type == "event" and msg.event == "subscribe":
        return _reply(msg, WELCOME, request)
    if msg.msg_type not in ("text", "image"):
        return web.Response(text="success", content_type="text/plain")
    cap = request.app[WECHAT]
    try:
        cap.limiter.hit(msg.from_user)
    except Limited:
        return _reply(msg, "您发送的消息过于频繁，请稍后再试。紧急情况请拨打 12345 热线。", request)
    got = await cap.intake.receive(msg)
    if got.new_draft:
        await request.app[CONSOLE].audit.record(Actor(None, "citizen", client_ip(request)), "wechat.draft",
                                                got.number, "ok")
        minutes = max(1, round(cap.intake.window.total_seconds() / 60))
        text = (f"您的诉求已收到，工单编号：{got.number}。工作人员将尽快受理，请保留此编号以便查询。"
                f"{minutes} 分钟内继续发送的文字或图片将补充到同一工单。")
    else:
        text = f"已补充到工单 {got.number}，工作人员受理时将一并查看。"
    return _reply(msg, text, request)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/wechat", verify, name="wechat-verify")
    router.add_post("/wechat", receive, name="wechat-receive")
