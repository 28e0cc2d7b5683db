"""Routes of the 承办单位工作台: server-rendered pages and plain HTML forms (CSRF field in each).

Every step goes through TicketService, which records it in the ticket's history with the user as
actor; the one access rule (ticketdesk/access.py) decides which tickets a department user reaches.
"""
from __future__ import annotations

import re
from urllib.parse import unquote

from aiohttp import web

from agent_console.accounts.models import DEPARTMENT_ROLES
from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, form_text, json_error, live_session, step_done, wants_json
from agent_console.render import page
from agent_console.ticketdesk.access import TicketForbidden
from agent_console.ticketdesk.errors import chinese
from agent_console.ticketdesk.views import guarded_ticket
from hotline.engine import ENGINE
from tickets.inbox import COUNT_CAP
from tickets.attachments import AttachmentRefused
from tickets.codes import Action, ReturnReason, Status
from tickets.errors import IllegalTransition, TicketError, UnknownDepartment, WrongDepartment
from tickets.handling import HandlingRefused, Upload
from tickets.views import format_local

from .rows import RETURN_REASONS, TABS, event_line, row

ROLES = tuple(sorted(DEPARTMENT_ROLES))
NO_DEPARTMENT = "您的账号尚未关联承办单位，请联系系统管理员"
DONE = {"accepted": "已签收，请在办结时限内办理", "replied": "办理结果已提交，等待单位负责人审核",
        "approved": "审核通过，已答复 12345 中心", "rejected_reply": "已退回承办人重新办理",
        "sub_dispatched": "已转派下级单位，本单位仍负责审核答复",
        "sub_accepted": "已签收上级转派的工单，办理结果由上级单位审核后答复 12345 中心", "extension": "延期申请已提交，等待 12345 中心审核",
        "returned": "已退单，等待 12345 中心审核", "co_replied": "协办意见已提交，由主办单位统一答复"}
TAKEN = {Action.ACCEPT: "该工单已被签收（可能是同单位的其他人刚刚签收），无需重复签收",
         Action.REPLY: "该工单当前不在办理中，不能提交办理结果",
         Action.RETURN: "该工单当前状态不能退单",
         Action.CO_REPLY: "主办单位已办结或退单，不能再提交协办意见",
         Action.SUBMIT: "该工单当前不在办理中，不能提交办理结果",
         Action.SUB_DISPATCH: "该工单当前不在办理中，不能转派",
         Action.SUB_ACCEPT: "该工单当前不在办理中，不能签收",
         Action.EXT_REQUEST: "该工单当前不在办理中，不能申请延期",
         Action.REJECT_REPLY: "该工单当前不在办理中，不能退回重办"}
LEAD_ROLE = "department_lead"
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
NOT_HANDLER = "本单位不承办该工单，不能提交办理结果"


class StepRefused(Exception):
    def __init__(self, error_id: str, message: str, status: int) -> None:
        super().__init__(message)
        self.error_id, self.message, self.status = error_id, message, status


def _tickets(request: web.Request):
    return request.app[ENGINE].services["tickets"]


class NoDepartment(Exception):
    """The signed-in department user has no (existing) 承办单位: nothing to show, ask the admin."""


def _department_of(request: web.Request) -> str:
    code = live_session(request).user.department_code
    if not code:
        raise NoDepartment()
    return code


def _no_department(request: web.Request) -> web.Response:
    if wants_json(request):
        return json_error("console.dept.no_department", NO_DEPARTMENT, 403)
    return page(request, "forbidden.html", {"path": request.path, "message": NO_DEPARTMENT}, status=403)


async def _names(request: web.Request) -> dict[str, str]:
    return {d.code: d.name for d in await _tickets(request).list_departments()}


