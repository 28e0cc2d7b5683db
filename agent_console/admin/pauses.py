"""/admin/pauses: 示忙原因, edited at runtime; the agent desk offers the new list on its next page load."""
from __future__ import annotations

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor
from agent_console.render import page
from hotline.engine import ENGINE

from .common import AdminInputError, done, read_json, refused
from .runtime import STORE, parse_pause_reasons, use_pause_reasons
from .store import PAUSE_REASONS


@requires("admin")
async def pauses_page(request: web.Request) -> web.Response:
    return page(request, "admin_pauses.html", {"reasons": list(request.app[CONSOLE].settings.pause_reasons)})


@requires("admin")
async def save_pauses(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    try:
        reasons = parse_pause_reasons((await read_json(request)).get("reasons"))
    except AdminInputError as exc:
        return await refused(request, "admin.pause_reasons.set", "", exc)
    await request.app[ENGINE].services[STORE].put(PAUSE_REASONS, list(reasons), actor(request).username)
    use_pause_reasons(console, reasons)
    return await done(request, "admin.pause_reasons.set", "、".join(reasons), {"reasons": list(reasons)})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/pauses", pauses_page, name="admin-pauses")
    router.add_post("/admin/pauses", save_pauses)
