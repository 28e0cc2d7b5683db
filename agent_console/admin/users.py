"""/admin/users: 用户 list, add (roles, name, phone, initial password), change roles/phone/password,
disable (ends the user's sessions at once) and enable."""
from __future__ import annotations

import re

from aiohttp import web

from agent_console.accounts.models import ROLES
from agent_console.accounts.passwords import MIN_LENGTH, WeakPassword
from agent_console.accounts.service import AccountError, UnknownUser, UserExists, check_phone_interface
from agent_console.auth.access import requires
from agent_console.context import CONSOLE, live_session
from agent_console.render import page
from hotline.engine import ENGINE

from .common import AdminInputError, bool_field, done, read_json, refused, text_field

_USERNAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _user_json(user) -> dict:
    return {"username": user.username, "display_name": user.display_name, "roles": sorted(user.role_set),
            "phone_interface": user.phone_interface or "", "active": bool(user.active)}


def _roles(data: dict) -> list[str]:
    roles = data.get("roles")
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r in ROLES for r in roles):
        raise AdminInputError("roles", "请至少选择一个角色：坐席、班长/质检、管理员")
    return sorted(set(roles))


def _phone(data: dict) -> str | None:
    phone = text_field(data, "phone_interface", "话机", 128, required=False)
    try:
        return check_phone_interface(phone or None)
    except AccountError:
        raise AdminInputError("phone_interface", "话机应为交换机设备名，例如 PJSIP/8001") from None


def _password(data: dict) -> str:
    password = data.get("password")
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise AdminInputError("password", f"密码至少需要 {MIN_LENGTH} 个字符")
    if len(password) > 256:
        raise AdminInputError("password", "密码不能超过 256 个字符")
    return password


def _account_error(exc: Exception) -> AdminInputError:
    if isinstance(exc, AdminInputError):
        return exc
    if isinstance(exc, UserExists):
        return AdminInputError("username", "用户名已存在", "console.admin.user_exists")
    if isinstance(exc, UnknownUser):
        return AdminInputError("username", "用户不存在", "console.admin.unknown_user")
    if isinstance(exc, WeakPassword):
        return AdminInputError("password", str(exc).split(" (")[0])
    return AdminInputError("body", f"保存失败：{exc}")


async def _listing(request: web.Request) -> list[dict]:
    return [_user_json(u) for u in await request.app[ENGINE].services["accounts"].list_users()]


@requires("admin")
async def users_page(request: web.Request) -> web.Response:
    return page(request, "admin_users.html", {"users": await _listing(request), "all_roles": ROLES,
                                              "min_length": MIN_LENGTH})


@requires("admin")
async def add_user(request: web.Request) -> web.Response:
    accounts, username = request.app[ENGINE].services["accounts"], ""
    try:
        data = await read_json(request)
        username = text_field(data, "username", "用户名", 64)
        if not _USERNAME.match(username):
            raise AdminInputError("username", "用户名只能用字母、数字、- 或 _（最多 64 位）")
        display = text_field(data, "display_name", "姓名", 64, required=False) or username
        roles, phone, password = _roles(data), _phone(data), _password(data)
        await accounts.add_user(username, password, roles, display, phone_interface=phone)
    except (AdminInputError, AccountError, WeakPassword) as exc:
        exc = _account_error(exc)
        return await refused(request, "admin.user.add", username, exc, 409 if exc.error_id == "console.admin.user_exists" else 400)
    return await done(request, "admin.user.add", f"{username} {','.join(roles)} {phone or ''}".strip(),
                      {"users": await _listing(request)})


async def _change(request: web.Request, action: str, apply) -> web.Response:
    """Shared shape of the per-user edits: parse, refuse in Chinese, audit, answer with the new list."""
    username = request.match_info["username"]
    try:
        target = await apply(request.app[ENGINE].services["accounts"], username, await read_json(request))
    except (AdminInputError, AccountError, WeakPassword) as exc:
        exc = _account_error(exc)
        status = 404 if exc.error_id == "console.admin.unknown_user" else 400
        return await refused(request, action, username, exc, status)
    return await done(request, action, target, {"users": await _listing(request)})


def _self(request: web.Request, username: str) -> bool:
    live = live_session(request)
    return live is not None and live.user.username == username


@requires("admin")
async def set_roles(request: web.Request) -> web.Response:
    async def apply(accounts, username, data):
        roles = _roles(data)
        if _self(request, username) and "admin" not in roles:
            raise AdminInputError("roles", "不能取消自己的管理员角色")
        await accounts.set_roles(username, roles)
        return f"{username} {','.join(roles)}"
    return await _change(request, "admin.user.roles", apply)


@requires("admin")
async def set_phone(request: web.Request) -> web.Response:
    async def apply(accounts, username, data):
        phone = _phone(data)
        await accounts.set_phone_interface(username, phone)
        return f"{username} {phone or '-'}"
    return await _change(request, "admin.user.phone", apply)


@requires("admin")
async def set_active(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    ended = 0

    async def apply(accounts, username, data):
        nonlocal ended
        active = bool_field(data, "active", "启用标记")
        if _self(request, username) and not active:
            raise AdminInputError("active", "不能停用自己的账号")
        user = await accounts.set_active(username, active)
        if not active:
            ended = await console.sessions.destroy_user(user.id)
        return f"{username} {'enabled' if active else f'disabled, {ended} sessions ended'}"
    return await _change(request, "admin.user.active", apply)


@requires("admin")
async def reset_password(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]

    async def apply(accounts, username, data):
        user = await accounts.set_password(username, _password(data))
        if not _self(request, username):
            await console.sessions.destroy_user(user.id)
        return username
    return await _change(request, "admin.user.password", apply)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/users", users_page, name="admin-users")
    router.add_post("/admin/users", add_user)
    router.add_post("/admin/users/{username}/roles", set_roles)
    router.add_post("/admin/users/{username}/phone", set_phone)
    router.add_post("/admin/users/{username}/active", set_active)
    router.add_post("/admin/users/{username}/password", reset_password)
