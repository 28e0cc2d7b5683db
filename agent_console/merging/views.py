"""并单 routes. A supervisor (the center's dispatcher) merges a duplicate into a main ticket;
the agent writing a ticket asks which open tickets look like it. The suggestions are reached
through the agent's own ticket (the access rule), and the caller is that ticket's, never a
number the browser sends, so nobody lists another caller's tickets by guessing numbers."""
from __future__ import annotations

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, form_text, json_error, step_done
from agent_console.ticketdesk.errors import chinese
from agent_console.ticketdesk.views import guarded_ticket
from agent_console.ticketdesk.access import TicketForbidden
from hotline.engine import ENGINE
from tickets.errors import TicketError
from tickets.merging import MergeRefused
from tickets.views import format_local

MAX_TEXT = 2000


def _merging(request: web.Request):
    return request.app[ENGINE].services["merging"]


@requires("supervisor")
async def merge(request: web.Request) -> web.Response:
    """POST main=<number>: this ticket ({number}) becomes a duplicate of main; audited."""
    console, number, who = request.app[CONSOLE], request.match_info["number"], actor(request)
    form = await request.post()
    main = form_text(form, "main")
    if main is None:
        return json_error("console.merge.invalid", "请填写主工单编号", 400)
    try:
        await _merging(request).merge(number, main, who.username)
    except MergeRefused as exc:
        await console.audit.record(who, "center.ticket.merge", f"{number} -> {main}", "failed")
        return json_error(exc.error_id, str(exc), 409)
    except TicketError as exc:
        await console.audit.record(who, "center.ticket.merge", f"{number} -> {main}", "failed")
        error_id, message, status = chinese(exc)
        return json_error(error_id, message, status)
    await console.audit.record(who, "center.ticket.merge", f"{number} -> {main}")
    return step_done(request, f"已将 {number} 并入 {main}，办理结果将随主工单", f"/tickets/{main}")


@requires("agent", "supervisor")
async def duplicates(request: web.Request) -> web.Response:
    """GET ?content=<what the agent wrote>&place=<事发地点>: likely duplicates of this ticket."""
    number = request.match_info["number"]
    try:
        ticket = await guarded_ticket(request, number)
    except TicketForbidden as exc:
        return json_error("console.ticket.forbidden", exc.message, 403)
    except TicketError as exc:
        error_id, message, status = chinese(exc)
        return json_error(error_id, message, status)
    content = request.query.get("content", "")[:MAX_TEXT] or ticket.content
    place = request.query.get("place", "")[:64]
    merging = _merging(request)
    found = await merging.suggest(caller=ticket.caller, content=content, place=place, exclude=ticket.number)
    return web.json_response({"ok": True, "window_days": merging.window_days, "suggestions": [
        {"number": s.number, "status": s.status.value, "status_label": s.status.label,
         "created": format_local(s.created_at), "similarity": s.similarity, "same_caller": s.same_caller,
         "excerpt": s.excerpt} for s in found]}, dumps=_dumps)


def _dumps(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_post("/center/tickets/{number}/merge", merge, name="center-ticket-merge")
    router.add_get("/agent/tickets/{number}/duplicates", duplicates, name="agent-ticket-duplicates")
