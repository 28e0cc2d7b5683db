"""录音查询与回放 for supervisors, and the agent's pause/resume button API.

Every listen and download is written to the audit log (VIEW_RECORDING) before a byte is sent;
files are served by aiohttp's FileResponse, which answers Range requests (206, Content-Range)
so the browser's <audio> can seek. A recording that is not complete (missing, damaged,
deleted, still recording) is never served.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from aiohttp import web

from agent_console.audit.service import SEARCH_CALLER_NUMBER, VIEW_RECORDING
from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, json_error, live_session

from .catalogue import Search, mask_number
from .context import RECORDINGS, render
from .errors import InvalidSearch, RecordingError, RecordingUnavailable
from .integrity import verify
from .models import STATE_LABELS, State

SEARCH_FIELDS = ("date_from", "date_to", "agent", "queue", "ticket", "number", "state")


def parse_search(query, zone) -> Search:
    def day(name: str) -> date | None:
        text = (query.get(name) or "").strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise InvalidSearch("日期格式应为 年-月-日，例如 2026-11-22", f"{name}={text[:20]!r}") from None

    def text(name: str, size: int = 64) -> str | None:
        value = (query.get(name) or "").strip()
        if len(value) > size or any(ord(c) < 32 for c in value):
            raise InvalidSearch("查询条件过长或含有非法字符", f"{name} rejected")
        return value or None

    start, end = day("date_from"), day("date_to")
    if start and end and end < start:
        raise InvalidSearch("结束日期早于开始日期", f"{start} > {end}")
    state = text("state", 16)
    if state is not None and state not in {s.value for s in State}:
        raise InvalidSearch("没有这种录音状态", f"state={state!r}")
    return Search(since=datetime.combine(start, time(), zone) if start else None,
                  until=datetime.combine(end + timedelta(days=1), time(), zone) if end else None,
                  agent=text("agent"), queue=text("queue"), ticket=text("ticket", 32), number=text("number", 32),
                  states=(State(state),) if state else ())


def _can_download(request: web.Request) -> bool:
    live = live_session(request)
    return bool(live and live.roles & set(request.app[RECORDINGS].settings.download_roles))


@requires("supervisor")
async def list_page(request: web.Request) -> web.Response:
    cap = request.app[RECORDINGS]
    form = {name: request.query.get(name, "") for name in SEARCH_FIELDS}
    try:
        search = parse_search(request.query, cap.settings.zone)
    except InvalidSearch as exc:
        return render(request, "recordings.html", {"rows": [], "form": form, "error": exc.message,
                                                    "states": STATE_LABELS, "zone": cap.settings.zone}, status=400)
    # the stored state may be stale until the file is looked at: filter on the state after checking
    wanted = search.states
    found = await cap.catalogue.search(replace(search, states=()) if wanted else search)
    rows = [await verify(cap.catalogue, row, cap.settings.directory) for row in found]
    rows = [row for row in rows if not wanted or row.state in wanted]
    if search.number:  # searching by a citizen's number is a read of who called (issue 11.7)
        await request.app[CONSOLE].audit.record(actor(request), SEARCH_CALLER_NUMBER,
                                                f"recordings number={mask_number(search.number)} found={len(rows)}")
    return render(request, "recordings.html", {"rows": rows, "form": form, "error": None, "states": STATE_LABELS,
                                                "zone": cap.settings.zone})


def _recording_id(request: web.Request) -> int:
    return int(request.match_info["id"])


@requires("supervisor")
async def detail_page(request: web.Request) -> web.Response:
    cap = request.app[RECORDINGS]
    try:
        view = await verify(cap.catalogue, await cap.catalogue.get(_recording_id(request)), cap.settings.directory)
    except RecordingError as exc:
        return render(request, "recording_missing.html", {"message": exc.message}, status=exc.status)
    return render(request, "recording.html", {"r": view, "zone": cap.settings.zone,
                                               "can_download": _can_download(request)})


async def _servable(request: web.Request, purpose: str, *, audit_always: bool) -> web.StreamResponse:
    cap = request.app[RECORDINGS]
    audit = request.app[CONSOLE].audit
    who = actor(request)
    view = await cap.catalogue.get(_recording_id(request))
    target = f"recording {view.id} {view.linkedid} {purpose}"
    must_audit = audit_always or cap.listens.due(who.user_id, view.id)
    view = await verify(cap.catalogue, view, cap.settings.directory, full=must_audit)
    if not view.playable:
        await audit.record(who, VIEW_RECORDING, f"{target} {view.state.value}", "failed")
        raise RecordingUnavailable(f"录音不可播放：{view.state_label}", view.problem or view.state.value)
    if must_audit:
        await audit.record(who, VIEW_RECORDING, target)
    disposition = "attachment" if purpose == "download" else "inline"
    name = Path(view.file_path).name
    return web.FileResponse(view.file_path, headers={
        "Content-Type": "audio/wav", "Content-Disposition": f'{disposition}; filename="{name}"',
        "Cache-Control": "private, no-store", "Accept-Ranges": "bytes"})


async def _serve(request: web.Request, purpose: str, audit_always: bool) -> web.StreamResponse:
    try:
        return await _servable(request, purpose, audit_always=audit_always)
    except RecordingError as exc:
        return json_error(exc.error_id, exc.message, exc.status, detail=exc.detail)


@requires("supervisor")
async def audio(request: web.Request) -> web.StreamResponse:
    return await _serve(request, "listen", audit_always=False)


@requires("supervisor")
async def download(request: web.Request) -> web.StreamResponse:
    if not _can_download(request):
        await request.app[CONSOLE].audit.record(actor(request), VIEW_RECORDING,
                                                f"recording {request.match_info['id']} download", "denied")
        return json_error("recording.download.forbidden", "您的角色不允许下载录音", 403)
    return await _serve(request, "download", audit_always=True)


def _agent_state(request: web.Request) -> dict:
    act = request.app[RECORDINGS].recorder.active_for(live_session(request).user.phone_interface)
    return {"ok": True, "recording": act is not None, "paused": bool(act and act.paused),
            "recording_id": act.recording_id if act else None}


@requires("agent")
async def current(request: web.Request) -> web.Response:
    return web.json_response(_agent_state(request))


async def _toggle(request: web.Request, paused: bool) -> web.Response:
    cap = request.app[RECORDINGS]
    audit = request.app[CONSOLE].audit
    interface = live_session(request).user.phone_interface
    action = "recording.pause" if paused else "recording.resume"
    try:
        act = await cap.recorder.set_paused(interface, paused)
    except RecordingError as exc:
        await audit.record(actor(request), action, f"{interface or ''} {exc.detail}".strip()[:256], "failed")
        return json_error(exc.error_id, exc.message, exc.status, detail=exc.detail)
    await audit.record(actor(request), action, f"recording {act.recording_id} {act.linkedid}")
    return web.json_response({"ok": True, "recording": True, "paused": paused, "recording_id": act.recording_id})


@requires("agent")
async def pause(request: web.Request) -> web.Response:
    return await _toggle(request, True)


@requires("agent")
async def resume(request: web.Request) -> web.Response:
    return await _toggle(request, False)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/recordings", list_page, name="recordings")
    router.add_get("/recordings/current", current, name="recordings-current")
    router.add_post("/recordings/current/pause", pause, name="recordings-pause")
    router.add_post("/recordings/current/resume", resume, name="recordings-resume")
    router.add_get(r"/recordings/{id:\d{1,18}}", detail_page, name="recording")
    router.add_get(r"/recordings/{id:\d{1,18}}/audio", audio, name="recording-audio")
    router.add_get(r"/recordings/{id:\d{1,18}}/download", download, name="recording-download")
