"""Serving one live page: the same-origin check, the websocket, and its life in the hub."""
from __future__ import annotations

from collections.abc import Callable, Hashable

from aiohttp import web

from agent_console.context import CONSOLE, actor, json_error, live_session


def same_origin(request: web.Request) -> bool:
    """Browsers send Origin on websocket handshakes; only this site's pages may open one."""
    from urllib.parse import urlsplit

    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc == request.host


async def serve_live_page(request: web.Request, render: Callable[[], object], *, view_key: Hashable | None = None,
                          delta: Callable | None = None, topic: Hashable | None = None) -> web.StreamResponse:
    """Refuse (and audit) another site's page; otherwise push `render()` through the hub until it closes."""
    from agent_console.context import session_token
    from agent_console.live.hub import Subscriber

    console = request.app[CONSOLE]
    if not same_origin(request):
        await console.audit.record(actor(request), "access.cross_origin_ws", request.headers.get("Origin", "")[:200],
                                   "denied")
        return json_error("console.ws.cross_origin", "不允许跨站连接", 403)
    live = live_session(request)
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=4096)
    await ws.prepare(request)
    sub = Subscriber(ws, render, console.sessions.session_id(session_token(request)), live.expires_at,
                     view_key=view_key, delta=delta, user_id=live.user.id, topic=topic)
    await console.hub.add(sub)
    try:
        async for _ in ws:  # the page only listens; anything it sends is ignored
            pass
    finally:
        console.hub.remove(sub)
    return ws
