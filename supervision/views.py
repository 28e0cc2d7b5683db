"""督办 pages: the center's 督办 desk (supervisors) and a department's 督办提醒 (department users)."""
from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from agent_console.accounts.models import DEPARTMENT_ROLES
from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, form_text, json_error, live_session, step_done, wants_json
from agent_console.render import page
from agent_console.ticketdesk.errors import chinese
from hotline.engine import ENGINE
from tickets.errors import TicketError
from tickets.views import SHANGHAI, format_local

from .marks import AUDIENCE_LABELS

TOPIC_LABELS = {"yellow": "黄牌预警", "red": "红牌超时", "remind": "督办催办", "escalate": "督办升级"}
STATE_LABELS = {"sent": "已发送", "pending": "待发送（短信网关暂不可用，将自动重试）"}
DONE = {"issued": "督办单已下发，到期未办结将自动催办"}


def _service(request: web.Request):
    return request.app[ENGINE].services["supervision"]


def notice_row(n) -> dict:
    return {"id": n.id, "number": n.ticket_number, "topic": TOPIC_LABELS.get(n.topic, n.topic), "topic_code": n.topic,
            "audience": AUDIENCE_LABELS.get(n.audience, n.audience), "text": n.text, "at": format_local(n.created_at),
            "state": STATE_LABELS.get(n.state, n.state), "state_code": n.state, "attempts": n.attempts}


def parse_due(value: str | None, now: datetime) -> datetime:
    """A <input type=datetime-local> value in Asia/Shanghai, in the future."""
    if not value:
        raise ValueError("请填写督办办结时间")
    try:
        due = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("督办办结时间格式不正确") from None
    due = due.replace(tzinfo=SHANGHAI) if due.tzinfo is None else due
    if due <= now:
        raise ValueError("督办办结时间应晚于当前时间")
    return due


async def _desk(request: web.Request, *, error: str = "", status: int = 200, notice: str = "") -> web.Response:
    service = _service(request)
    now = request.app[ENGINE].clock()
    default_due = (now + timedelta(hours=4)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    return page(request, "center_supervision.html", {
        "notices": [notice_row(n) for n in await service.notices_for_center()], "counts": await service.counts(),
        "error": error, "notice": notice, "default_due": default_due, "number": request.query.get("number", ""),
        "escalate_after": service.settings.escalate_after}, status=status)


@requires("supervisor")
async def desk(request: web.Request) -> web.Response:
    return await _desk(request, notice=DONE.get(request.query.get("done", ""), ""))


@requires("supervisor")
async def issue(request: web.Request) -> web.Response:
    """下发督办单: comment and due time; audited; the ticket's history gets the 督办 line."""
    console, number, who = request.app[CONSOLE], request.match_info["number"], actor(request)
    try:
        form = await request.post()
        comment = form_text(form, "comment")
        if comment is None:
            raise ValueError("请填写督办意见")
        due = parse_due(form_text(form, "due"), request.app[ENGINE].clock())
        await _service(request).issue_order(number, comment, due, who.username)
    except (TicketError, ValueError) as exc:
        error_id, message, status = (chinese(exc) if isinstance(exc, TicketError)
                                     else ("console.supervision.invalid", str(exc), 400))
        await console.audit.record(who, "ticket.supervise", number, "failed")
        if wants_json(request):
            return json_error(error_id, message, status)
        return await _desk(request, error=f"{number}：{message}", status=status)
    await console.audit.record(who, "ticket.supervise", number)
    return step_done(request, DONE["issued"], "/center/supervision?done=issued")


@requires(*sorted(DEPARTMENT_ROLES))
async def department_notices(request: web.Request) -> web.Response:
    user = live_session(request).user
    if not user.department_code:
        return page(request, "forbidden.html", {"path": request.path,
                                                "message": "您的账号尚未关联承办单位，请联系系统管理员"}, status=403)
    lead = "department_lead" in live_session(request).roles
    rows = [notice_row(n) for n in await _service(request).notices_for_department(user.department_code, lead=lead)]
    return page(request, "dept_notices.html", {"notices": rows, "lead": lead})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/center/supervision", desk, name="center-supervision")
    router.add_post("/center/tickets/{number}/supervise", issue, name="center-supervise")
    router.add_get("/dept/notices", department_notices, name="dept-notices")