@requires(*ROLES)
async def inbox(request: web.Request) -> web.Response:
    tab = request.query.get("tab", "pending")
    if tab not in dict(TABS):
        tab = "pending"
    now = request.app[ENGINE].clock()
    try:
        code = _department_of(request)
        handling = request.app[ENGINE].services["handling"]
        counts = {key: n if n <= COUNT_CAP else f"{COUNT_CAP}+" for key, n in (await handling.inbox_counts(code)).items()}
        found = await handling.inbox(code, tab)
        passed = await handling.assignments([t.number for t in found])
        rows = [dict(row(t, now, code), assigned=passed[t.number].name if t.number in passed else "",
                     sub=t.number in passed and passed[t.number].code == code) for t in found]
    except (NoDepartment, UnknownDepartment):
        return _no_department(request)
    names = await _names(request)
    return page(request, "dept_inbox.html", {"tabs": TABS, "tab": tab, "counts": counts, "rows": rows,
                                             "department": names.get(code, code)})


async def _ticket_page(request: web.Request, number: str, *, error: str = "", status: int = 200,
                       notice: str = "") -> web.Response:
    code = _department_of(request)
    ticket = await guarded_ticket(request, number)
    names = await _names(request)
    history = [event_line(e, names) for e in await _tickets(request).history(number)]
    lead = ticket.lead_department is not None and ticket.lead_department.code == code
    handling = await request.app[ENGINE].services["handling"].handling(number, code)
    sub = handling.assigned is not None and handling.assigned.code == code
    accepted = ticket.status is Status.ACCEPTED
    is_lead_person = LEAD_ROLE in live_session(request).roles
    ext = handling.extension
    return page(request, "dept_ticket.html", {
        "h": handling, "sub": sub, "rules": request.app[ENGINE].services["handling"].rules,
        "can_submit": (lead or (sub and handling.assigned_accepted_by is not None)) and accepted
                      and handling.pending is None,
        "can_review": lead and accepted and handling.pending is not None and is_lead_person,
        "can_sub_dispatch": lead and accepted and handling.pending is None and bool(handling.sub_units),
        "can_extend": lead and accepted and not (ext and ext.state == "pending"),
        "ext_new_due": format_local(ext.new_due) if ext else "", "ext_old_due": format_local(ext.old_due) if ext else "",
        "t": ticket, "r": row(ticket, request.app[ENGINE].clock(), code), "history": history, "error": error,
        "notice": notice, "reasons": RETURN_REASONS, "department": names.get(code, code),
        "can_accept": (lead and ticket.status is Status.DISPATCHED)
                      or (sub and accepted and handling.assigned_accepted_by is None),
        "can_return": lead and ticket.status in (Status.DISPATCHED, Status.ACCEPTED),
        "can_co_reply": code in {d.code for d in ticket.co_departments}
                        and ticket.status in (Status.DISPATCHED, Status.ACCEPTED)}, status=status)


def _forbidden(request: web.Request, exc: TicketForbidden) -> web.Response:
    if wants_json(request):
        return json_error(exc.error_id, exc.message, exc.status)
    return page(request, "forbidden.html", {"path": request.path, "message": exc.message}, status=403)


@requires(*ROLES)
async def ticket_page(request: web.Request) -> web.Response:
    number = request.match_info["number"]
    try:
        return await _ticket_page(request, number, notice=DONE.get(request.query.get("done", ""), ""))
    except NoDepartment:
        return _no_department(request)
    except TicketForbidden as exc:
        return _forbidden(request, exc)
    except TicketError as exc:
        error_id, message, status = chinese(exc)
        return json_error(error_id, message, status) if wants_json(request) else page(
            request, "forbidden.html", {"path": request.path, "message": message}, status=status)


def _refusal(exc: TicketError, action: Action) -> StepRefused:
    if isinstance(exc, HandlingRefused):
        return StepRefused(exc.error_id, exc.message, exc.status)
    if isinstance(exc, WrongDepartment) and action is Action.SUBMIT:
        return StepRefused("console.dept.not_handler", NOT_HANDLER, 403)
    if isinstance(exc, IllegalTransition):
        return StepRefused("console.dept.state_changed", TAKEN.get(action, "该工单的状态已变化，请刷新后重试"), 409)
    if isinstance(exc, WrongDepartment):
        return StepRefused(exc.error_id, "该工单已不由本单位承办", 409)
    error_id, message, status = chinese(exc)
    return StepRefused(error_id, message, status)


