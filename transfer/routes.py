"""HTTP API of transfers for the console, and `setup_transfer(app)` which wires the service.

POST /transfer/emergency  {"target": "119", "mode": "blind"|"threeway", "summary": "...", "ticket": "..."}
POST /transfer/subcenter  {"line": "12315"} or {"target": "PJSIP/9001"}, "mode": "blind"|"attended"
POST /transfer/{id}/leave the agent leaves the three-way call
GET  /transfer/{id}       one transfer (the agent's own; supervisors any)
GET  /transfer/ledger     the linkage ledger (supervisor)
CSRF is checked by the console middleware for every POST.
"""
from __future__ import annotations

import json
from collections.abc import AsyncIterator

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, json_error, live_session
from hotline.engine import ENGINE

from .agent_calls import AgentCalls
from .errors import TransferError
from .ledger import Ledger
from .service import TransferService
from .settings import TransferSettings

def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


async def _body(request: web.Request) -> dict:
    try:
        data = await request.json()
    except ValueError:
        raise TransferError("transfer.request.bad_json", "请求格式错误", 400) from None
    if not isinstance(data, dict) or not all(isinstance(v, str | None) for v in data.values()):
        raise TransferError("transfer.request.bad_json", "请求格式错误", 400)
    return data


def _service(request: web.Request) -> TransferService:
    service = request.app[ENGINE].services.get("transfers")
    if service is None:
        raise TransferError("transfer.unavailable", "转接服务未启动", 503)
    return service


async def _guarded(request: web.Request, audit_action: str, run) -> web.Response:
    audit = request.app[CONSOLE].audit
    try:
        entry = await run()
    except TransferError as exc:
        if audit is not None:
            await audit.record(actor(request), audit_action, exc.detail[:200], "failed")
        return json_error(exc.error_id, exc.message, exc.status, detail=exc.detail)
    if audit is not None:
        await audit.record(actor(request), audit_action, f"{entry.id} {entry.target} {entry.mode}")
    return web.json_response({"ok": True, "transfer": entry.as_json()}, dumps=_dumps)


@requires("agent")
async def emergency(request: web.Request) -> web.Response:
    async def run():
        body = await _body(request)
        return await _service(request).emergency(live_session(request).user, str(body.get("target") or ""),
                                                 str(body.get("mode") or "blind"), str(body.get("summary") or ""),
                                                 body.get("ticket") or None)
    return await _guarded(request, "transfer.emergency", run)


@requires("agent")
async def subcenter(request: web.Request) -> web.Response:
    async def run():
        body = await _body(request)
        return await _service(request).subcenter(live_session(request).user, line=body.get("line") or None,
                                                 target=body.get("target") or None,
                                                 mode=str(body.get("mode") or "attended"),
                                                 summary=str(body.get("summary") or ""), ticket=body.get("ticket") or None)
    return await _guarded(request, "transfer.subcenter", run)


def _entry_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise TransferError("transfer.not_found", "没有这条转接记录", 404, raw[:20])
    return int(raw)


@requires("agent")
async def leave(request: web.Request) -> web.Response:
    async def run():
        return await _service(request).leave(live_session(request).user, _entry_id(request))
    return await _guarded(request, "transfer.leave", run)


@requires("agent", "supervisor")
async def show(request: web.Request) -> web.Response:
    try:
        entry = await _service(request).get(_entry_id(request))
        user = live_session(request).user
        if entry.actor != user.username and "supervisor" not in user.role_set:
            raise TransferError("transfer.not_found", "没有这条转接记录", 404)
    except TransferError as exc:
        return json_error(exc.error_id, exc.message, exc.status)
    return web.json_response({"ok": True, "transfer": entry.as_json()}, dumps=_dumps)


@requires("supervisor")
async def ledger(request: web.Request) -> web.Response:
    kind = request.query.get("kind") or None
    if kind not in (None, "emergency", "subcenter"):
        return json_error("transfer.ledger.bad_kind", "类型只能是 emergency 或 subcenter", 400)
    entries = await _service(request).ledger.list(kind=kind)
    await request.app[CONSOLE].audit.record(actor(request), "transfer.ledger_view", kind or "all")
    return web.json_response({"ok": True, "ledger": [e.as_json() for e in entries]}, dumps=_dumps)


async def transfer_context(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the service follows every AMI client's events from the moment it exists."""
    engine = app[ENGINE]
    service = TransferService(ledger=Ledger(engine.sessions), clients=engine.ami, calls=AgentCalls(),
                              tickets=engine.services.get("tickets"), clock=engine.clock,
                              settings=TransferSettings.from_config(engine.config), lines=engine.services.get("lines"))
    subscriptions = [(client, client.subscribe(service.handle, typed=True, inline=True, name="transfers"))
                     for client in engine.ami.values()]
    service.start()
    engine.services["transfers"] = service
    yield
    for client, sub in subscriptions:
        await client.fanout.unsubscribe(sub)
    await service.aclose()


def setup_transfer(app: web.Application) -> None:
    """Call from hotline.engine.build_app after setup_console: routes plus the service's cleanup context.

    Idempotent, so test harnesses written before build_app called it keep working afterwards.
    """
    if any(getattr(r, "canonical", "") == "/transfer/emergency" for r in app.router.resources()):
        return
    app.cleanup_ctx.append(transfer_context)
    app.router.add_post("/transfer/emergency", emergency)
    app.router.add_post("/transfer/subcenter", subcenter)
    app.router.add_get("/transfer/ledger", ledger)
    app.router.add_post("/transfer/{id}/leave", leave)
    app.router.add_get("/transfer/{id}", show)
