"""The partner API's routes under /api/v1: JSON in, JSON out, `Authorization: Bearer <key>`.

The access middleware lets `@bearer` routes through without the console's cookie session and CSRF
(only under /api/v1/, only with a bearer header); `api(scope)` here checks the key and its scope.
Every call is audited as `partner:<code>` (an unknown key as `partner:?`): api.ticket.create,
api.ticket.read (another partner's number: denied, answered 404 like an unknown one),
api.webhook.*, api.auth (wrong key, 401), api.scope (key without the scope, 403).
"""
from __future__ import annotations

import functools
import ipaddress
import json

from aiohttp import web
from yarl import URL

from agent_console.audit.service import Actor
from agent_console.auth.access import bearer, public
from agent_console.context import CONSOLE, client_ip, json_error

from .desk import ApiError
from .directory import Caller
from .openapi import document

PARTNER_API = web.AppKey("partner_api", object)  # channels.partner.PartnerApi


async def _audit(request: web.Request, who: str, action: str, target: str, result: str) -> None:
    await request.app[CONSOLE].audit.record(Actor(None, who, client_ip(request)), action, target[:200], result)


def _error(exc: ApiError) -> web.Response:
    extra = {"field": exc.field} if exc.field else {}
    return json_error(exc.code, exc.message, exc.status, **extra)


def api(scope: str, action: str):
    """Authenticate the bearer key, require `scope`, answer ApiError as JSON."""
    def wrap(handler):
        @functools.wraps(handler)
        async def run(request: web.Request) -> web.StreamResponse:
            cap = request.app[PARTNER_API]
            key = request.headers.get("Authorization", "").partition(" ")[2].strip()
            caller = await cap.directory.authenticate(key)
            where = f"{request.method} {request.path}"
            if caller is None:
                await _audit(request, "partner:?", "api.auth", where, "denied")
                response = json_error("api.unauthorized", "API 密钥无效或已吊销", 401)
                response.headers["WWW-Authenticate"] = 'Bearer realm="12345", error="invalid_token"'
                return response
            if scope not in caller.scopes:
                await _audit(request, caller.actor, "api.scope", f"{where} needs {scope}", "denied")
                return json_error("api.forbidden", f"此 API 密钥没有 {scope} 权限", 403, scope=scope)
            try:
                return await handler(request, caller)
            except ApiError as exc:
                await _audit(request, caller.actor, action, f"{where} {exc.code}", "failed")
                return _error(exc)
        return bearer(run)
    return wrap


async def _json(request: web.Request):
    limit = request.app[PARTNER_API].max_body
    if (request.content_length or 0) > limit:
        raise ApiError(413, "api.too_large", f"请求体过大（上限 {limit // 1024} KB）")
    if request.content_type != "application/json":
        raise ApiError(415, "api.media_type", "请求体应为 application/json")
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise ApiError(413, "api.too_large", f"请求体过大（上限 {limit // 1024} KB）")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "api.malformed", "请求体不是合法的 JSON") from None


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 128 or not all(33 <= ord(c) < 127 for c in key):
        raise ApiError(400, "api.idempotency.invalid", "Idempotency-Key 应为 1–128 个可见 ASCII 字符",
                       "Idempotency-Key")
    return key


@api("tickets:create", "api.ticket.create")
async def ticket_create(request: web.Request, caller: Caller) -> web.Response:
    cap = request.app[PARTNER_API]
    key = _idempotency_key(request)
    ticket, created = await cap.desk.create(caller, await _json(request), key)
    await _audit(request, caller.actor, "api.ticket.create", f"{ticket['number']} {'new' if created else 'replayed'}",
                 "ok")
    response = web.json_response(ticket, status=201 if created else 200, dumps=_dumps)
    response.headers["Location"] = f"/api/v1/tickets/{ticket['number']}"
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@api("tickets:read", "api.ticket.read")
async def ticket_read(request: web.Request, caller: Caller) -> web.Response:
    number = request.match_info["number"]
    plausible = number.isascii() and number.isdigit() and len(number) <= 14
    ticket = await request.app[PARTNER_API].desk.read(caller, number) if plausible else None
    await _audit(request, caller.actor, "api.ticket.read", number, "ok" if ticket else "denied")
    if ticket is None:
        return json_error("api.not_found", "没有这个工单", 404)
    return web.json_response(ticket, dumps=_dumps)


@api("webhooks", "api.webhook.read")
async def webhook_get(request: web.Request, caller: Caller) -> web.Response:
    url, has_secret = await request.app[PARTNER_API].directory.webhook(caller.partner_id)
    await _audit(request, caller.actor, "api.webhook.read", "", "ok")
    return web.json_response({"url": url, "has_secret": has_secret})


def check_url(text, allow_insecure: bool) -> str:
    if not isinstance(text, str) or not text.strip() or len(text) > 512:
        raise ApiError(422, "api.invalid", "url 应为不超过 512 个字符的 https 地址", "url")
    try:
        url = URL(text.strip())
    except ValueError:
        raise ApiError(422, "api.invalid", "url 格式错误", "url") from None
    if url.scheme not in ("https", "http") or not url.host or url.user or url.password or url.fragment:
        raise ApiError(422, "api.invalid", "url 应为 https://host/path 形式", "url")
    if not allow_insecure:
        if url.scheme != "https":
            raise ApiError(422, "api.invalid", "生产环境的 webhook 地址必须使用 https", "url")
        try:
            ip = ipaddress.ip_address(url.host)
        except ValueError:
            ip = None
        if url.host == "localhost" or (ip is not None and not ip.is_global):
            raise ApiError(422, "api.invalid", "webhook 地址不能指向本机或内网地址", "url")
    return str(url)


@api("webhooks", "api.webhook.register")
async def webhook_put(request: web.Request, caller: Caller) -> web.Response:
    cap = request.app[PARTNER_API]
    body = await _json(request)
    if not isinstance(body, dict) or set(body) - {"url", "rotate_secret"}:
        raise ApiError(422, "api.invalid", "请求体应为 {\"url\", \"rotate_secret\"}")
    url = check_url(body.get("url"), cap.allow_insecure)
    secret = await cap.directory.set_webhook(caller.partner_id, url, rotate=body.get("rotate_secret") is True)
    await _audit(request, caller.actor, "api.webhook.register", url, "ok")
    out = {"url": url, "has_secret": True}
    if secret is not None:
        out["secret"] = secret  # shown once: the partner checks X-Hotline-Signature with it
    return web.json_response(out)


@api("webhooks", "api.webhook.delete")
async def webhook_delete(request: web.Request, caller: Caller) -> web.Response:
    await request.app[PARTNER_API].directory.set_webhook(caller.partner_id, None)
    await _audit(request, caller.actor, "api.webhook.delete", "", "ok")
    return web.json_response({"url": None})


@public
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document(), dumps=_dumps)


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


ROUTES = (
    ("GET", "/api/v1/openapi.json", openapi),
    ("POST", "/api/v1/tickets", ticket_create),
    ("GET", "/api/v1/tickets/{number}", ticket_read),
    ("GET", "/api/v1/webhook", webhook_get),
    ("PUT", "/api/v1/webhook", webhook_put),
    ("DELETE", "/api/v1/webhook", webhook_delete),
)


def add_routes(router: web.UrlDispatcher) -> None:
    for method, path, handler in ROUTES:
        router.add_route(method, path, handler)
