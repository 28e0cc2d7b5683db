"""/admin/lines: merged hotlines list/edit, the rendered Asterisk config as a diff, apply with an AMI reload."""
from __future__ import annotations

import asyncio
import json

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, json_error
from agent_console.render import page
from hotline.engine import ENGINE
from queues.models import MODE_LABELS, MergeMode
from queues.render import RenderError

from .lineform import EDITABLE_MODES, LineFormError, parse_line

NO_DIRECTORY = ("未配置 Asterisk 配置目录（[asterisk] config_dir），无法预览或应用。"
                "请在配置文件中设置后重启引擎。")


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _line_json(line) -> dict:
    return {"number": line.number, "name": line.name, "mode": line.mode.value, "mode_label": MODE_LABELS[line.mode],
            "queue": line.queue or "", "overflow_after": line.overflow_after, "dial_target": line.dial_target or "",
            "hours": line.hours, "enabled": line.enabled}


def _queue_settings(request: web.Request) -> dict:
    chosen = request.app[ENGINE].services.get("queue_settings")
    return dict(chosen.current) if chosen is not None else {}


def _directory(request: web.Request):
    return request.app[CONSOLE].settings.asterisk_config_dir


@requires("admin")
async def lines_page(request: web.Request) -> web.Response:
    lines = await request.app[ENGINE].services["lines"].list()
    return page(request, "admin_lines.html", {
        "lines": [_line_json(line) for line in lines], "departments": await _department_names(request),
        "modes": [(m.value, MODE_LABELS[m]) for m in EDITABLE_MODES],
        "directory": str(_directory(request) or ""), "no_directory": NO_DIRECTORY})


async def _json(request: web.Request) -> dict:
    try:
        data = await request.json()
    except ValueError:
        raise LineFormError("body", "请求格式错误") from None
    if not isinstance(data, dict):
        raise LineFormError("body", "请求格式错误")
    return data


async def _department_names(request: web.Request) -> list[str]:
    tickets = request.app[ENGINE].services.get("tickets")
    return [d.name for d in await tickets.list_departments()] if tickets is not None else []


@requires("admin")
async def save_line(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    lines = request.app[ENGINE].services["lines"]
    try:
        line, department, note = parse_line(await _json(request))
        if department and department not in await _department_names(request):
            raise LineFormError("department", f"主管部门“{department}”不在部门列表中，请先在“部门”页面添加")
        existing = await lines.get(line.number)
        if existing is not None and existing.mode is MergeMode.HUB:
            raise LineFormError("number", "12345 主号不能在这里修改")
        await lines.save(line, department, note)
        from tickets.subcenters import sync_subcenter_departments

        await sync_subcenter_departments(lines, request.app[ENGINE].services["tickets"])  # 分中心 = department
    except (LineFormError, RenderError, ValueError) as exc:
        message = exc.message if isinstance(exc, LineFormError) else f"保存失败：{exc}"
        await console.audit.record(actor(request), "admin.line_save", str(getattr(exc, "field", "")), "failed")
        return json_error("console.lines.invalid", message, 400, field=getattr(exc, "field", ""))
    await console.audit.record(actor(request), "admin.line_save", f"{line.number} {line.mode.value}")
    return web.json_response({"ok": True, "line": _line_json(line),
                              "lines": [_line_json(x) for x in await lines.list()]}, dumps=_dumps)


@requires("admin")
async def preview_lines(request: web.Request) -> web.Response:
    from queues.apply import preview

    directory = _directory(request)
    if directory is None:
        return json_error("console.lines.no_directory", NO_DIRECTORY, 409)
    config = request.app[ENGINE].config
    lines = await request.app[ENGINE].services["lines"].list()
    text = await asyncio.to_thread(preview, lines, config.emergency.targets(), directory,
                                   config.emergency.ring_timeout, config.agi.url(), _queue_settings(request))
    return web.json_response({"ok": True, "diff": text, "unchanged": not text}, dumps=_dumps)


@requires("admin")
async def apply_lines(request: web.Request) -> web.Response:
    from queues.apply import apply

    console = request.app[CONSOLE]
    directory = _directory(request)
    if directory is None:
        await console.audit.record(actor(request), "admin.lines_apply", "no config_dir", "failed")
        return json_error("console.lines.no_directory", NO_DIRECTORY, 409)
    engine = request.app[ENGINE]
    lines = await engine.services["lines"].list()
    servers = {name: client.send for name, client in engine.ami.items()}
    try:
        result = await apply(lines, engine.config.emergency.targets(), directory, servers,
                             engine.config.emergency.ring_timeout, engine.config.agi.url(), _queue_settings(request))
    except (OSError, RenderError) as exc:
        await console.audit.record(actor(request), "admin.lines_apply", str(directory)[:200], "failed")
        return json_error("console.lines.write_failed", f"写入配置文件失败：{exc}", 500)
    await console.audit.record(actor(request), "admin.lines_apply", ",".join(sorted(servers)) or "no server",
                               "ok" if result.ok and servers else "failed")
    return web.json_response({
        "ok": result.ok and bool(servers), "diff": result.diff, "written": [p.name for p in result.written],
        "reloaded": result.reloaded, "errors": result.errors,
        "message": _summary(result, servers)}, dumps=_dumps)


def _summary(result, servers) -> str:
    if not servers:
        return "配置已写入，但没有配置交换机连接，未执行重新加载"
    if result.ok:
        return f"配置已写入并已重新加载：{'、'.join(sorted(servers))}"
    failed = "；".join(f"{name}：{error}" for name, error in sorted(result.errors.items()))
    return f"配置已写入，但重新加载失败（{failed}）。交换机仍在使用旧配置，请检查后重试"


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/lines", lines_page, name="admin-lines")
    router.add_post("/admin/lines", save_line, name="admin-lines-save")
    router.add_get("/admin/lines/preview", preview_lines, name="admin-lines-preview")
    router.add_post("/admin/lines/apply", apply_lines, name="admin-lines-apply")
    from . import auditlog, catalogue, deadlines, departments, pauses, queuesettings, rules, users

    for area in (departments, users, pauses, rules, auditlog, queuesettings, catalogue, deadlines):
        area.add_routes(router)
