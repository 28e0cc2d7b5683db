"""联动台账 page for supervisors and the sub-center list of the desk's transfer panel.

The transfer capability owns the JSON API (/transfer/...); these are the console's views of it.
The page is audited exactly as the API is (``transfer.ledger_view``); numbers are masked on it.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, json_error
from agent_console.render import page
from hotline.engine import ENGINE
from tickets.validation import mask_number
from transfer.service import IVR_ACTOR
from transfer.settings import TransferSettings
from transfer.subcenters import subcenter_dial

from . import labels

LEDGER_VIEW = "transfer.ledger_view"
KIND_CHOICES = {"": "全部", "emergency": labels.KINDS["emergency"], "subcenter": labels.KINDS["subcenter"]}


def _zone(request: web.Request) -> ZoneInfo:
    engine_section = getattr(request.app[ENGINE].config, "engine", None)
    return ZoneInfo(getattr(engine_section, "timezone", "Asia/Shanghai"))


def ledger_row(entry, zone: ZoneInfo) -> dict:
    """One ledger entry as the page shows it: Chinese labels, local times, the number masked."""
    def when(moment) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"

    target = labels.EMERGENCY_TARGETS.get(entry.target, entry.target) if entry.kind == "emergency" else entry.target
    ivr = entry.actor == IVR_ACTOR
    return {"id": entry.id, "kind": labels.label(labels.KINDS, entry.kind), "target": target,
            "mode": labels.IVR_MODE if ivr else labels.mode_label(entry.kind, entry.mode), "state": labels.label(labels.STATES, entry.state),
            "result": labels.label(labels.RESULTS, entry.result), "failed": entry.result in labels.FAILED_STATES,
            "ticket": entry.ticket or "—", "citizen": mask_number(entry.citizen_number or "") or "未显示号码",
            "actor": labels.IVR_ACTOR if ivr else entry.actor, "summary": entry.summary or "", "started": when(entry.started_at),
            "answered": when(entry.answered_at), "ended": when(entry.ended_at)}


@requires("supervisor")
async def ledger_page(request: web.Request) -> web.Response:
    kind = request.query.get("kind", "")
    context = {"kinds": KIND_CHOICES, "kind": kind, "rows": [], "error": ""}
    if kind not in KIND_CHOICES:
        return page(request, "ledger.html", {**context, "kind": "", "error": "类型只能是应急联动或分中心转接"},
                    status=400)
    service = request.app[ENGINE].services.get("transfers")
    if service is None:
        return page(request, "ledger.html", {**context, "error": "转接服务未启动，暂时无法查看台账"}, status=503)
    entries = await service.ledger.list(kind=kind or None)
    await request.app[CONSOLE].audit.record(actor(request), LEDGER_VIEW, kind or "all")
    zone = _zone(request)
    return page(request, "ledger.html", {**context, "rows": [ledger_row(e, zone) for e in entries]})


@requires("agent")
async def subcenters(request: web.Request) -> web.Response:
    """The 设分中心 lines a call can be handed to (a number or a queue; POST /transfer/subcenter {line})."""
    lines = request.app[ENGINE].services.get("lines")
    if lines is None:
        return json_error("console.lines.unavailable", "热线配置服务未启动", 503)
    transfers = request.app[ENGINE].services.get("transfers")
    context = (transfers.settings if transfers else TransferSettings).subcenter_queue_context
    found = [line for line in await lines.list() if subcenter_dial(line, context) is not None]
    return web.json_response({"ok": True, "subcenters": [{"line": line.number, "name": line.name} for line in found]},
                             dumps=_dumps)


def _dumps(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/transfer/ledger/page", ledger_page, name="transfer-ledger-page")
    router.add_get("/agent/subcenters", subcenters, name="agent-subcenters")
