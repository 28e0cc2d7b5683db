"""/admin/users: 用户 list, add (roles, name, phone, initial password), change roles/phone/password,
disable and enable, unlock a login lock-out, and the password policy.

Disabling, removing a role and resetting a password revoke at once (auth/revocation.py): the
user's sessions end and its open pages close; a disabled agent's phone leaves every queue.
"""
from __future__ import annotations

import re

from aiohttp import web

from agent_console.accounts.models import ROLES
from agent_console.accounts.policy import MAX_LENGTH, PasswordPolicy, PolicyError, WeakPassword
from agent_console.accounts.service import AccountError, UnknownUser, UserExists, check_phone_interface
from agent_console.auth import revocation
from agent_console.auth.access import requires
from agent_console.context import CONSOLE, live_session
from agent_console.render import page
from hotline.engine import ENGINE

from .common import AdminInputError, bool_field, done, read_json, refused, text_field
from .store import PASSWORD_POLICY

_USERNAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _user_json(user) -> dict:
    return {"username": user.username, "display_name": user.display_name, "roles": sorted(user.role_set),
            "phone_interface": user.phone_interface or "", "active": bool(user.active),
            "department": user.department_code or ""}


def _roles(data: dict) -> list[str]:
    roles = data.get("roles")
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r in ROLES for r in roles):
        raise AdminInputError("roles", "请至少选择一个角色：坐席、班长/质检、管理员、承办人、单位负责人")
    return sorted(set(roles))


def _phone(data: dict) -> str | None:
    phone = text_field(data, "phone_interface", "话机", 128, required=False)
    try:
        return check_phone_interface(phone or None)
    except AccountError:
        raise AdminInputError("phone_interface", "话机应为交换机设备名，例如 PJSIP/8001") from None


async def _department(request: web.Request, data: dict) -> str | None:
    """The 承办单位 chosen on the form: '' for none, else a known department's code."""
    code = text_field(data, "department", "承办单位", 32, required=False)
    if code and code not in {d.code for d in await _departments(request)}:
        raise AdminInputError("department", f"承办单位“{code}”不存在或已停用")
    return code or None


async def _departments(request: web.Request):
    return await request.app[ENGINE].services["tickets"].list_departments()


def _password(data: dict) -> str:
    """Shape only; the policy (length, classes, reuse) is the account service's."""
    password = data.get("password")
    if not isinstance(password, str):
        password = ""  # the policy then says how long it must be
    if len(password) > MAX_LENGTH:
        raise AdminInputError("password", f"密码不能超过 {MAX_LENGTH} 个字符")
    return password


def _account_error(exc: Exception) -> AdminInputError:
    if isinstance(exc, AdminInputError):
        return exc
    if isinstance(exc, UserExists):
        return AdminInputError("username", "用户名已存在", "console.admin.user_exists")
    if isinstance(exc, UnknownUser):
        return AdminInputError("username", "用户不存在", "console.admin.unknown_user")
    if isinstance(exc, WeakPassword):
        return AdminInputError("password", str(exc))
    if isinstance(exc, AccountError) and " (" in str(exc) and not str(exc).isascii():
        return AdminInputError("department", str(exc).split(" (")[0])
    return AdminInputError("body", f"保存失败：{exc}")


async def _listing(request: web.Request) -> list[dict]:
    return [_user_json(u) for u in await request.app[ENGINE].services["accounts"].list_users()]


async def _lockouts(request: web.Request) -> list[dict]:
    return [{"username": lock.username, "address": lock.address, "failures": lock.failures,
             "minutes": max(1, round(lock.retry_after / 60))}
            for lock in await request.app[CONSOLE].limiter.lockouts()]


