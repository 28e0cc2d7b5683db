"""The pop's own endpoints: the pop as JSON, the full number on click (audited), its audio, dismiss.

The pop itself reaches the page inside the desk's websocket message (`pop`), see agent/views.py.
"""
from __future__ import annotations

from pathlib import Path

from aiohttp import web

from agent_console.audit.service import VIEW_CALLER_NUMBER, VIEW_RECORDING
from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, json_error, live_session
from agent_console.screenpop.pops import callable_number
from hotline.engine import ENGINE
from tickets.validation import mask_number


def _my_pop(request: web.Request):
    pops = request.app[CONSOLE].pops
    user = live_session(request).user
    pop = pops.pop_of(user.phone_interface) if pops is not None else None
    if pop is None or pop.linkedid != request.match_info["linkedid"]:
        return None
    return pop


def _dumps(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)


@requires("agent")
async def current_pop(request: web.Request) -> web.Response:
    pops = request.app[CONSOLE].pops
    view = pops.view(live_session(request).user.phone_interface) if pops is not None else None
    return web.json_response({"ok": True, "pop": view}, dumps=_dumps)


@requires("agent")
async def reveal_number(request: web.Request) -> web.Response:
    pop = _my_pop(request)
    if pop is None:
        return json_error("console.pop.not_found", "这通来电已不在您的弹屏中", 404)
    number = callable_number(pop.caller)
    if number is None:
        return json_error("console.pop.no_number", "来电未显示号码", 404)
    await request.app[CONSOLE].audit.record(actor(request), VIEW_CALLER_NUMBER,
                                            f"call {pop.linkedid} {mask_number(number)}")
    return web.json_response({"ok": True, "number": number}, dumps=_dumps)


@requires("agent")
async def dismiss(request: web.Request) -> web.Response:
    pops = request.app[CONSOLE].pops
    if pops is None or not pops.dismiss(live_session(request).user.phone_interface, request.match_info["linkedid"]):
        return json_error("console.pop.not_found", "这通来电已不在您的弹屏中", 404)
    return web.json_response({"ok": True})


@requires("agent")
async def draft(request: web.Request) -> web.Response:
    """登记 on a call without an IVR draft: the agent's draft for this call (idempotent)."""
    from agent_console.ticketdesk.views import ticket_json

    console = request.app[CONSOLE]
    who = actor(request)
    ticket = await console.pops.ensure_draft(live_session(request).user.phone_interface,
                                             request.match_info["linkedid"], who.username)
    if ticket is None:
        return json_error("console.pop.not_found", "这通来电已不在您的弹屏中", 404)
    await console.audit.record(who, "ticket.draft", ticket.number)
    return web.json_response({"ok": True, "ticket": ticket_json(ticket)}, dumps=_dumps)


def allowed_audio(config, audio_ref: str) -> Path | None:
    """Only files under the intake or recordings directories, never an arbitrary path from the database."""
    roots = [Path(config.ivr.intake_dir).resolve(), Path(config.recordings.directory).resolve()]
    for candidate in (Path(audio_ref), Path(audio_ref + ".wav")):
        path = candidate.resolve()
        if path.is_file() and any(path.is_relative_to(root) for root in roots):
            return path
    return None


@requires("agent")
async def pop_audio(request: web.Request) -> web.StreamResponse:
    pop = _my_pop(request)
    ticket = pop.ticket if pop is not None else None
    if ticket is None or not ticket.audio_ref:
        return json_error("console.pop.no_audio", "这通来电没有录音", 404)
    path = allowed_audio(request.app[ENGINE].config, ticket.audio_ref)
    audit = request.app[CONSOLE].audit
    if path is None:
        await audit.record(actor(request), VIEW_RECORDING, f"ticket {ticket.number}", "failed")
        return json_error("console.pop.no_audio", "录音文件不存在或不在录音目录中", 404)
    await audit.record(actor(request), VIEW_RECORDING, f"ticket {ticket.number}")
    return web.FileResponse(path, headers={"Content-Type": "audio/wav", "Cache-Control": "no-store"})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/agent/pop", current_pop, name="agent-pop")
    router.add_post("/agent/pop/{linkedid}/number", reveal_number, name="agent-pop-number")
    router.add_post("/agent/pop/{linkedid}/dismiss", dismiss, name="agent-pop-dismiss")
    router.add_post("/agent/pop/{linkedid}/draft", draft, name="agent-pop-draft")
    router.add_get("/agent/pop/{linkedid}/audio", pop_audio, name="agent-pop-audio")
