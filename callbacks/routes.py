"""回访 pages for agents (/callbacks) and `setup_callbacks(app)`, which wires the service.

GET  /callbacks                   the worklist: replied tickets by due time, the reply to read out
POST /callbacks/{number}/call     click-to-call: the agent's own phone rings, then the citizen
GET  /callbacks/{number}/call     this agent's latest call for the ticket (JSON, for the page's poll)
POST /callbacks/{number}/record   the result: 已解决/未解决 + 满意/基本满意/不满意, or 无法联系
CSRF is checked by the console middleware for every POST; each step is audited.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, form_text, json_error, live_session, step_done, wants_json
from agent_console.ticketdesk.errors import chinese
from hotline.engine import ENGINE
from tickets.codes import Evaluation
from tickets.errors import IllegalTransition, TicketError
from tickets.views import format_local

from callbacks.clicktocall import CallError, ClickToCall
from callbacks.pages import render
from callbacks.rules import CallbackRules
from callbacks.service import CallbackService

CONFIDENTIAL = "（保密工单，内容不显示）"
DONE = {"closed": "回访完成，工单已办结", "reopened": "市民不满意或问题未解决，工单已重办退回原承办单位",
        "unreachable": "已多次无法联系，工单按无法回访办结", "pending": "已记录本次无法联系，稍后再次回访"}


def _callbacks(request: web.Request) -> CallbackService:
    return request.app[ENGINE].services["callbacks"]


def _dialer(request: web.Request) -> ClickToCall | None:
    return request.app[ENGINE].services.get("clicktocall")


async def _page(request: web.Request, *, error: str = "", notice: str = "", status: int = 200) -> web.Response:
    engine = request.app[ENGINE]
    now: datetime = engine.clock()
    me = live_session(request).user
    dialer = _dialer(request)
    items = []
    due = await _callbacks(request).due(now)
    router = _callbacks(request).router
    reasons = await router.reasons([i.ticket for i in due]) if router is not None else {}
    for item in due:
        t = item.ticket
        call = dialer.latest(t.number, me.username) if dialer else None
        items.append({"number": t.number, "type": t.request_type.label if t.request_type else "",
                      "content": CONFIDENTIAL if t.confidential else (t.content or ""),
                      "reply": t.reply or "", "department": t.lead_department.name if t.lead_department else "12345 直接办结",
                      "caller": t.caller_masked, "replied_at": format_local(t.replied_at),
                      "due_at": format_local(item.due_at), "due": item.due_at <= now, "round": item.round,
                      "failed": item.failed, "last": item.last.outcome.label if item.last else "",
                      "call": call.as_json() if call else None, "why": reasons.get(t.number, ""),
                      "shows": dialer.caller_id_for(t.line_dialed) if dialer else ""})
    can_call = "agent" in live_session(request).roles
    return render(request, "callbacks.html", {"items": items, "error": error, "notice": notice,
                                              "can_call": can_call, "limit": _callbacks(request).rules.unreachable_after,
                                              "has_phone": bool(me.phone_interface),
                                              "satisfactions": [(e.value, e.label) for e in Evaluation]},
                  status=status)


@requires("agent", "supervisor")
async def worklist(request: web.Request) -> web.Response:
    return await _page(request, notice=DONE.get(request.query.get("done", ""), ""))


@requires("agent")
async def click_to_call(request: web.Request) -> web.Response:
    console, number, who = request.app[CONSOLE], request.match_info["number"], actor(request)
    me = live_session(request).user
    dialer = _dialer(request)
    try:
        ticket = await request.app[ENGINE].services["tickets"].get(number)
        if ticket.status.value != "replied":
            raise CallError("callbacks.call.not_due", "该工单不在待回访状态", 409)
        if await _callbacks(request).on_survey(ticket):
            raise CallError("callbacks.call.on_survey", "该工单正在语音回访，请勿重复回访", 409)
        if dialer is None:
            raise CallError("callbacks.ami.unavailable", "交换机未连接，无法呼叫", 503)
        call = await dialer.call(ticket, me.username, me.phone_interface)
    except (CallError, TicketError) as exc:
        error_id, message, status = ((exc.error_id, exc.message, exc.status) if isinstance(exc, CallError)
                                     else chinese(exc))
        await console.audit.record(who, "callback.call", number[:20], "failed")
        if wants_json(request):
            return json_error(error_id, message, status)
        return await _page(request, error=f"{number[:20]}：{message}", status=status)
    await console.audit.record(who, "callback.call", f"{number} {me.phone_interface}")
    if wants_json(request):
        return web.json_response({"ok": True, "call": call.as_json()})
    raise web.HTTPSeeOther(f"/callbacks#t{number}")


@requires("agent")
async def call_state(request: web.Request) -> web.Response:
    dialer = _dialer(request)
    call = dialer.latest(request.match_info["number"], live_session(request).user.username) if dialer else None
    if call is None:
        return json_error("callbacks.call.none", "没有这通回访呼叫", 404)
    return web.json_response({"ok": True, "call": call.as_json()})


def _resolved(form) -> bool | None:
    value = form_text(form, "resolved")
    return {"yes": True, "no": False}.get(value or "")


@requires("agent")
async def record(request: web.Request) -> web.Response:
    console, number, who = request.app[CONSOLE], request.match_info["number"], actor(request)
    me = live_session(request).user
    try:
        form = await request.post()
        result = form_text(form, "result")
        note = form_text(form, "note")
        if result == "reached":
            resolved, satisfaction = _resolved(form), form_text(form, "satisfaction")
            if resolved is None or satisfaction is None:
                raise ValueError("请选择是否解决和满意度")
            outcome = "reached"
        elif result == "unreachable":
            resolved = satisfaction = None
            dialer = _dialer(request)
            call = dialer.latest(number, me.username) if dialer else None
            replied_at = (await request.app[ENGINE].services["tickets"].get(number)).replied_at
            if call is not None and replied_at is not None and call.started_at < replied_at:
                call = None  # a call of the round before the 重办 says nothing about this one
            outcome = (call.suggested_outcome if call else None) or "unreachable"
        else:
            raise ValueError("请选择回访结果：已联系或无法联系")
        if await _callbacks(request).on_survey(await request.app[ENGINE].services["tickets"].get(number)):
            raise ValueError("该工单正在语音回访，请勿重复回访")
        done = await _callbacks(request).record_attempt(number, channel="agent", outcome=outcome, actor=me.username,
                                                        resolved=resolved, satisfaction=satisfaction, note=note)
    except (TicketError, ValueError) as exc:
        if isinstance(exc, IllegalTransition):
            error_id, message, status = exc.error_id, "该工单已不在待回访状态（可能已被其他坐席回访）", 409
        elif isinstance(exc, TicketError):
            error_id, message, status = chinese(exc)
        else:
            error_id, message, status = "console.callbacks.invalid", str(exc), 400
        await console.audit.record(who, "callback.record", number[:20], "failed")
        if wants_json(request):
            return json_error(error_id, message, status)
        return await _page(request, error=f"{number[:20]}：{message}", status=status)
    await console.audit.record(who, "callback.record", f"{number} {done.attempt.outcome.value} {done.action}")
    return step_done(request, DONE[done.action], f"/callbacks?done={done.action}")


async def callbacks_context(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the service, and the click-to-call following every AMI client's events."""
    engine = app[ENGINE]
    section = engine.config.callbacks
    engine.services["callbacks"] = CallbackService(engine.sessions, engine.services["tickets"], engine.clock,
                                                   CallbackRules.from_config(section))
    dialer = ClickToCall(engine.ami, engine.clock, section)
    subscriptions = [(client, client.subscribe(dialer.handle, typed=True, inline=True, name="callbacks"))
                     for client in engine.ami.values()]
    engine.services["clicktocall"] = dialer
    yield
    for client, sub in subscriptions:
        await client.fanout.unsubscribe(sub)


def setup_callbacks(app: web.Application) -> None:
    """Call from hotline.engine.build_app after setup_transfer (the AMI clients exist by then)."""
    if any(getattr(r, "canonical", "") == "/callbacks" for r in app.router.resources()):
        return
    app.cleanup_ctx.append(callbacks_context)
    app.router.add_get("/callbacks", worklist, name="callbacks")
    app.router.add_post("/callbacks/{number}/call", click_to_call, name="callbacks-call")
    app.router.add_get("/callbacks/{number}/call", call_state, name="callbacks-call-state")
    app.router.add_post("/callbacks/{number}/record", record, name="callbacks-record")
    from callbacks.missed import setup_missed  # 漏接回拨 (issue 14.3) shares the click-to-call
    setup_missed(app)
