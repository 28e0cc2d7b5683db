"""/surveys: the automated 语音回访 for supervisors and admins — the queue of survey calls with their
state, pause/resume, taking a job off the survey (an agent calls instead), and the do-not-call list.

GET  /surveys                              the page (numbers masked)
POST /surveys/pause | /surveys/resume      the switch every engine's pass reads (survey_control)
POST /surveys/jobs/{id}/to-agent           a waiting job goes to the agents' 回访 page
POST /surveys/jobs/{id}/number             the job's full number (JSON), audited as view.caller_number
POST /surveys/do-not-call                  add a number with a reason
POST /surveys/do-not-call/import           a CSV file (号码,原因): every bad row named, nothing applied then
POST /surveys/do-not-call/remove           by the row's reference (the page never carries a full number)
POST /surveys/do-not-call/number           a listed number in full (JSON), audited
CSRF is checked by the console middleware on every POST; every POST is audited.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from aiohttp import web

from agent_console.audit.service import VIEW_CALLER_NUMBER
from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, form_text, json_error, live_session, step_done, wants_json
from agent_console.render import capability_pages
from hotline.engine import ENGINE
from tickets.validation import mask_number
from tickets.views import format_local

from surveys.donotcall import DoNotCallError, check, parse_csv
from surveys.hours import CallingHours
from surveys.store import JobView, SurveyStore

render = capability_pages("surveys")
MAX_UPLOAD = 1_000_000
OUTCOMES = {"reached": "已接通", "busy": "忙线", "no_answer": "无人接听", "unreachable": "无法接通",
            "hung_up": "中途挂机", "invalid": "按键无效"}
RESULTS = {"closed": "已办结", "reopened": "已重办", "superseded": "已由其他方式回访", "to_agent": "已转坐席回访"}
DONE = {"paused": "自动语音回访已暂停：不再发起新的外呼，正在进行的通话照常结束",
        "resumed": "自动语音回访已恢复", "moved": "已转坐席回访", "added": "已加入免打扰名单",
        "removed": "已移出免打扰名单"}
STORE = "survey_store"
REF_KEY = "survey_ref_key"


def job_state(job: JobView, zone) -> tuple[str, str]:
    """(code, 中文) of a job as the queue shows it: 待拨 / 拨打中 / 已完成 / 重试于 HH:MM / 无法回访."""
    if job.status in ("dialing", "in_call"):
        return "out", "拨打中"
    if job.status == "pending" and job.attempts == 0:
        return "waiting", "待拨"
    if job.status == "pending":
        local = job.next_at.astimezone(zone)
        return "retry", f"重试于 {local:%H:%M}" if local.date() == datetime.now(zone).date() else \
            f"重试于 {local:%m-%d %H:%M}"
    if job.status == "done":
        return "done", "已完成"
    if job.status == "blocked":
        return "failed", "无法回访（免打扰）"
    return "failed", "无法回访"


def store_of(request: web.Request) -> SurveyStore:
    """The survey service's store, or one of its own when the engine runs without telephony."""
    engine = request.app[ENGINE]
    service = engine.services.get("surveys")
    if service is not None:
        return service.store
    if STORE not in engine.services:
        s = engine.config.survey
        engine.services[STORE] = SurveyStore(engine.sessions, CallingHours(s.hours, s.timezone),
                                             retry_after=timedelta(minutes=s.retry_after_minutes),
                                             max_attempts=s.max_attempts, do_not_call=s.do_not_call)
    return engine.services[STORE]


def ref_of(request: web.Request, number: str) -> str:
    """An opaque reference to a listed number: stable for the engine, useless without its key."""
    engine = request.app[ENGINE]
    if REF_KEY not in engine.services:
        try:
            key = engine.config.session_key().encode()
        except Exception:  # noqa: BLE001 - no console key configured: a key of this process then
            key = secrets.token_bytes(32)
        engine.services[REF_KEY] = key
    return hmac.new(engine.services[REF_KEY], number.encode(), hashlib.sha256).hexdigest()[:20]


async def _number_by_ref(request: web.Request, ref: str | None) -> str | None:
    if not ref:
        return None
    for entry in await store_of(request).do_not_call():
        if hmac.compare_digest(ref_of(request, entry.number), ref):
            return entry.number
    return None


