"""坐席工作台: the page, its state endpoint (polled; a websocket hub can replace it) and the buttons."""
from __future__ import annotations

import json

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.live.pages import serve_live_page
from agent_console.context import CONSOLE, actor, json_error, live_session
from agent_console.render import page
from hotline.engine import ENGINE

from .desk import AgentDesk, QueueChoice
from .errors import DeskError

AUDIT_ACTIONS = {"join": "agent.queue_join", "leave": "agent.queue_leave", "pause": "agent.pause",
                 "unpause": "agent.unpause"}


async def queue_choices(request: web.Request) -> list[QueueChoice]:
    from queues.render import queue_defs

    engine = request.app[ENGINE]
    lines, chosen = engine.services.get("lines"), engine.services.get("queue_settings")
    defs = queue_defs(await lines.list() if lines else [], settings=chosen.current if chosen is not None else None)
    return [QueueChoice(q.name, q.label, q.wrapuptime) for q in defs]


async def desk_for(request: web.Request) -> AgentDesk:
    engine = request.app[ENGINE]
    settings = request.app[CONSOLE].settings
    chosen = engine.services.get("queue_settings")
    board = request.app[CONSOLE].wallboard
    return AgentDesk(engine.ami, engine.services.get("floor"), await queue_choices(request),
                     settings.pause_reasons, settings.ami_server, chosen.of if chosen is not None else None,
                     figures=board.agent_figures if board is not None else None)


def live_state(request: web.Request, desk: AgentDesk, user) -> dict:
    """The desk as Asterisk reported it, plus the screen pop of the call ringing/answered at this phone."""
    pops = request.app[CONSOLE].pops
    return {**desk.state(user), "pop": pops.view(user.phone_interface) if pops is not None else None}


def _ok(request: web.Request, desk: AgentDesk, user) -> web.Response:
    return web.json_response({"ok": True, "state": live_state(request, desk, user)},
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))


@requires("agent")
async def agent_page(request: web.Request) -> web.Response:
    desk = await desk_for(request)
    user = live_session(request).user
    return page(request, "agent.html", {"desk": desk.state(user),
                                        "poll_ms": int(request.app[CONSOLE].settings.poll_seconds * 1000),
                                        "server_now": request.app[ENGINE].clock().isoformat()})


@requires("agent")
async def agent_state(request: web.Request) -> web.Response:
    desk = await desk_for(request)
    return _ok(request, desk, live_session(request).user)


async def _body(request: web.Request) -> dict:
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise DeskError("console.request.bad_json", "请求格式错误", 400) from None
        if not isinstance(data, dict):
            raise DeskError("console.request.bad_json", "请求格式错误", 400)
        return data
    return dict(await request.post())


async def _act(request: web.Request, kind: str) -> web.Response:
    console = request.app[CONSOLE]
    user = live_session(request).user
    desk = await desk_for(request)
    target = request.match_info.get("queue", "")
    try:
        if kind == "join":
            await desk.join(user, target)
        elif kind == "leave":
            await desk.leave(user, target)
        elif kind == "pause":
            target = str((await _body(request)).get("reason", ""))[:64]
            await desk.pause(user, target)
        else:
            await desk.unpause(user)
    except DeskError as exc:
        await console.audit.record(actor(request), AUDIT_ACTIONS[kind], f"{target} {exc.detail}".strip(), "failed")
        return json_error(exc.error_id, exc.message, exc.status, detail=exc.detail)
    await console.audit.record(actor(request), AUDIT_ACTIONS[kind], target)
    return _ok(request, desk, user)


@requires("agent")
async def join_queue(request: web.Request) -> web.Response:
    return await _act(request, "join")


@requires("agent")
async def leave_queue(request: web.Request) -> web.Response:
    return await _act(request, "leave")


@requires("agent")
async def pause(request: web.Request) -> web.Response:
    return await _act(request, "pause")


@requires("agent")
async def unpause(request: web.Request) -> web.Response:
    return await _act(request, "unpause")


@requires("agent")
async def agent_live(request: web.Request) -> web.StreamResponse:
    """The desk state pushed as it changes (batched by the hub); the page falls back to polling."""
    desk = await desk_for(request)
    user = live_session(request).user
    # topic: the phone, so a screen pop completed for it is pushed at once (LiveHub.push_now)
    return await serve_live_page(request, lambda: live_state(request, desk, user), topic=user.phone_interface or None)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/agent", agent_page, name="agent")
    router.add_get("/agent/state", agent_state, name="agent-state")
    router.add_get("/agent/live", agent_live, name="agent-live")
    router.add_post("/agent/queues/{queue}/join", join_queue, name="agent-join")
    router.add_post("/agent/queues/{queue}/leave", leave_queue, name="agent-leave")
    router.add_post("/agent/pause", pause, name="agent-pause")
    router.add_post("/agent/unpause", unpause, name="agent-unpause")
