"""登录 / 退出: the login form (double-submit CSRF), rate limiting, session cookie, logout.

Order matters: the attempt is reserved with the limiter before the password is verified (so
parallel guesses count); then the login gate admits a few at a time and queues a few more, and
the rest get 429 "轮候登录人数过多" at once, before any database work or hash; the check itself
runs in the accounts' bounded hash pool. A flood waits or is refused instead of taking the
event loop and the CPU from the IVR.
"""
from __future__ import annotations

import math

from aiohttp import web

from agent_console.accounts.hashing import HashingBusy
from agent_console.audit.service import Actor
from agent_console.auth import csrf
from agent_console.auth.gate import LoginBusy
from agent_console.auth.access import ANY_ROLE, public, requires
from agent_console.auth.ratelimit import LoginThrottled
from agent_console.auth.transport import COOKIE, SECURE_COOKIE, session_cookie_name
from agent_console.context import CONSOLE, actor, client_ip, live_session, secure_cookies, session_token
from agent_console.render import page
from hotline.engine import ENGINE

MAX_FIELD = 256


def safe_next(target: str | None) -> str:
    """Only paths on this site: no scheme, no //host, no backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or len(target) > 512:
        return "/"
    return target


def _login_page(request: web.Request, *, error: str = "", username: str = "", status: int = 200,
                next_path: str | None = None) -> web.Response:
    token = csrf.new_token()
    response = page(request, "login.html", {"error": error, "username": username, "login_token": token,
                                            "next": safe_next(next_path or request.query.get("next"))},
                    status=status)
    _set_cookie(request, response, csrf.LOGIN_COOKIE, token, max_age=3600)
    return response


def _set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Strict",
                        secure=secure_cookies(request))


def _wait_text(seconds: float) -> str:
    return f"{max(1, round(seconds))} 秒" if seconds < 90 else f"{max(1, round(seconds / 60))} 分钟"


QUEUE_FULL = "轮候登录人数过多，请稍后再试"
RETRY_AFTER = "5"  # seconds a refused browser is asked to wait before trying again


def _busy(request: web.Request, username: str = "", next_path: str | None = None) -> web.Response:
    """The hash pool gave no turn within its wait: the form again, the name kept."""
    response = _login_page(request, error=QUEUE_FULL, username=username, status=429, next_path=next_path)
    response.headers["Retry-After"] = RETRY_AFTER
    return response


# Refused at the gate: fixed bytes, no template and no database, so a flood's refusals cost little.
BUSY_PAGE = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>请稍后再试 · 12345 热线</title>'
             f'</head><body><p role="alert">{QUEUE_FULL}。</p><p><a href="/login">返回登录</a></p>'
             '</body></html>').encode()
BUSY_AUDIT_EVERY = 10.0  # seconds: one audit row counting the gate's refusals, not one per refusal


def _gate_busy(request: web.Request) -> web.Response:
    return web.Response(body=BUSY_PAGE, status=429, content_type="text/html", charset="utf-8",
                        headers={"Retry-After": RETRY_AFTER})


async def _audit_gate(request: web.Request) -> None:
    console = request.app[CONSOLE]
    gate, now = console.login_gate, request.app[ENGINE].clock().timestamp()
    if now - gate.audited_at >= BUSY_AUDIT_EVERY:
        count, gate.audited_at, gate.audited_count = gate.refused - gate.audited_count, now, gate.refused
        await console.audit.record(Actor(None, "", client_ip(request)), "login", f"busy x{count}", "denied")


@public
async def login_form(request: web.Request) -> web.Response:
    if live_session(request) is not None:
        raise web.HTTPFound(safe_next(request.query.get("next")))
    try:
        async with request.app[CONSOLE].login_gate.admitted():
            return _login_page(request)
    except LoginBusy:
        return _gate_busy(request)


@public
async def login_submit(request: web.Request) -> web.Response:
    """Cheap checks and the limiter's reservation first (so parallel guesses get 429 at once),
    then, admitted by the gate, the password check and the session."""
    console = request.app[CONSOLE]
    form = await request.post()
    username = str(form.get("username", ""))[:MAX_FIELD].strip()
    password = str(form.get("password", ""))[:MAX_FIELD]
    next_path = str(form.get("next", ""))
    ip = client_ip(request)
    who = Actor(None, username[:64], ip)
    if not csrf.same(request.cookies.get(csrf.LOGIN_COOKIE), str(form.get("login_token", ""))):
        await console.audit.record(who, "login", "csrf", "denied")
        return _login_page(request, error="页面已过期，请重新输入后登录", username=username, status=403,
                           next_path=next_path)
    if not username or not password:
        return _login_page(request, error="请输入用户名和密码", username=username, status=400,
                           next_path=next_path)
    try:
        attempt = console.limiter.reserve(username, ip)  # before the password is looked at
    except LoginThrottled as exc:
        return await _throttled(request, who, exc, username, next_path)
    try:
        async with console.login_gate.admitted():
            try:
                await attempt.confirm()  # every engine's failures (the database), within the gate
            except LoginThrottled as exc:
                return await _throttled(request, who, exc, username, next_path)
            return await _sign_in(request, attempt, username, password, next_path)
    except LoginBusy:
        await attempt.cancelled()
        await _audit_gate(request)
        return _gate_busy(request)


async def _throttled(request: web.Request, who: Actor, exc: LoginThrottled, username: str,
                     next_path: str) -> web.Response:
    await request.app[CONSOLE].audit.record(who, "login", "throttled", "denied")
    response = _login_page(request, error=f"登录失败次数过多，请 {_wait_text(exc.retry_after)}后再试",
                           username=username, status=429, next_path=next_path)
    response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return response


async def _sign_in(request: web.Request, attempt, username: str, password: str, next_path: str) -> web.Response:
    console, ip = request.app[CONSOLE], client_ip(request)
    who = Actor(None, username[:64], ip)
    try:
        user = await request.app[ENGINE].services["accounts"].authenticate(username, password)
    except HashingBusy:
        await attempt.cancelled()
        await console.audit.record(who, "login", "busy", "denied")
        return _busy(request, username, next_path)
    except BaseException:
        await attempt.cancelled()
        raise
    if user is None:
        await attempt.failed()
        await console.audit.record(who, "login", "", "failed")
        return _login_page(request, error="用户名或密码错误", username=username, status=401,
                           next_path=next_path)
    await attempt.succeeded()
    token, _ = await console.sessions.create(user, ip)
    await console.audit.record(Actor(user.id, user.username, ip), "login")
    response = web.HTTPFound(safe_next(next_path))
    set_session_cookie(request, response, token)
    response.del_cookie(csrf.LOGIN_COOKIE, path="/")
    raise response


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    """`__Host-hotline_session`, Secure, over TLS (or always in production); `hotline_session` on plain HTTP."""
    _set_cookie(request, response, session_cookie_name(secure_cookies(request)), token,
                max_age=request.app[CONSOLE].sessions.max_age)


async def _leave_queues(request: web.Request) -> None:
    """Logging out signs the agent's phone out of its queues; a switch that cannot be reached is
    audited and never keeps the person logged in."""
    from agent_console.agent.views import desk_for

    live = live_session(request)
    if live is None or "agent" not in live.roles or not live.user.phone_interface:
        return
    desk = await desk_for(request)
    left, failed = await desk.leave_all(live.user)
    audit = request.app[CONSOLE].audit
    for queue in left:
        await audit.record(actor(request), "agent.queue_leave", f"{queue} logout")
    for queue in failed:
        await audit.record(actor(request), "agent.queue_leave", f"{queue} logout", "failed")


@requires(*ANY_ROLE)
async def logout(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    await _leave_queues(request)
    await console.audit.record(actor(request), "logout")
    token = session_token(request)
    if token and console.hub is not None:
        await console.hub.end_session(console.sessions.session_id(token))
    await console.sessions.destroy(token)
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    if secure_cookies(request):
        response.del_cookie(SECURE_COOKIE, path="/", secure=True)
    raise response
