"""延期审核: a department's 申请延期 waits here until a supervisor approves it (the new completion
deadline goes into the ticket's history) or rejects it with a comment."""
from __future__ import annotations

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, form_text, json_error, step_done, wants_json
from agent_console.department.rows import CONFIDENTIAL
from agent_console.render import page
from agent_console.ticketdesk.errors import chinese
from hotline.engine import ENGINE
from tickets.errors import IllegalTransition, TicketError
from tickets.handling import HandlingRefused
from tickets.views import format_local

DONE = {"approved": "已同意延期，新的办结时限已生效", "rejected": "已不同意延期，原办结时限不变"}


def _handling(request: web.Request):
    return request.app[ENGINE].services["handling"]


async def _page(request: web.Request, *, error: str = "", status: int = 200, notice: str = "") -> web.Response:
    items = [{"number": t.number, "type": t.request_type.label if t.request_type else "",
              "content": CONFIDENTIAL if t.confidential else (t.content or "")[:80],
              "department": e.department.name, "by": e.requested_by, "reason": e.reason, "days": e.days,
              "old_due": format_local(e.old_due), "new_due": format_local(e.new_due),
              "at": format_local(e.requested_at)} for e, t in await _handling(request).pending_extensions()]
    return page(request, "center_extensions.html", {"items": items, "error": error, "notice": notice},
                status=status)


@requires("supervisor")
async def extensions_page(request: web.Request) -> web.Response:
    return await _page(request, notice=DONE.get(request.query.get("done", ""), ""))


async def _decide(request: web.Request, approve: bool) -> web.Response:
    console, number, who = request.app[CONSOLE], request.match_info["number"], actor(request)
    audit_action = "center.extension.approve" if approve else "center.extension.reject"
    try:
        form = await request.post()
        comment = form_text(form, "comment")
        if not approve and comment is None:
            raise HandlingRefused("不同意延期需要填写审核意见", 400)
        await _handling(request).decide_extension(number, who.username, approve=approve, comment=comment)
    except TicketError as exc:
        if isinstance(exc, HandlingRefused):
            error_id, message, status = exc.error_id, exc.message, exc.status
        elif isinstance(exc, IllegalTransition):
            error_id, message, status = exc.error_id, "该工单已不在办理中，不能再调整办结时限", 409
        else:
            error_id, message, status = chinese(exc)
        await console.audit.record(who, audit_action, number, "failed")
        if wants_json(request):
            return json_error(error_id, message, status)
        return await _page(request, error=f"{number}：{message}", status=status)
    await console.audit.record(who, audit_action, number)
    done = "approved" if approve else "rejected"
    return step_done(request, DONE[done], f"/center/extensions?done={done}")


@requires("supervisor")
async def approve(request: web.Request) -> web.Response:
    return await _decide(request, True)


@requires("supervisor")
async def reject(request: web.Request) -> web.Response:
    return await _decide(request, False)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/center/extensions", extensions_page, name="center-extensions")
    router.add_post("/center/extensions/{number}/approve", approve, name="center-extension-approve")
    router.add_post("/center/extensions/{number}/reject", reject, name="center-extension-reject")
