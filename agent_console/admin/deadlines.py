"""/admin/deadlines: the 限时 rules (acceptance and completion limits per request type and urgency).

A change is audited (old -> new) and reloaded at once; it applies to tickets registered or dispatched
from now on, a ticket keeps the deadlines it was given. The fallback rules (*, *) cannot be deleted.
"""
from __future__ import annotations

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.render import page
from hotline.engine import ENGINE
from tickets.codes import RequestType, Urgency
from tickets.deadlines import ANY, KINDS, UNITS, Limit
from tickets.errors import TicketError

from .common import AdminInputError, done, read_json, refused

KIND_LABELS = {"accept": "签收时限", "complete": "办结时限"}
UNIT_LABELS = {"minutes": "分钟", "working_days": "个工作日"}
TYPE_LABELS = {ANY: "全部", **{t.value: t.label for t in RequestType}}
URGENCY_LABELS = {ANY: "全部", **{u.value: u.label for u in Urgency}}


def describe(limit: Limit | None) -> str:
    return "（无）" if limit is None else f"{limit.amount} {limit.unit}"


def rows(tickets) -> list[dict]:
    order = {k: i for i, k in enumerate(KINDS)}
    limits = sorted(tickets.deadline_limits(), key=lambda x: (order[x.kind], x.request_type, x.urgency))
    return [{"kind": x.kind, "kind_label": KIND_LABELS[x.kind], "request_type": x.request_type,
             "type_label": TYPE_LABELS.get(x.request_type, x.request_type), "urgency": x.urgency,
             "urgency_label": URGENCY_LABELS.get(x.urgency, x.urgency), "amount": x.amount, "unit": x.unit,
             "unit_label": UNIT_LABELS[x.unit], "fallback": x.request_type == ANY and x.urgency == ANY}
            for x in limits]


def parse_limit(data: dict) -> Limit:
    kind, rtype, urgency, unit = (data.get(k) for k in ("kind", "request_type", "urgency", "unit"))
    if kind not in KINDS:
        raise AdminInputError("kind", "时限种类应为签收时限或办结时限")
    if rtype not in TYPE_LABELS:
        raise AdminInputError("request_type", "诉求类型应为全部、咨询、求助、投诉、举报、建议或表扬")
    if urgency not in URGENCY_LABELS:
        raise AdminInputError("urgency", "紧急程度应为全部、一般、水电气暖或危及生命财产")
    if unit not in UNITS:
        raise AdminInputError("unit", "单位应为分钟或工作日")
    amount = data.get("amount")
    if isinstance(amount, str) and amount.strip().isdigit():
        amount = int(amount.strip())
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= (100_000 if unit == "minutes"
                                                                                       else 365):
        raise AdminInputError("amount", "时限应为正整数（分钟最多 100000，工作日最多 365）")
    return Limit(kind, rtype, urgency, amount, unit)


@requires("admin")
async def deadlines_page(request: web.Request) -> web.Response:
    tickets = request.app[ENGINE].services["tickets"]
    await tickets.reload_rules()
    return page(request, "admin_deadlines.html", {
        "rules": rows(tickets), "kinds": KIND_LABELS, "types": TYPE_LABELS, "urgencies": URGENCY_LABELS,
        "units": UNIT_LABELS})


@requires("admin")
async def save_deadline(request: web.Request) -> web.Response:
    from tickets.deadline_admin import save_limit

    tickets = request.app[ENGINE].services["tickets"]
    target = ""
    try:
        limit = parse_limit(await read_json(request))
        target = f"{limit.kind} {limit.request_type}/{limit.urgency}"
        before = await save_limit(request.app[ENGINE].sessions, limit)
        await tickets.reload_rules()
    except (AdminInputError, TicketError) as exc:
        exc = exc if isinstance(exc, AdminInputError) else AdminInputError("amount", f"保存失败：{exc}")
        return await refused(request, "admin.deadline.save", target, exc)
    return await done(request, "admin.deadline.save", f"{target} {describe(before)} -> {describe(limit)}",
                      {"rules": rows(tickets), "message": f"已保存：{KIND_LABELS[limit.kind]} "
                                                         f"{TYPE_LABELS[limit.request_type]}/"
                                                         f"{URGENCY_LABELS[limit.urgency]} = {limit.amount} "
                                                         f"{UNIT_LABELS[limit.unit]}，对新工单生效"})


@requires("admin")
async def delete_deadline(request: web.Request) -> web.Response:
    from tickets.deadline_admin import delete_limit

    tickets = request.app[ENGINE].services["tickets"]
    target = ""
    try:
        data = await read_json(request)
        kind, rtype, urgency = data.get("kind"), data.get("request_type"), data.get("urgency")
        if kind not in KINDS or rtype not in TYPE_LABELS or urgency not in URGENCY_LABELS:
            raise AdminInputError("kind", "请选择要删除的时限规则")
        target = f"{kind} {rtype}/{urgency}"
        if rtype == ANY and urgency == ANY:
            raise AdminInputError("kind", "兜底规则（全部/全部）不能删除，只能修改")
        before = await delete_limit(request.app[ENGINE].sessions, kind, rtype, urgency)
        if before is None:
            raise AdminInputError("kind", "该时限规则不存在")
        await tickets.reload_rules()
    except AdminInputError as exc:
        return await refused(request, "admin.deadline.delete", target, exc)
    return await done(request, "admin.deadline.delete", f"{target} {describe(before)}",
                      {"rules": rows(tickets), "message": "已删除，对新工单生效"})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/deadlines", deadlines_page, name="admin-deadlines")
    router.add_post("/admin/deadlines", save_deadline)
    router.add_post("/admin/deadlines/delete", delete_deadline)
