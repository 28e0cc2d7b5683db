"""Every console route declares who may use it; one middleware enforces it (fail closed).

``@requires("agent")`` lets anyone holding that role in (a person may hold several),
``@requires(*ANY_ROLE)`` any signed-in person, ``@public`` everyone. A handler that
declares nothing is refused, so a forgotten declaration cannot open a page.
``@bearer`` marks a partner API route (channels/partner): no cookie session and no CSRF (a
bearer key is not sent by a browser on its own, so there is nothing to forge); allowed only under
BEARER_PREFIX, and a request without ``Authorization: Bearer`` is refused here, before the handler,
which then checks the key and its scope.
"""
from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from agent_console.accounts.models import ROLES
from agent_console.audit.service import ACCESS_FORBIDDEN, CSRF_REFUSED
from agent_console.auth import csrf
from agent_console.auth.transport import COOKIE

__all__ = ["ANY_ROLE", "BEARER", "COOKIE", "PUBLIC", "access_middleware", "bearer", "public", "requires"]
log = logging.getLogger(__name__)

ANY_ROLE = ROLES
PUBLIC = frozenset({"*public*"})
BEARER = frozenset({"*bearer*"})
BEARER_PREFIX = "/api/v1/"
ATTR = "console_roles"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                               "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def requires(*roles: str):
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise ValueError(f"requires(): expected roles from {ROLES}, got {roles}")

    def mark(handler):
        setattr(handler, ATTR, frozenset(roles))
        return handler
    return mark


def public(handler):
    setattr(handler, ATTR, PUBLIC)
    return handler


def bearer(handler):
    setattr(handler, ATTR, BEARER)
    return handler


def declared_roles(handler) -> frozenset[str] | None:
    return getattr(handler, ATTR, None)


def _route_roles(request: web.Request, public_paths: tuple[str, ...]) -> frozenset[str] | None:
    if request.path in public_paths or request.path.startswith("/static/"):
        return PUBLIC
    return declared_roles(request.match_info.route.handler)


@web.middleware
async def access_middleware(request: web.Request, handler):
    from agent_console.context import CONSOLE, SESSION, actor, is_https, json_error, session_token, wants_json
    from agent_console.render import page

    console = request.app[CONSOLE]
    hsts = is_https(request)
    if request.match_info.http_exception is not None or request.path.startswith("/static/"):
        return _secured(await handler(request), hsts)  # 404/405 and static files: nothing to protect
    roles = _route_roles(request, console.settings.public_paths)
    if roles is BEARER:
        return _secured(await _bearer_only(request, handler, console), hsts)
    request[SESSION] = await console.sessions.load(session_token(request)) if console.sessions else None
    if roles is None:
        log.error("route %s %s declares no roles: refused", request.method, request.path)
        roles = frozenset()
    if roles is not PUBLIC:
        live = request[SESSION]
        if live is None:
            if wants_json(request) or request.method not in csrf.SAFE_METHODS:
                return _secured(json_error("console.session.expired", "登录已过期，请重新登录", 401, login="/login"))
            raise web.HTTPFound(f"/login?next={quote(request.path_qs, safe='/')}")
        if not roles & live.roles:
            await console.audit.record(actor(request), ACCESS_FORBIDDEN, f"{request.method} {request.path}",
                                       "denied")
            if wants_json(request):
                return _secured(json_error("console.access.forbidden", "没有权限访问此功能", 403))
            return _secured(page(request, "forbidden.html", {"path": request.path}, status=403))
        try:
            await csrf.check(request, live.csrf_token)
        except csrf.CsrfRefused:
            await console.audit.record(actor(request), CSRF_REFUSED, f"{request.method} {request.path}", "denied")
            return _secured(json_error("console.csrf.refused", "请求校验失败（CSRF），请刷新页面后重试", 403), hsts)
        if live.password_expired and request.path not in PASSWORD_EXPIRED_PATHS:
            if wants_json(request) or request.method not in csrf.SAFE_METHODS:
                return _secured(json_error("console.password.expired", "密码已过期，请先修改密码", 403,
                                           location="/account/password"), hsts)
            raise web.HTTPFound("/account/password")
    return _secured(await handler(request), hsts)


async def _bearer_only(request: web.Request, handler, console) -> web.StreamResponse:
    """A bearer route: never the cookie session, never CSRF; outside /api/v1/ a misdeclared route."""
    from agent_console.audit.service import Actor
    from agent_console.context import SESSION, client_ip, json_error

    request[SESSION] = None  # a console cookie sent along grants nothing here
    if not request.path.startswith(BEARER_PREFIX):
        log.error("bearer route %s %s outside %s: refused", request.method, request.path, BEARER_PREFIX)
        return json_error("console.access.forbidden", "没有权限访问此功能", 403)
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        await console.audit.record(Actor(None, "partner:?", client_ip(request)), "api.auth",
                                   f"{request.method} {request.path} no bearer key", "denied")
        response = json_error("api.unauthorized", "缺少或无效的 API 密钥（Authorization: Bearer <key>）", 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="12345"'
        return response
    return await handler(request)


PASSWORD_EXPIRED_PATHS = frozenset({"/account/password", "/logout"})  # all an expired password may reach


def _secured(response: web.StreamResponse, hsts: bool = False) -> web.StreamResponse:
    if response.prepared:  # a websocket or stream: its headers are already on the wire
        return response
    if hsts:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.content_type == "text/html" or response.content_type == "application/json":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
