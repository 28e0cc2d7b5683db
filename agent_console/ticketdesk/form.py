"""What the agent's ticket form reads while the agent types: the category tree and the place lists, and a
preview of the suggested departments and the deadlines (live as urgency and category change)."""
from __future__ import annotations

import json

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import json_error
from hotline.engine import ENGINE
from tickets.codes import Urgency
from tickets.errors import TicketError
from tickets.views import format_local

from .errors import chinese
from .routing import suggestion_for, suggestion_json

UNIT_LABELS = {"minutes": "分钟", "working_days": "个工作日"}


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def limit_label(limit) -> str:
    return "" if limit is None else f"{limit.amount} {UNIT_LABELS.get(limit.unit, limit.unit)}"


def _text(data: dict, name: str, limit: int = 200) -> str | None:
    value = data.get(name)
    return value[:limit] if isinstance(value, str) and value.strip() else None


@requires("agent")
async def catalogue_tree(request: web.Request) -> web.Response:
    """The category picker's tree and the 事发地点 lists (districts with their streets)."""
    from tickets.catalogue import tree

    from .views import catalogue_of

    catalogue = catalogue_of(request)
    districts, streets = await catalogue.places()
    places = [{"code": d.code, "name": d.name,
               "streets": [{"code": s.code, "name": s.name} for s in sorted(streets.values(), key=lambda s: s.code)
                           if s.parent == d.code]}
              for d in sorted(districts.values(), key=lambda d: d.code)]
    return web.json_response({"ok": True, "tree": tree(await catalogue.rules()), "districts": places,
                              "urgencies": [{"code": u.value, "label": u.label} for u in Urgency]}, dumps=_dumps)


@requires("agent")
async def preview(request: web.Request) -> web.Response:
    """Suggestion and deadlines for the form as it stands now; changes nothing."""
    from .views import catalogue_of

    engine = request.app[ENGINE]
    try:
        data = await request.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return json_error("console.request.bad_json", "请求格式错误", 400)
    tickets, catalogue = engine.services["tickets"], catalogue_of(request)
    try:
        await tickets.reload_rules()
        due = tickets.preview_deadlines(engine.clock(), _text(data, "request_type", 16),
                                        _text(data, "urgency", 16) or "normal")
    except TicketError as exc:
        error_id, message, status = chinese(exc)
        return json_error(error_id, message, status)
    suggestion, guessed = await suggestion_for(engine.services, catalogue, _text(data, "category", 64),
                                               _text(data, "district", 32), _text(data, "content", 2000))
    names = {d.code: d.name for d in (await catalogue.departments()).all}
    return web.json_response({"ok": True, "suggestion": suggestion_json(suggestion, names),
                              "classifier_label": guessed or "",
                              "deadlines": {"accept_due": format_local(due["accept_due"]),
                                            "accept_limit": limit_label(due["accept_limit"]),
                                            "complete_due": format_local(due["complete_due"]),
                                            "complete_limit": limit_label(due["complete_limit"])}}, dumps=_dumps)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/agent/catalogue", catalogue_tree, name="agent-catalogue")
    router.add_post("/agent/form/preview", preview, name="agent-form-preview")
