"""/admin/departments: 部门 list, add (with its level 市直部门/区县/街道乡镇 and parent), rename,
deactivate (dispatch forms then stop offering it)."""
from __future__ import annotations

import re

from aiohttp import web
from sqlalchemy import select

from agent_console.auth.access import requires
from agent_console.render import page
from hotline.engine import ENGINE
from tickets.errors import TicketError, UnknownDepartment
from tickets.models import DEPARTMENT_KINDS, Department

from .common import AdminInputError, bool_field, done, read_json, refused, text_field

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
KIND_LABELS = {"city": "市直部门", "district": "区县", "street": "街道乡镇"}


async def _all(request: web.Request) -> list[dict]:
    """Active and inactive ones (TicketService lists only active departments), with their place in the tree."""
    async with request.app[ENGINE].sessions() as session:
        rows = list(await session.scalars(select(Department).order_by(Department.active.desc(), Department.code)))
    by_id = {d.id: d for d in rows}
    return [{"code": d.code, "name": d.name, "active": d.active, "kind": KIND_LABELS.get(d.kind, d.kind),
             "parent": by_id[d.parent_id].name if d.parent_id in by_id else ""} for d in rows]


async def _known(request: web.Request, code: str) -> dict:
    for dept in await _all(request):
        if dept["code"] == code:
            return dept
    raise AdminInputError("code", f"部门“{code[:32]}”不存在", "console.admin.unknown_department")


@requires("admin")
async def departments_page(request: web.Request) -> web.Response:
    return page(request, "admin_departments.html", {"departments": await _all(request)})


@requires("admin")
async def add_department(request: web.Request) -> web.Response:
    tickets, code = request.app[ENGINE].services["tickets"], ""
    try:
        data = await read_json(request)
        code = str(data.get("code", ""))[:32]
        code = text_field(data, "code", "部门编码", 32)
        if not _CODE.match(code):
            raise AdminInputError("code", "部门编码只能用字母、数字、- 或 _（最多 32 位）")
        name = text_field(data, "name", "部门名称", 128)
        kind = text_field(data, "kind", "部门层级", 16, required=False) or "city"
        if kind not in DEPARTMENT_KINDS:
            raise AdminInputError("kind", "部门层级应为市直部门、区县或街道乡镇")
        parent = text_field(data, "parent", "上级部门", 32, required=False) or None
        known = await _all(request)
        if any(d["code"] == code for d in known):
            raise AdminInputError("code", f"部门编码“{code}”已存在", "console.admin.department_exists")
        if parent is not None and not any(d["code"] == parent and d["active"] for d in known):
            raise AdminInputError("parent", f"上级部门“{parent}”不存在或已停用")
        await tickets.add_department(code, name, kind=kind, parent=parent)
    except (AdminInputError, TicketError) as exc:
        return await refused(request, "admin.department.add", code, _input(exc))
    return await done(request, "admin.department.add", f"{code} {name} {kind} {parent or ''}".strip(),
                      {"departments": await _all(request)})


@requires("admin")
async def rename_department(request: web.Request) -> web.Response:
    tickets, code = request.app[ENGINE].services["tickets"], request.match_info["code"]
    try:
        dept = await _known(request, code)
        name = text_field(await read_json(request), "name", "部门名称", 128)
        await tickets.add_department(code, name)  # also reactivates: restore the flag
        if not dept["active"]:
            await tickets.set_department_active(code, False)
    except (AdminInputError, TicketError) as exc:
        exc = _input(exc)
        status = 404 if exc.error_id == "console.admin.unknown_department" else 400
        return await refused(request, "admin.department.rename", code, exc, status)
    return await done(request, "admin.department.rename", f"{code} {dept['name']} -> {name}",
                      {"departments": await _all(request)})


@requires("admin")
async def set_active(request: web.Request) -> web.Response:
    tickets, code = request.app[ENGINE].services["tickets"], request.match_info["code"]
    action = "admin.department.active"
    try:
        active = bool_field(await read_json(request), "active", "启用标记")
        action = "admin.department." + ("activate" if active else "deactivate")
        await tickets.set_department_active(code, active)
    except UnknownDepartment:
        return await refused(request, action, code, AdminInputError(
            "code", f"部门“{code[:32]}”不存在", "console.admin.unknown_department"), 404)
    except AdminInputError as exc:
        return await refused(request, action, code, exc)
    return await done(request, action, code, {"departments": await _all(request)})


def _input(exc: Exception) -> AdminInputError:
    if isinstance(exc, AdminInputError):
        return exc
    return AdminInputError("name", f"保存失败：{exc}")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/departments", departments_page, name="admin-departments")
    router.add_post("/admin/departments", add_department)
    router.add_post("/admin/departments/{code}", rename_department)
    router.add_post("/admin/departments/{code}/active", set_active)