async def _page(request: web.Request, *, error: str = "", notice: str = "", rows: list | None = None,
                status: int = 200) -> web.Response:
    engine = request.app[ENGINE]
    store = store_of(request)
    zone = store.hours.zone
    control = await store.control()
    service = engine.services.get("surveys")
    s = engine.config.survey
    jobs = []
    for job in await store.queue():
        code, label = job_state(job, zone)
        jobs.append({"id": job.id, "ticket": job.ticket_number, "phone": mask_number(job.phone), "state": code,
                     "label": label, "attempts": job.attempts, "last": OUTCOMES.get(job.last_outcome or "", ""),
                     "result": RESULTS.get(job.result or "", ""), "next_at": format_local(job.next_at),
                     "updated_at": format_local(job.updated_at) if job.updated_at else "",
                     "movable": job.status == "pending" and service is not None and service.router is not None})
    blocked = [{"ref": ref_of(request, b.number), "phone": mask_number(b.number), "reason": b.reason or "",
                "added_at": format_local(b.added_at) if b.added_at else "配置文件",
                "removable": b.added_at is not None} for b in await store.do_not_call()]
    counts = await store.counts()
    return render(request, "surveys.html", {
        "enabled": s.enabled and service is not None, "paused": control.paused,
        "changed_by": control.changed_by or "", "changed_at": format_local(control.changed_at) if control.changed_at else "",
        "hours": s.hours, "max_concurrent": s.max_concurrent, "max_attempts": s.max_attempts, "jobs": jobs,
        "counts": {"waiting": counts.get("pending", 0), "out": counts.get("dialing", 0) + counts.get("in_call", 0),
                   "done": counts.get("done", 0), "failed": counts.get("gave_up", 0) + counts.get("blocked", 0)},
        "blocked": blocked, "error": error, "notice": notice, "rows": rows or [],
        "can_open_ticket": "supervisor" in live_session(request).roles}, status=status)


async def _refused(request: web.Request, action: str, target: str, message: str, status: int = 400,
                   rows: list | None = None) -> web.Response:
    await request.app[CONSOLE].audit.record(actor(request), action, target, "failed")
    if wants_json(request):
        return json_error(f"surveys.{action.split('.')[-1]}", message, status, rows=rows or [])
    return await _page(request, error=message, rows=rows, status=status)


@requires("supervisor", "admin")
async def survey_page(request: web.Request) -> web.Response:
    return await _page(request, notice=DONE.get(request.query.get("done", ""), ""))


async def _switch(request: web.Request, paused: bool) -> web.Response:
    who = actor(request)
    await store_of(request).set_paused(paused, who.username, request.app[ENGINE].clock())
    await request.app[CONSOLE].audit.record(who, "survey.pause" if paused else "survey.resume")
    word = "paused" if paused else "resumed"
    return step_done(request, DONE[word], f"/surveys?done={word}")


@requires("supervisor", "admin")
async def pause(request: web.Request) -> web.Response:
    return await _switch(request, True)


@requires("supervisor", "admin")
async def resume(request: web.Request) -> web.Response:
    return await _switch(request, False)


def _job_id(request: web.Request) -> int | None:
    text = request.match_info["id"]
    return int(text) if text.isdigit() and len(text) <= 18 else None


