"""/wallboard: the page, its JSON state (polled without a socket) and the live websocket (batched by the hub)."""
from __future__ import annotations

import json

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, json_error, live_session
from agent_console.render import page
from hotline.engine import ENGINE

from .board import VIEW_KEY, seconds_since
from .delta import board_delta


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


@requires("supervisor")
async def wallboard_page(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    board, now = console.wallboard.view(), request.app[ENGINE].clock()
    return page(request, "wallboard.html", {"board": board, "poll_ms": int(console.settings.poll_seconds * 1000),
                                            "longest_wait": seconds_since(board["center"]["longest_since"], now),
                                            "server_now": now.isoformat()})


@requires("supervisor")
async def wallboard_state(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "board": request.app[CONSOLE].wallboard.view()}, dumps=_dumps)


@requires("supervisor")
async def wallboard_live(request: web.Request) -> web.StreamResponse:
    from agent_console.agent.views import same_origin
    from agent_console.auth.access import COOKIE
    from agent_console.live.hub import Subscriber

    console = request.app[CONSOLE]
    if not same_origin(request):
        await console.audit.record(actor(request), "access.cross_origin_ws", request.headers.get("Origin", "")[:200],
                                   "denied")
        return json_error("console.ws.cross_origin", "不允许跨站连接", 403)
    live = live_session(request)
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=4096)
    await ws.prepare(request)
    sub = Subscriber(ws, console.wallboard.view, console.sessions.session_id(request.cookies[COOKIE]),
                     live.expires_at, view_key=VIEW_KEY, delta=board_delta)
    await console.hub.add(sub)
    try:
        async for _ in ws:
            pass
    finally:
        console.hub.remove(sub)
    return ws


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/wallboard", wallboard_page, name="wallboard")
    router.add_get("/wallboard/state", wallboard_state, name="wallboard-state")
    router.add_get("/wallboard/live", wallboard_live, name="wallboard-live")
