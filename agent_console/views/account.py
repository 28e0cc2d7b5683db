"""修改密码: a signed-in person changes their own password (also where an expired password sends them).

The current password is checked like a login (reserved with the limiter first, in the bounded
hash pool); the new one must pass the policy. Afterwards every other session of the person
ends and their open pages close; this session stays.
"""
from __future__ import annotations

from aiohttp import web

from agent_console.accounts.hashing import HashingBusy
from agent_console.auth.gate import LoginBusy
from agent_console.accounts.policy import MAX_LENGTH, WeakPassword
from agent_console.auth import revocation
from agent_console.auth.access import ANY_ROLE, requires
from agent_console.auth.ratelimit import LoginThrottled
from agent_console.context import CONSOLE, actor, client_ip, live_session, session_token
from agent_console.render import page
from hotline.engine import ENGINE

ACTION = "account.password"
BUSY = "轮候人数过多，请稍后再试（密码未修改）"


def _page(request: web.Request, *, error: str = "", saved: bool = False, status: int = 200) -> web.Response:
    live = live_session(request)
    policy = request.app[ENGINE].services["accounts"].policy
    return page(request, "account_password.html", {
        "error": error, "saved": saved, "expired": live.password_expired and not saved, "policy": policy,
        "policy_text": policy.describe()}, status=status)


@requires(*ANY_ROLE)
async def password_form(request: web.Request) -> web.Response:
    return _page(request)


@requires(*ANY_ROLE)
async def change_password(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    user = live_session(request).user
    form = await request.post()
    current, new, confirm = (str(form.get(k, ""))[:MAX_LENGTH + 1] for k in ("current", "new", "confirm"))
    if not current or not new:
        return _page(request, error="请填写当前密码和新密码", status=400)
    if new != confirm:
        return _page(request, error="两次输入的新密码不一致", status=400)
    try:
        attempt = console.limiter.reserve(user.username, client_ip(request))
        await attempt.confirm()
    except LoginThrottled:
        await console.audit.record(actor(request), ACTION, "throttled", "denied")
        return _page(request, error="当前密码错误次数过多，请稍后再试", status=429)
    try:
        async with console.login_gate.admitted():  # the same bounded queue as logins: a flood waits or gets 429
            refused = await _check_and_set(request, attempt, user, current, new)
    except LoginBusy:
        await attempt.cancelled()
        refused = _busy(request)
    if refused is not None:
        return refused
    keep = console.sessions.session_id(session_token(request))
    ended = await console.revoker.revoke(user, revocation.PASSWORD_CHANGED, keep_session=keep)
    await console.audit.record(actor(request), ACTION, ended.summary())
    return _page(request, saved=True)


async def _check_and_set(request: web.Request, attempt, user, current: str, new: str) -> web.Response | None:
    """The current password verified, the new one stored; a response when refused, else None."""
    console, accounts = request.app[CONSOLE], request.app[ENGINE].services["accounts"]
    try:
        verified = await accounts.authenticate(user.username, current)
    except HashingBusy:
        await attempt.cancelled()
        return _busy(request)
    if verified is None:
        await attempt.failed()
        await console.audit.record(actor(request), ACTION, "wrong current password", "failed")
        return _page(request, error="当前密码错误", status=403)
    await attempt.succeeded()
    try:
        await accounts.set_password(user.username, new)
    except WeakPassword as exc:
        await console.audit.record(actor(request), ACTION, "policy", "failed")
        return _page(request, error=str(exc), status=400)
    except HashingBusy:
        return _busy(request)
    return None


def _busy(request: web.Request) -> web.Response:
    """As a login does when its queue is full: 429, try again shortly; nothing was changed."""
    response = _page(request, error=BUSY, status=429)
    response.headers["Retry-After"] = "5"
    return response


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/account/password", password_form, name="account-password")
    router.add_post("/account/password", change_password)