@requires("supervisor", "admin")
async def to_agent(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    service = engine.services.get("surveys")
    job_id = _job_id(request)
    if job_id is None or service is None or service.router is None:
        return await _refused(request, "survey.to_agent", request.match_info["id"][:20], "没有这个回访任务", 404)
    job = await service.store.withdraw(job_id, engine.clock())
    if job is None:
        return await _refused(request, "survey.to_agent", str(job_id), "该任务正在拨打或已结束，不能转坐席", 409)
    await service.router.move_to_agent(job.ticket_number, "moved_by_supervisor", engine.clock())
    await service.store.handed_over(job.id)
    await request.app[CONSOLE].audit.record(actor(request), "survey.to_agent", f"job {job.id} {job.ticket_number}")
    return step_done(request, DONE["moved"], "/surveys?done=moved")


@requires("supervisor", "admin")
async def job_number(request: web.Request) -> web.Response:
    job_id = _job_id(request)
    job = await store_of(request).get(job_id) if job_id is not None else None
    if job is None:
        return json_error("surveys.job.not_found", "没有这个回访任务", 404)
    await request.app[CONSOLE].audit.record(actor(request), VIEW_CALLER_NUMBER,
                                            f"survey job {job.id} {mask_number(job.phone)}")
    return web.json_response({"ok": True, "number": job.phone})


@requires("supervisor", "admin")
async def add_number(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        entry = check(form_text(form, "number"), form_text(form, "reason"))
    except DoNotCallError as exc:
        return await _refused(request, "survey.do_not_call.add", "", exc.message)
    await store_of(request).block(entry.number, entry.reason, request.app[ENGINE].clock())
    await request.app[CONSOLE].audit.record(actor(request), "survey.do_not_call.add",
                                            f"{mask_number(entry.number)} {entry.reason}")
    return step_done(request, DONE["added"], "/surveys?done=added#do-not-call")


@requires("supervisor", "admin")
async def import_numbers(request: web.Request) -> web.Response:
    form = await request.post()
    upload = form.get("csv")
    raw = upload.file.read(MAX_UPLOAD + 1) if hasattr(upload, "file") else (upload or "")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return await _refused(request, "survey.do_not_call.import", "", "文件应为 UTF-8 编码的 CSV")
    if not raw.strip():
        return await _refused(request, "survey.do_not_call.import", "", "请选择要导入的 CSV 文件")
    if len(raw) > MAX_UPLOAD:
        return await _refused(request, "survey.do_not_call.import", "", "文件过大（最多 1 MB）")
    try:
        entries = parse_csv(raw)
    except DoNotCallError as exc:
        rows = [{"row": n, "message": m} for n, m in exc.rows]
        return await _refused(request, "survey.do_not_call.import", f"{len(rows)} bad rows", exc.message, rows=rows)
    added, kept = await store_of(request).block_many([(e.number, e.reason) for e in entries],
                                                     request.app[ENGINE].clock())
    await request.app[CONSOLE].audit.record(actor(request), "survey.do_not_call.import",
                                            f"added {added} already {kept}")
    message = f"导入成功：新增 {added} 个号码" + (f"，{kept} 个已在名单中" if kept else "")
    if wants_json(request):
        return web.json_response({"ok": True, "message": message, "added": added, "kept": kept})
    return await _page(request, notice=message)


@requires("supervisor", "admin")
async def remove_number(request: web.Request) -> web.Response:
    form = await request.post()
    number = await _number_by_ref(request, form_text(form, "ref"))
    if number is None or not await store_of(request).unblock(number):
        return await _refused(request, "survey.do_not_call.remove", "", "名单中没有这个号码（配置文件中的号码请在配置中删除）", 404)
    await request.app[CONSOLE].audit.record(actor(request), "survey.do_not_call.remove", mask_number(number))
    return step_done(request, DONE["removed"], "/surveys?done=removed#do-not-call")


@requires("supervisor", "admin")
async def listed_number(request: web.Request) -> web.Response:
    data = await request.json() if request.content_type == "application/json" else await request.post()
    ref = data.get("ref") if isinstance(data.get("ref"), str) else None
    number = await _number_by_ref(request, ref)
    if number is None:
        return json_error("surveys.do_not_call.not_found", "名单中没有这个号码", 404)
    await request.app[CONSOLE].audit.record(actor(request), VIEW_CALLER_NUMBER, f"do-not-call {mask_number(number)}")
    return web.json_response({"ok": True, "number": number})


def setup_survey_console(app: web.Application) -> None:
    """Call from hotline.engine.build_app (with or without telephony: the list is in the database)."""
    app.router.add_get("/surveys", survey_page, name="surveys")
    app.router.add_post("/surveys/pause", pause)
    app.router.add_post("/surveys/resume", resume)
    app.router.add_post("/surveys/jobs/{id}/to-agent", to_agent)
    app.router.add_post("/surveys/jobs/{id}/number", job_number)
    app.router.add_post("/surveys/do-not-call", add_number)
    app.router.add_post("/surveys/do-not-call/import", import_numbers)
    app.router.add_post("/surveys/do-not-call/remove", remove_number)
    app.router.add_post("/surveys/do-not-call/number", listed_number)
