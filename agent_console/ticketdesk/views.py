"""Ticket routes of the agent desk: complete the pop's ticket, departments, wrap-up, and a ticket view."""
from __future__ import annotations

import json

from aiohttp import web

from agent_console.agent.errors import DeskError
from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, json_error, live_session
from hotline.engine import ENGINE
from tickets.errors import TicketError
from tickets.validation import mask_number
from tickets.views import format_local

from .access import TicketAccess, TicketForbidden, Viewer
from .desk import TicketDesk
from .errors import DeskInputError, chinese

AUDIT_STEP = {"register": "ticket.register", "reply": "ticket.reply_direct", "dispatch": "ticket.dispatch"}


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def desk_of(request: web.Request) -> TicketDesk:
    engine = request.app[ENGINE]
    recorder = engine.services.get("recordings")
    return TicketDesk(engine.services["tickets"], engine.sessions, catalogue_of(request), engine.services,
                      link_recordings=recorder.catalogue.link_ticket if recorder is not None else None)


def catalogue_of(request: web.Request):
    """The 派单目录 service (built with the others; made here for apps assembled without it)."""
    from tickets.catalogue import Catalogue

    engine = request.app[ENGINE]
    if "catalogue" not in engine.services:
        engine.services["catalogue"] = Catalogue(engine.sessions, engine.clock)
    return engine.services["catalogue"]


async def _json(request: web.Request) -> dict:
    try:
        data = await request.json()
    except ValueError:
        raise DeskInputError("console.request.bad_json", "请求格式错误") from None
    if not isinstance(data, dict):
        raise DeskInputError("console.request.bad_json", "请求格式错误")
    return data


def access_of(request: web.Request) -> TicketAccess:
    engine, console = request.app[ENGINE], request.app[CONSOLE]
    return TicketAccess(engine.services["tickets"], console.audit, console.pops, engine.sessions)


async def guarded_ticket(request: web.Request, number: str):
    """The ticket, once the access rule allows this user (TicketError if unknown, TicketForbidden if not theirs)."""
    live = live_session(request)
    ticket = await request.app[ENGINE].services["tickets"].get(number)
    viewer = Viewer(live.user.username, frozenset(live.roles), live.user.phone_interface,
                    live.user.department_code)
    await access_of(request).check(ticket, viewer, actor(request))
    return ticket


def ticket_json(t) -> dict:
    return {"number": t.number, "status": t.status.value, "status_label": t.status.label,
            "request_type": t.request_type.label if t.request_type else "", "category": t.category or "",
            "content": t.content or "", "transcript": t.transcript or "", "confidential": t.confidential,
            "reply": t.reply or "", "lead": t.lead_department.name if t.lead_department else "",
            "co": [d.name for d in t.co_departments], "caller_masked": t.caller_masked,
            "created": format_local(t.created_at), "complete_due": format_local(t.complete_due),
            "accept_due": format_local(t.accept_due), "urgency": t.urgency.value, "urgency_label": t.urgency.label,
            "district": t.district or "", "street": t.street or "", "address": t.address or "",
            "caller_name": t.caller_name or "", "contact_masked": mask_number(t.contact_number)}


@requires("agent")
async def complete(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    number = request.match_info["number"]
    who = actor(request)
    step = "register"
    try:
        data = await _json(request)
        step = data.get("then") if data.get("then") in AUDIT_STEP else "register"
        await guarded_ticket(request, number)
        ticket = await desk_of(request).complete(number, who.username, data)
    except TicketForbidden as exc:
        return json_error(exc.error_id, exc.message, exc.status)
    except DeskInputError as exc:
        await console.audit.record(who, AUDIT_STEP[step], number, "failed")
        return json_error(exc.error_id, exc.message, exc.status)
    except TicketError as exc:
        error_id, message, status = chinese(exc)
        await console.audit.record(who, AUDIT_STEP[step], number, "failed")
        return json_error(error_id, message, status)
    await console.audit.record(who, AUDIT_STEP[step], number)
    if console.pops is not None:
        await console.pops.reload_ticket(number)
    return web.json_response({"ok": True, "ticket": ticket_json(ticket)}, dumps=_dumps)


@requires("agent")
async def departments(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "departments": await desk_of(request).departments()}, dumps=_dumps)


@requires("agent", "supervisor")
async def view_ticket(request: web.Request) -> web.Response:
    """One ticket as JSON, for whoever the access rule lets reach it (refusals and confidential reads audited)."""
    try:
        ticket = await guarded_ticket(request, request.match_info["number"])
    except TicketError as exc:
        error_id, message, status = chinese(exc)
        return json_error(error_id, message, status)
    except TicketForbidden as exc:
        return json_error(exc.error_id, exc.message, exc.status)
    return web.json_response({"ok": True, "ticket": ticket_json(ticket)}, dumps=_dumps)


@requires("agent")
async def wrap_up(request: web.Request) -> web.Response:
    """话后处理: QueuePause with its own reason; 示闲 (POST /agent/unpause) ends it."""
    from agent_console.agent.views import desk_for

    console = request.app[CONSOLE]
    user = live_session(request).user
    desk = await desk_for(request)
    try:
        await desk.wrap_up(user)
    except DeskError as exc:
        await console.audit.record(actor(request), "agent.wrap_up", exc.detail, "failed")
        return json_error(exc.error_id, exc.message, exc.status, detail=exc.detail)
    await console.audit.record(actor(request), "agent.wrap_up")
    return web.json_response({"ok": True, "state": desk.state(user)}, dumps=_dumps)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/agent/tickets/{number}/complete", complete, name="agent-ticket-complete")
    router.add_get("/agent/departments", departments, name="agent-departments")
    router.add_post("/agent/wrapup", wrap_up, name="agent-wrapup")
    router.add_get("/tickets/{number}", view_ticket, name="ticket")
    from . import form

    form.add_routes(router)
