"""The citizen's public pages. Every route is `@public`; the forms carry a double-submit CSRF
token (a random cookie echoed in a hidden field, as /login does), since no session exists.

Limits (per client address and per phone number) answer 429 with a Chinese page and Retry-After.
Every query and evaluation is audited (number, result, address), a failed one as denied.
"""
from __future__ import annotations

import logging
import math

from pathlib import Path
import shutil

from aiohttp import web

from agent_console.audit.service import Actor
from agent_console.auth import csrf
from agent_console.auth.access import public
from agent_console.context import CONSOLE, client_ip, secure_cookies

from channels.ratelimit import Busy, Limited

from .attachments import MAX_FILE_BYTES, MAX_FILES, AttachmentRefused, read_multipart
from .context import CITIZEN, render
from .desk import FormError, mobile, parse_submission
from .intake_writer import IntakeUnavailable
from tickets.codes import Evaluation, RequestType

log = logging.getLogger(__name__)
BUSY = "系统繁忙，您的诉求尚未提交，请稍后重试。紧急情况请拨打 12345 热线。"
BUSY_RETRY = 5
COOKIE = "hotline_citizen"
FIELD = "form_token"
NOT_FOUND = "工单编号或查询码不正确，请核对后重试。"
FIELDS = ("request_type", "content", "address", "phone", "name")


def _token(request: web.Request) -> str:
    token = request.cookies.get(COOKIE)
    return token if token and 20 <= len(token) <= 64 else csrf.new_token()


def _page(request: web.Request, name: str, context: dict, *, status: int = 200,
          retry_after: float | None = None) -> web.Response:
    token = _token(request)
    desk = request.app[CITIZEN].desk
    response = render(request, name, {"form_token": token, "log_only": desk.sms_is_log_only,
                                      "request_types": [(t.value, t.label) for t in RequestType],
                                      "evaluations": [(e.value, e.label) for e in Evaluation], **context},
                      status=status)
    response.set_cookie(COOKIE, token, max_age=7200, path="/citizen", httponly=True, samesite="Strict",
                        secure=secure_cookies(request))
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def _wait(seconds: float) -> str:
    return f"{max(1, round(seconds))} 秒" if seconds < 90 else f"{max(1, math.ceil(seconds / 60))} 分钟"


def _who(request: web.Request) -> Actor:
    return Actor(None, "citizen", client_ip(request))


async def _audit(request: web.Request, action: str, target: str, result: str) -> None:
    await request.app[CONSOLE].audit.record(_who(request), action, target, result)


MAX_BODY = 64 * 1024  # the longest form (2000 characters of content) is far below this
MAX_UPLOAD = MAX_FILES * MAX_FILE_BYTES + MAX_BODY
TOO_LARGE = "提交内容过大（上限 64 KB），请精简后重试"
TOO_LARGE_UPLOAD = f"提交内容过大：附件最多 {MAX_FILES} 个，每个不超过 {MAX_FILE_BYTES // (1024 * 1024)} MB"


async def _form(request: web.Request, spool: Path | None = None) -> tuple:
    """The posted form and whether its CSRF token matches; 413/400 in Chinese for oversized or
    malformed bodies (read before anything is stored). A multipart body (the intake form with
    attachments) is streamed; its files are spooled into `spool` (None: files are dropped)."""
    multipart = request.content_type == "multipart/form-data"
    if (request.content_length or 0) > (MAX_UPLOAD if multipart else MAX_BODY):
        raise web.HTTPRequestEntityTooLarge(MAX_BODY, request.content_length,
                                            text=TOO_LARGE_UPLOAD if multipart else TOO_LARGE)
    files = []
    try:
        if multipart:
            form, files = await read_multipart(request, spool, keep_files=spool is not None)
        else:
            form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise web.HTTPRequestEntityTooLarge(MAX_BODY, MAX_BODY + 1, text=TOO_LARGE) from None
    except (ValueError, UnicodeDecodeError, AssertionError) as exc:
        if isinstance(exc, AttachmentRefused):
            raise
        raise web.HTTPBadRequest(text="提交格式错误，请刷新页面后重试") from None
    ok = csrf.same(request.cookies.get(COOKIE), str(form.get(FIELD, "")))
    return form, ok, files


def _values(form) -> dict:
    return {name: str(form.get(name, ""))[:2100] for name in FIELDS}


@public
async def new_form(request: web.Request) -> web.Response:
    return _page(request, "citizen_new.html", {"values": {}, "error": "", "notice": ""})


@public
async def new_submit(request: web.Request) -> web.Response:
    cap = request.app[CITIZEN]
    try:  # an address already over its allowance is refused before its (maybe 15 MB) body is read
        cap.limits["submit_ip"].check(client_ip(request))
    except Limited as exc:
        await _audit(request, "citizen.throttled", "submit", "denied")
        return _page(request, "citizen_new.html", {"values": {}, "error": f"操作过于频繁，请 {_wait(exc.retry_after)}后再试",
                                                   "notice": ""}, status=429, retry_after=exc.retry_after)
    try:
        with cap.in_flight:
            # a spool directory only for a body that can carry files (two file-system calls on the loop less)
            spool = cap.desk.attachments.spool() if request.content_type == "multipart/form-data" else None
            try:
                return await _new_submit(request, cap, spool)
            finally:
                if spool is not None:
                    shutil.rmtree(spool, ignore_errors=True)  # kept files were moved out; refused ones go
    except Busy:
        if cap.in_flight.refused == 1 or cap.in_flight.refused % 100 == 0:  # a flood must not also flood the log
            log.warning("citizen.busy: %d submissions in flight, refused (%d so far)", cap.in_flight.now,
                        cap.in_flight.refused)
        return _page(request, "citizen_new.html", {"values": {}, "error": BUSY, "notice": ""}, status=503,
                     retry_after=BUSY_RETRY)


