"""/admin/departments: 部门 list, add, rename, deactivate (dispatch forms then stop offering it)."""
from __future__ import annotations

import re

from aiohttp import web
from sqlalchemy import select

from agent_console.auth.access import requires
from agent_console.render import page
from hotline.engine import ENGINE
from tickets.errors import TicketError, UnknownDepartment
from tickets.models import Department

from .common import AdminInputError, bool_field, done, read_json, refused, text_field

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


async def _all(request: web.Request) -> list[dict]:
    """Active and inactive ones (TicketService lists only active departments)."""
    async with request.app[ENGINE].sessions() as session:
        rows = await session.scalars(select(Department).order_by(Department.active.desc(), Department.code))
        return [{"code": d.code, "name": d.name, "active": d.active} for d in rows]


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
        if any(d["code"] == code for d in await _all(request)):
            raise AdminInputError("code", f"部门编码“{code}”已存在", "console.admin.department_exists")
        await tickets.add_department(code, name)
    except (AdminInputError, TicketError) as exc:
        return await refused(request, "admin.department.add", code, _input(exc))
    return await done(request, "admin.department.add", f"{code} {name}", {"departments": await _all(request)})


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
