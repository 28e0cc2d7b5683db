"""/wallboard: the page, its JSON state (polled without a socket) and the live websocket (batched by the hub)."""
from __future__ import annotations

import json

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.live.pages import serve_live_page
from agent_console.context import CONSOLE
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
                                            "server_now": now.isoformat(),
                                            "tv": request.query.get("tv") == "1"})  # TV mode: large tiles, no nav


@requires("supervisor")
async def wallboard_state(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "board": request.app[CONSOLE].wallboard.view()}, dumps=_dumps)


@requires("supervisor")
async def wallboard_live(request: web.Request) -> web.StreamResponse:
    """All wallboards share one rendered view per flush; after the first message only changes."""
    return await serve_live_page(request, request.app[CONSOLE].wallboard.view, view_key=VIEW_KEY,
                                 delta=board_delta)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/wallboard", wallboard_page, name="wallboard")
    router.add_get("/wallboard/state", wallboard_state, name="wallboard-state")
    router.add_get("/wallboard/live", wallboard_live, name="wallboard-live")