async def _new_submit(request: web.Request, cap, spool: Path | None) -> web.Response:
    try:
        form, ok, files = await _form(request, spool)
    except AttachmentRefused as exc:
        return _page(request, "citizen_new.html", {"values": {}, "error": exc.message + "，请重新填写提交",
                                                   "notice": ""}, status=exc.status)
    values = _values(form)
    if not ok:
        await _audit(request, "citizen.submit", "csrf", "denied")
        return _page(request, "citizen_new.html", {"values": values, "error": "页面已过期，请重新提交",
                                                   "notice": ""}, status=403)
    ip = client_ip(request)

    def again(error: str, status: int = 400, notice: str = "", retry_after: float | None = None):
        return _page(request, "citizen_new.html", {"values": values, "error": error, "notice": notice},
                     status=status, retry_after=retry_after)

    try:
        if form.get("action") == "send_code":
            phone = mobile(values["phone"])
            cap.limits["code_ip"].check(ip)
            cap.limits["code_phone"].hit(phone)
            cap.limits["code_ip"].hit(ip)
            sent = await cap.desk.send_code(phone)
            if not sent:
                return again("短信发送失败，请稍后重试", status=503)
            where = ("演示模式：短信未真正发送，验证码已写入服务器日志" if cap.desk.sms_is_log_only
                     else f"验证码已发送至 {phone[:3]}****{phone[-4:]}")
            return again("", status=200, notice=where)
        sub = parse_submission(values)
        cap.limits["submit_ip"].check(ip)
        cap.limits["submit_phone"].check(sub.phone)
        cap.limits["submit_ip"].hit(ip)  # a wrong SMS code counts too: guessing costs the allowance
        number, code = await cap.desk.submit(sub, str(form.get("sms_code", "")), files, ip)  # audited in its batch
        cap.limits["submit_phone"].hit(sub.phone)
    except Limited as exc:
        await _audit(request, "citizen.throttled", "submit", "denied")
        return again(f"操作过于频繁，请 {_wait(exc.retry_after)}后再试", status=429, retry_after=exc.retry_after)
    except FormError as exc:
        return again(exc.message)
    except (IntakeUnavailable, Busy) as exc:  # nothing stored; the form comes back filled, the SMS code still good
        log.info("citizen.submit not stored: %s", exc)  # the writer logs the failed batch once, at ERROR
        return again(BUSY, status=503, retry_after=BUSY_RETRY)
    return _page(request, "citizen_done.html", {"number": number, "code": code, "files": len(files)})


async def _query_values(request: web.Request):
    form, ok, _files = await _form(request)
    return form, ok, str(form.get("number", "")).strip()[:32], str(form.get("code", "")).strip()[:32]


@public
async def query_form(request: web.Request) -> web.Response:
    return _page(request, "citizen_query.html", {"ticket": None, "number": "", "code": "", "error": ""})


async def _limited(request: web.Request, number: str) -> web.Response | None:
    try:
        request.app[CITIZEN].limits["query_ip"].hit(client_ip(request))
    except Limited as exc:
        await _audit(request, "citizen.throttled", f"query {number}", "denied")
        return _page(request, "citizen_query.html", {"ticket": None, "number": number, "code": "",
                                                     "error": f"查询过于频繁，请 {_wait(exc.retry_after)}后再试"},
                     status=429, retry_after=exc.retry_after)
    return None


@public
async def query_submit(request: web.Request) -> web.Response:
    form, ok, number, code = await _query_values(request)
    if not ok:
        return _page(request, "citizen_query.html", {"ticket": None, "number": number, "code": "",
                                                     "error": "页面已过期，请重新查询"}, status=403)
    refused = await _limited(request, number)
    if refused is not None:
        return refused
    ticket = await request.app[CITIZEN].desk.lookup(number, code)
    await _audit(request, "citizen.query", number, "ok" if ticket else "denied")
    if ticket is None:
        return _page(request, "citizen_query.html", {"ticket": None, "number": number, "code": "",
                                                     "error": NOT_FOUND}, status=404)
    return _page(request, "citizen_query.html", {"ticket": ticket, "number": number, "code": code, "error": ""})


@public
async def evaluate(request: web.Request) -> web.Response:
    form, ok, number, code = await _query_values(request)
    if not ok:
        return _page(request, "citizen_query.html", {"ticket": None, "number": number, "code": "",
                                                     "error": "页面已过期，请重新查询"}, status=403)
    refused = await _limited(request, number)
    if refused is not None:
        return refused
    desk = request.app[CITIZEN].desk
    try:
        ticket = await desk.evaluate(number, code, str(form.get("evaluation", "")), str(form.get("note", "")))
    except FormError as exc:
        await _audit(request, "citizen.evaluate", number, "failed")
        return _page(request, "citizen_query.html", {"ticket": await desk.lookup(number, code), "number": number,
                                                     "code": code, "error": exc.message}, status=409)
    await _audit(request, "citizen.evaluate", number, "ok" if ticket else "denied")
    if ticket is None:
        return _page(request, "citizen_query.html", {"ticket": None, "number": number, "code": "",
                                                     "error": NOT_FOUND}, status=404)
    return _page(request, "citizen_query.html", {"ticket": ticket, "number": number, "code": code,
                                                 "error": "", "notice": "感谢您的评价！"})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/citizen/new", new_form)
    router.add_post("/citizen/new", new_submit)
    router.add_get("/citizen/query", query_form)
    router.add_post("/citizen/query", query_submit)
    router.add_post("/citizen/evaluate", evaluate)