async def _step(request: web.Request, action: Action, apply, done: str) -> web.Response:
    """Run one step for the signed-in department: guard, apply, audit; 303 back to the ticket, or
    the ticket page again with the refusal in Chinese (409 when someone else changed it first)."""
    console, number, who = request.app[CONSOLE], request.match_info["number"], actor(request)
    audit_action = f"dept.{action.value}"
    try:
        code = _department_of(request)
        form = await request.post()
        await guarded_ticket(request, number)
        try:
            await apply(_tickets(request), number, code, who.username, form)
        except AttachmentRefused as exc:
            raise StepRefused(exc.error_id, exc.message, 400) from None
        except TicketError as exc:
            raise _refusal(exc, action) from None
    except NoDepartment:
        return _no_department(request)
    except TicketForbidden as exc:
        return _forbidden(request, exc)
    except TicketError as exc:  # unknown ticket
        error_id, message, status = chinese(exc)
        return json_error(error_id, message, status)
    except StepRefused as exc:
        await console.audit.record(who, audit_action, number, "denied" if exc.status == 403 else "failed")
        if wants_json(request):
            return json_error(exc.error_id, exc.message, exc.status)
        return await _ticket_page(request, number, error=exc.message, status=exc.status)
    await console.audit.record(who, audit_action, number)
    return step_done(request, DONE[done], f"/dept/tickets/{number}?done={done}")


@requires(*ROLES)
async def accept(request: web.Request) -> web.Response:
    """签收: of what the center dispatched to the department, or of what its parent passed down to it."""
    number = request.match_info["number"]
    try:
        code = _department_of(request)
        assigned = (await _handling(request).handling(number)).assigned
    except (TicketError, NoDepartment):
        assigned = code = None  # the step below answers with the reason
    if assigned is not None and assigned.code == code:
        async def passed_down(tickets, number, dept, username, form):
            await _handling(request).sub_accept(number, dept, username)
        return await _step(request, Action.SUB_ACCEPT, passed_down, "sub_accepted")

    async def apply(tickets, number, dept, username, form):
        await tickets.accept(number, dept, username)
    return await _step(request, Action.ACCEPT, apply, "accepted")


def _file_name(name: str) -> str:
    """Browsers send a UTF-8 file name as is; some clients (aiohttp's) percent-encode it."""
    return unquote(name) if _PERCENT.search(name) else name


def _uploads(form) -> list[Upload]:
    """The files of the reply form (an empty file input posts a nameless part: skipped)."""
    out = []
    for field in form.getall("attachments", []):
        if isinstance(field, web.FileField) and field.filename:
            field.file.seek(0, 2)
            out.append(Upload(_file_name(field.filename), field.file.tell(), field.file))
    return out


@requires(*ROLES)
async def reply(request: web.Request) -> web.Response:
    """办理: result, the contact made with the citizen (方式 + 是否已联系), attachments; to the lead's review."""
    async def apply(tickets, number, dept, username, form):
        result, contact = form_text(form, "result"), form_text(form, "contact")
        if result is None:
            raise StepRefused("console.dept.result_missing", "请填写办理结果", 400)
        if contact is None:
            raise StepRefused("console.dept.contact_missing", "请填写与群众沟通情况（联系方式、时间、结果）", 400)
        contacted = form.get("contacted")
        if contacted not in ("yes", "no"):
            raise StepRefused("console.dept.contacted_missing", "请选择是否已联系群众", 400)
        await _handling(request).submit(number, dept, username, result=result, contact=contact,
                                        contacted=contacted == "yes", uploads=_uploads(form))
    return await _step(request, Action.SUBMIT, apply, "replied")