@requires("admin")
async def users_page(request: web.Request) -> web.Response:
    policy = request.app[ENGINE].services["accounts"].policy
    return page(request, "admin_users.html", {"users": await _listing(request), "all_roles": ROLES,
                                              "policy": policy, "policy_text": policy.describe(),
                                              "lockouts": await _lockouts(request),
                                              "departments": await _departments(request)})


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
        department = await _department(request, data)
        await accounts.add_user(username, password, roles, display, phone_interface=phone,
                                department_code=department)
    except (AdminInputError, AccountError, WeakPassword) as exc:
        exc = _account_error(exc)
        return await refused(request, "admin.user.add", username, exc, 409 if exc.error_id == "console.admin.user_exists" else 400)
    return await done(request, "admin.user.add",
                      f"{username} {','.join(roles)} {phone or ''} {department or ''}".strip(),
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
        department = await _department(request, data) if "department" in data else None
        before = await accounts.get_by_name(username)
        user = await accounts.set_roles(username, roles, "" if "department" in data and not department
                                        else department)
        removed = sorted(before.role_set - set(roles)) if before is not None else []
        label = f"{username} {','.join(roles)} {user.department_code or ''}".strip()
        if removed and not _self(request, username):
            ended = await request.app[CONSOLE].revoker.revoke(user, revocation.ROLES_CHANGED)
            return f"{label} (removed {','.join(removed)}: {ended.summary()})"
        return label
    return await _change(request, "admin.user.roles", apply)


@requires("admin")
async def set_phone(request: web.Request) -> web.Response:
    async def apply(accounts, username, data):
        if not isinstance(data.get("phone_interface"), str):  # {} once unbound the phone silently (issue 11.7)
            raise AdminInputError("phone_interface", "请填写话机（如 PJSIP/8001）；解除绑定请提交空的话机")
        phone = _phone(data)
        await accounts.set_phone_interface(username, phone)
        return f"{username} {phone or '-'}"
    return await _change(request, "admin.user.phone", apply)


@requires("admin")
async def set_active(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]

    async def apply(accounts, username, data):
        active = bool_field(data, "active", "启用标记")
        if _self(request, username) and not active:
            raise AdminInputError("active", "不能停用自己的账号")
        user = await accounts.set_active(username, active)
        if active:
            return f"{username} enabled"
        ended = await console.revoker.disable(user)
        return f"{username} disabled: {ended.summary()}"
    return await _change(request, "admin.user.active", apply)


@requires("admin")
async def reset_password(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]

    async def apply(accounts, username, data):
        user = await accounts.set_password(username, _password(data))
        if _self(request, username):
            return username
        ended = await console.revoker.revoke(user, revocation.PASSWORD_CHANGED)
        return f"{username}: {ended.summary()}"
    return await _change(request, "admin.user.password", apply)


@requires("admin")
async def unlock(request: web.Request) -> web.Response:
    """解除登录锁定: every address's failures for this username are forgotten."""
    username = request.match_info["username"]
    if not _USERNAME.match(username):
        return await refused(request, "admin.user.unlock", username[:64],
                             AdminInputError("username", "用户名格式错误"), 400)
    pairs = await request.app[CONSOLE].limiter.unlock(username)
    return await done(request, "admin.user.unlock", f"{username} ({pairs} addresses)",
                      {"message": f"已解除 {username} 的登录锁定", "lockouts": await _lockouts(request)})


@requires("admin")
async def set_password_policy(request: web.Request) -> web.Response:
    from .runtime import STORE

    engine = request.app[ENGINE]
    try:
        policy = PasswordPolicy.from_dict(await read_json(request))
    except (AdminInputError, PolicyError) as exc:
        exc = exc if isinstance(exc, AdminInputError) else AdminInputError(exc.field, exc.message)
        return await refused(request, "admin.password_policy", exc.field, exc, 400)
    await engine.services[STORE].put(PASSWORD_POLICY, policy.to_dict(), live_session(request).user.username)
    engine.services["accounts"].policy = policy
    return await done(request, "admin.password_policy", " ".join(f"{k}={v}" for k, v in policy.to_dict().items()),
                      {"message": f"密码策略已保存：{policy.describe()}", "policy": policy.to_dict()})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/users", users_page, name="admin-users")
    router.add_post("/admin/users", add_user)
    router.add_post("/admin/users/{username}/roles", set_roles)
    router.add_post("/admin/users/{username}/phone", set_phone)
    router.add_post("/admin/users/{username}/active", set_active)
    router.add_post("/admin/users/{username}/password", reset_password)
    router.add_post("/admin/users/{username}/unlock", unlock)
    router.add_post("/admin/password-policy", set_password_policy)
