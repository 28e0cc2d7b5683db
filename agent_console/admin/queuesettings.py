"""/admin/queues: 队列设置 per queue (strategy, ring timeout, wrap-up, longest wait before the callback
list, who works a 专席 queue and with which penalty). Saved at once for the desk and the IVR; queues.conf
changes reach Asterisk with 应用到交换机 on /admin/lines, like the lines themselves."""
from __future__ import annotations

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import actor
from agent_console.render import page
from hotline.engine import ENGINE
from queues.queue_settings import STRATEGIES, QueueSettings, QueueSettingsError, parse_queue_settings
from queues.render import queue_defs


from .common import AdminInputError, done, read_json, refused

ACTION = "admin.queue_settings"


async def _queues(request: web.Request) -> list:
    lines = request.app[ENGINE].services.get("lines")
    return queue_defs(await lines.list() if lines else [])


async def _agents(request: web.Request) -> list:
    users = await request.app[ENGINE].services["accounts"].list_users()
    return [u for u in users if "agent" in u.role_set and u.active]


@requires("admin")
async def queues_page(request: web.Request) -> web.Response:
    chosen = request.app[ENGINE].services["queue_settings"]
    rows = []
    for q in await _queues(request):
        current = chosen.of(q.name) or QueueSettings(q.strategy, q.ring_timeout, q.wrapuptime)
        rows.append({"name": q.name, "label": q.label, "settings": current,
                     "penalties": [f"{u}={p}" for u, p in sorted(current.penalties.items())]})
    agents = [{"username": u.username, "name": u.display_name} for u in await _agents(request)]
    return page(request, "admin_queues.html", {"queues": rows, "strategies": STRATEGIES, "agents": agents})


@requires("admin")
async def save_queue(request: web.Request) -> web.Response:
    queue = request.match_info["queue"]
    chosen = request.app[ENGINE].services["queue_settings"]
    try:
        if queue not in {q.name for q in await _queues(request)}:
            raise AdminInputError("queue", "没有这个队列", "console.queues.unknown")
        known = {u.username for u in await _agents(request)}
        try:
            settings = parse_queue_settings(await read_json(request), known)
        except QueueSettingsError as exc:
            raise AdminInputError(exc.field, exc.message, exc.error_id) from None
    except AdminInputError as exc:
        return await refused(request, ACTION, queue, exc, 404 if exc.field == "queue" else 400)
    await chosen.save(queue, settings, actor(request).username)
    summary = (f"{queue} {settings.strategy} 振铃{settings.ring_timeout}s 话后{settings.wrapuptime}s "
               f"等待{settings.max_wait or '默认'} 专席{','.join(settings.members) or '全部'}")
    return await done(request, ACTION, summary, {"queue": queue, "settings": settings.as_dict(),
                                                 "message": "已保存。请到“热线与队列”页面应用到交换机"})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/queues", queues_page, name="admin-queues")
    router.add_post("/admin/queues/{queue}", save_queue)
