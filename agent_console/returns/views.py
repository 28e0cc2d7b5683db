"""派单异议审核: returned tickets wait here until a supervisor re-dispatches them to another
department or rejects the return with a comment (the department must then sign for it again)."""
from __future__ import annotations

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, form_text, json_error, step_done, wants_json
from agent_console.department.rows import CONFIDENTIAL, event_line
from agent_console.render import page
from agent_console.ticketdesk.errors import chinese
from hotline.engine import ENGINE
from tickets.codes import ReturnReason, Status
from tickets.errors import IllegalTransition, TicketError
from tickets.views import format_local

DONE = {"redispatched": "已重新派单", "rejected": "已驳回退单，工单退回原承办单位"}


def _tickets(request: web.Request):
    return request.app[ENGINE].services["tickets"]


async def _page(request: web.Request, *, error: str = "", status: int = 200, notice: str = "") -> web.Response:
    departments = await _tickets(request).list_departments()
    names = {d.code: d.name for d in departments}
    items = []
    for t, event in await _tickets(request).returned():
        detail = event.detail if event else {}
        try:
            reason = ReturnReason(detail.get("reason_code", "other")).label
        except ValueError:
            reason = ""
        items.append({"number": t.number, "type": t.request_type.label if t.request_type else "",
                      "content": CONFIDENTIAL if t.confidential else (t.content or "")[:80],
                      "department": t.lead_department.name if t.lead_department else "",
                      "department_code": t.lead_department.code if t.lead_department else "",
                      "reason": reason, "reason_text": detail.get("reason", ""),
                      "by": event.actor if event else "", "at": format_local(event.at) if event else "",
                      "line": event_line(event, names) if event else None})
    return page(request, "center_returns.html", {"items": items, "departments": departments, "error": error,
                                                 "notice": notice}, status=status)


@requires("supervisor")
async def returns_page(request: web.Request) -> web.Response:
    return await _page(request, notice=DONE.get(request.query.get("done", ""), ""))


async def _decide(request: web.Request, audit_action: str, apply, done: str) -> web.Response:
    console, number, who = request.app[CONSOLE], request.match_info["number"], actor(request)
    try:
        form = await request.post()
        await apply(_tickets(request), number, who.username, form)
    except (TicketError, ValueError) as exc:
        if isinstance(exc, IllegalTransition):
            error_id, message, status = exc.error_id, "该工单已不在待审核状态（可能已被其他班长处理）", 409
        elif isinstance(exc, TicketError):
            error_id, message, status = chinese(exc)
        else:
            error_id, message, status = "console.returns.invalid", str(exc), 400
        await console.audit.record(who, audit_action, number, "failed")
        if wants_json(request):
            return json_error(error_id, message, status)
        return await _page(request, error=f"{number}：{message}", status=status)
    await console.audit.record(who, audit_action, number)
    return step_done(request, DONE[done], f"/center/returns?done={done}")


@requires("supervisor")
async def redispatch(request: web.Request) -> web.Response:
    async def apply(tickets, number, username, form):
        dept = form_text(form, "department")
        if dept is None:
            raise ValueError("请选择新的承办单位")
        ticket = await tickets.get(number)
        if ticket.status is not Status.RETURNED:
            raise IllegalTransition(number, ticket.status.value, "dispatch")
        current = ticket.lead_department
        if current is not None and current.code == dept:
            raise ValueError("请选择其他承办单位；如需退回原单位请使用“驳回退单”")
        await tickets.dispatch(number, dept, [], username, note=form_text(form, "comment"))
    return await _decide(request, "center.return.redispatch", apply, "redispatched")


@requires("supervisor")
async def reject(request: web.Request) -> web.Response:
    async def apply(tickets, number, username, form):
        comment = form_text(form, "comment")
        if comment is None:
            raise ValueError("驳回退单需要填写审核意见")
        await tickets.reject_return(number, comment, username)
    return await _decide(request, "center.return.reject", apply, "rejected")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/center/returns", returns_page, name="center-returns")
    router.add_post("/center/returns/{number}/redispatch", redispatch, name="center-returned-redispatch")
    router.add_post("/center/returns/{number}/reject", reject, name="center-returned-reject")
