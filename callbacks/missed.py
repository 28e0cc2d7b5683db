"""漏接回拨 pages: the missed and abandoned calls (calls.CallLog's worklist) called back by agents.

GET  /callbacks/missed                 the worklist: time, line, wait, draft ticket; the rate for supervisors
POST /callbacks/missed/{id}/call       click-to-call through callbacks.clicktocall (agent's phone, then citizen)
GET  /callbacks/missed/{id}/call       this agent's latest call for the row (JSON, for the page's poll)
POST /callbacks/missed/{id}/record     回拨成功 / 无人接听 / 号码错误
A click claims the row in the database (calls.worklist.claim), so two agents never call the same
citizen at once; the claim ends with the recorded outcome. CSRF by the console middleware; audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, form_text, json_error, live_session, step_done, wants_json
from calls.errors import AlreadyHandled, CallLogError, ClaimedByOther, InvalidCallField, MissedCallNotFound
from hotline.engine import ENGINE
from tickets.views import format_local

from callbacks.clicktocall import CallError, ClickToCall
from callbacks.dialing import CallState
from callbacks.pages import render

RESULTS = {"reached": "回拨成功", "no_answer": "无人接听", "wrong_number": "号码错误"}
DONE = {"called_back": "已记录回拨成功，该来电已移出回拨列表", "closed": "已记录号码错误，该来电已移出回拨列表",
        "unreachable": "多次无人接听，该来电已按“多次未接通”移出回拨列表", "pending": "已记录无人接听，稍后再次回拨"}
FINISHED = {"called_back": "回拨成功", "closed": "已关闭", "unreachable": "多次未接通", "pending": "待回拨"}
PERIODS = {"1": "近 24 小时", "7": "近 7 天", "30": "近 30 天"}


@dataclass(frozen=True)
class MissedTarget:
    """What ClickToCall.call needs of a ticket, for a worklist row: its key, number and line."""

    number: str
    caller: str
    line_dialed: str | None
    ticket_ref: str          # HOTLINE_TICKET: the row's draft ticket (the callback's call record links to it)


def key_of(missed_id: int) -> str:
    return f"missed-{missed_id}"


def _hold(request: web.Request) -> timedelta:
    return timedelta(minutes=request.app[ENGINE].config.callbacks.missed_claim_minutes)


def _dialer(request: web.Request) -> ClickToCall | None:
    return request.app[ENGINE].services.get("clicktocall")


def _missed_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound(text="回拨记录不存在")
    return int(raw)


def _error(exc: Exception) -> tuple[str, str, int]:
    if isinstance(exc, ClaimedByOther):
        return exc.error_id, f"坐席 {exc.holder} 正在回拨此来电，请选择其他来电", 409
    if isinstance(exc, AlreadyHandled):
        return exc.error_id, f"该来电已处理（{FINISHED.get(exc.status, exc.status)}），已不在回拨列表中", 409
    if isinstance(exc, MissedCallNotFound):
        return exc.error_id, "回拨记录不存在", 404
    if isinstance(exc, InvalidCallField):
        return exc.error_id, "请选择回拨结果：回拨成功、无人接听或号码错误", 400
    if isinstance(exc, CallError):
        return exc.error_id, exc.message, exc.status
    return getattr(exc, "error_id", "calls.error"), "操作失败，请重试", 400


def _since(request: web.Request, now: datetime) -> tuple[str, datetime]:
    days = request.query.get("days", "1")
    days = days if days in PERIODS else "1"
    return days, now - timedelta(days=int(days))


async def _page(request: web.Request, *, error: str = "", notice: str = "", status: int = 200) -> web.Response:
    engine = request.app[ENGINE]
    now: datetime = engine.clock()
    call_log = engine.services["call_log"]
    session = live_session(request)
    me = session.user
    dialer = _dialer(request)
    hold = _hold(request)
    items = []
    for m in await call_log.list_missed(limit=200):
        call = dialer.latest(key_of(m.id), me.username) if dialer else None
        holder = m.claimed_by if m.claimed_by and m.claimed_at and m.claimed_at >= now - hold else None
        items.append({"id": m.id, "caller": m.caller_number, "name": m.caller_name or "", "line": m.line or "",
                      "missed_at": format_local(m.missed_at), "first_missed_at": format_local(m.first_missed_at),
                      "misses": m.miss_count, "waited": m.waited_seconds, "reason": m.reason_label,
                      "ticket": m.ticket_number, "attempts": m.attempts,
                      "last": RESULTS.get(m.last_result or "", ""), "holder": holder,
                      "mine": holder == me.username, "call": call.as_json() if call else None,
                      "shows": dialer.caller_id_for(m.line) if dialer else ""})
    roles = session.roles
    rate = period = None
    if "supervisor" in roles:
        period, since = _since(request, now)
        rate = await call_log.callback_rate(since, now + timedelta(seconds=1))
    return render(request, "missed.html", {
        "items": items, "error": error, "notice": notice, "can_call": "agent" in roles,
        "has_phone": bool(me.phone_interface), "limit": call_log.max_attempts, "results": list(RESULTS.items()),
        "rate": rate, "period": period, "periods": list(PERIODS.items())}, status=status)


@requires("agent", "supervisor")
async def worklist(request: web.Request) -> web.Response:
    return await _page(request, notice=DONE.get(request.query.get("done", ""), ""))


@requires("agent")
async def click_to_call(request: web.Request) -> web.Response:
    console, who, me = request.app[CONSOLE], actor(request), live_session(request).user
    missed_id = _missed_id(request)
    call_log = request.app[ENGINE].services["call_log"]
    dialer = _dialer(request)
    claimed = False
    try:
        if dialer is None:
            raise CallError("callbacks.ami.unavailable", "交换机未连接，无法呼叫", 503)
        if not me.phone_interface:
            raise CallError("callbacks.call.no_phone", "您的账号未绑定话机，请联系管理员", 409)
        row = await call_log.claim_missed(missed_id, me.username, _hold(request))
        claimed = True
        call = await dialer.call(MissedTarget(key_of(row.id), row.caller_number, row.line,
                                              row.ticket_number or ""), me.username,
                                 me.phone_interface)
    except (CallError, CallLogError) as exc:
        if claimed:
            await call_log.release_missed(missed_id, me.username)
        error_id, message, status = _error(exc)
        await console.audit.record(who, "missed.call", str(missed_id), "failed")
        if wants_json(request):
            return json_error(error_id, message, status)
        return await _page(request, error=message, status=status)
    await console.audit.record(who, "missed.call", f"{missed_id} {row.caller_number} {me.phone_interface}")
    if wants_json(request):
        return web.json_response({"ok": True, "call": call.as_json()})
    raise web.HTTPSeeOther(f"/callbacks/missed#m{missed_id}")


@requires("agent")
async def call_state(request: web.Request) -> web.Response:
    dialer, missed_id = _dialer(request), _missed_id(request)
    me = live_session(request).user.username
    call = dialer.latest(key_of(missed_id), me) if dialer else None
    if call is None:
        return json_error("callbacks.call.none", "没有这通回拨呼叫", 404)
    if call.state is CallState.AGENT_FAILED:
        # the agent's own phone never answered: nobody spoke to the citizen, the row is free again
        await request.app[ENGINE].services["call_log"].release_missed(missed_id, me)
    return web.json_response({"ok": True, "call": call.as_json()})


@requires("agent")
async def record(request: web.Request) -> web.Response:
    console, who, me = request.app[CONSOLE], actor(request), live_session(request).user
    missed_id = _missed_id(request)
    form = await request.post()
    result = form_text(form, "result") or ""
    try:
        if result not in RESULTS:
            raise InvalidCallField("result", "unknown")
        row = await request.app[ENGINE].services["call_log"].record_callback(
            missed_id, me.username, result, _hold(request), note=form_text(form, "note"))
    except CallLogError as exc:
        error_id, message, status = _error(exc)
        await console.audit.record(who, "missed.record", f"{missed_id} {result}"[:120], "failed")
        if wants_json(request):
            return json_error(error_id, message, status)
        return await _page(request, error=message, status=status)
    await console.audit.record(who, "missed.record", f"{missed_id} {result} {row.status.value} 第{row.attempts}次")
    return step_done(request, DONE[row.status.value], f"/callbacks/missed?done={row.status.value}")


def setup_missed(app: web.Application) -> None:
    """Called by callbacks.routes.setup_callbacks: the same click-to-call service drives these calls."""
    app.router.add_get("/callbacks/missed", worklist, name="callbacks-missed")
    app.router.add_post("/callbacks/missed/{id}/call", click_to_call, name="callbacks-missed-call")
    app.router.add_get("/callbacks/missed/{id}/call", call_state, name="callbacks-missed-call-state")
    app.router.add_post("/callbacks/missed/{id}/record", record, name="callbacks-missed-record")