def _handling(request: web.Request):
    return request.app[ENGINE].services["handling"]


def _lead_person(request: web.Request) -> None:
    if LEAD_ROLE not in live_session(request).roles:
        raise StepRefused("console.dept.lead_only", "只有单位负责人可以审核办理结果", 403)


@requires("department_lead")
async def approve(request: web.Request) -> web.Response:
    async def apply(tickets, number, dept, username, form):
        _lead_person(request)
        await _handling(request).approve(number, dept, username)
    return await _step(request, Action.REPLY, apply, "approved")


@requires("department_lead")
async def reject_reply(request: web.Request) -> web.Response:
    async def apply(tickets, number, dept, username, form):
        _lead_person(request)
        comment = form_text(form, "comment")
        if comment is None:
            raise StepRefused("console.dept.comment_missing", "退回重办需要填写审核意见", 400)
        await _handling(request).reject(number, dept, username, comment)
    return await _step(request, Action.REJECT_REPLY, apply, "rejected_reply")


@requires(*ROLES)
async def sub_dispatch(request: web.Request) -> web.Response:
    async def apply(tickets, number, dept, username, form):
        sub = form_text(form, "sub")
        if sub is None:
            raise StepRefused("console.dept.sub_missing", "请选择下级单位", 400)
        await _handling(request).sub_dispatch(number, dept, sub, username, note=form_text(form, "note"))
    return await _step(request, Action.SUB_DISPATCH, apply, "sub_dispatched")


@requires(*ROLES)
async def extension(request: web.Request) -> web.Response:
    async def apply(tickets, number, dept, username, form):
        reason = form_text(form, "reason")
        if reason is None:
            raise StepRefused("console.dept.ext_reason_missing", "请填写延期理由", 400)
        try:
            days = int(form_text(form, "days") or "")
        except ValueError:
            raise StepRefused("console.dept.ext_days", "请填写延期的工作日天数", 400) from None
        await _handling(request).request_extension(number, dept, username, reason=reason, days=days)
    return await _step(request, Action.EXT_REQUEST, apply, "extension")


@requires(*ROLES)
async def return_ticket(request: web.Request) -> web.Response:
    async def apply(tickets, number, dept, username, form):
        reason = form.get("reason_code")
        if reason not in {r.value for r in ReturnReason}:
            raise StepRefused("console.dept.reason_missing", "请选择退单理由", 400)
        text = form_text(form, "reason")
        if text is None:
            raise StepRefused("console.dept.reason_text_missing", "请填写退单说明", 400)
        await tickets.return_(number, dept, text, username, reason_code=reason)
    return await _step(request, Action.RETURN, apply, "returned")


@requires(*ROLES)
async def co_reply(request: web.Request) -> web.Response:
    async def apply(tickets, number, dept, username, form):
        text = form_text(form, "part")
        if text is None:
            raise StepRefused("console.dept.part_missing", "请填写协办意见", 400)
        await tickets.co_reply(number, dept, text, username)
    return await _step(request, Action.CO_REPLY, apply, "co_replied")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/dept", inbox, name="dept-inbox")
    router.add_get("/dept/tickets/{number}", ticket_page, name="dept-ticket")
    router.add_post("/dept/tickets/{number}/accept", accept, name="dept-accept")
    router.add_post("/dept/tickets/{number}/reply", reply, name="dept-reply")
    router.add_post("/dept/tickets/{number}/return", return_ticket, name="dept-send-back")
    router.add_post("/dept/tickets/{number}/co-reply", co_reply, name="dept-co-reply")
    router.add_post("/dept/tickets/{number}/approve", approve, name="dept-approve")
    router.add_post("/dept/tickets/{number}/reject-reply", reject_reply, name="dept-reject-reply")
    router.add_post("/dept/tickets/{number}/sub-dispatch", sub_dispatch, name="dept-sub-dispatch")
    router.add_post("/dept/tickets/{number}/extension", extension, name="dept-extension")
