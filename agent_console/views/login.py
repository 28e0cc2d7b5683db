"""登录 / 退出: the login form (double-submit CSRF), rate limiting, session cookie, logout."""
from __future__ import annotations

from aiohttp import web

from agent_console.audit.service import Actor
from agent_console.auth import csrf
from agent_console.auth.access import ANY_ROLE, COOKIE, public, requires
from agent_console.auth.ratelimit import LoginThrottled
from agent_console.context import CONSOLE, actor, live_session
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
    console = request.app[CONSOLE]
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="Strict",
                        secure=console.settings.secure_cookies or request.secure)


@public
async def login_form(request: web.Request) -> web.Response:
    if live_session(request) is not None:
        raise web.HTTPFound(safe_next(request.query.get("next")))
    return _login_page(request)


@public
async def login_submit(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    form = await request.post()
    username = str(form.get("username", ""))[:MAX_FIELD].strip()
    password = str(form.get("password", ""))[:MAX_FIELD]
    next_path = str(form.get("next", ""))
    ip = request.remote or ""
    who = Actor(None, username[:64], ip)
    if not csrf.same(request.cookies.get(csrf.LOGIN_COOKIE), str(form.get("login_token", ""))):
        await console.audit.record(who, "login", "csrf", "denied")
        return _login_page(request, error="页面已过期，请重新输入后登录", username=username, status=403,
                           next_path=next_path)
    if not username or not password:
        return _login_page(request, error="请输入用户名和密码", username=username, status=400,
                           next_path=next_path)
    try:
        console.limiter.check(username, ip)
    except LoginThrottled as exc:
        await console.audit.record(who, "login", "throttled", "denied")
        minutes = max(1, round(exc.retry_after / 60))
        response = _login_page(request, error=f"登录失败次数过多，请 {minutes} 分钟后再试", username=username,
                               status=429, next_path=next_path)
        response.headers["Retry-After"] = str(int(exc.retry_after))
        return response
    user = await request.app[ENGINE].services["accounts"].authenticate(username, password)
    if user is None:
        console.limiter.failed(username, ip)
        await console.audit.record(who, "login", "", "failed")
        return _login_page(request, error="用户名或密码错误", username=username, status=401,
                           next_path=next_path)
    console.limiter.succeeded(username)
    token, _ = await console.sessions.create(user, ip)
    await console.audit.record(Actor(user.id, user.username, ip), "login")
    response = web.HTTPFound(safe_next(next_path))
    _set_cookie(request, response, COOKIE, token, max_age=console.sessions.max_age)
    response.del_cookie(csrf.LOGIN_COOKIE, path="/")
    raise response


@requires(*ANY_ROLE)
async def logout(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    await console.audit.record(actor(request), "logout")
    token = request.cookies.get(COOKIE)
    if token and console.hub is not None:
        await console.hub.end_session(console.sessions.session_id(token))
    await console.sessions.destroy(token)
    response = web.HTTPFound("/login")
    response.del_cookie(COOKIE, path="/")
    raise response
