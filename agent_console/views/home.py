"""The landing page after login, and the admin area's entry (admin pages slot in under /admin)."""
from __future__ import annotations

from aiohttp import web

from agent_console.accounts.models import DEPARTMENT_ROLES
from agent_console.auth.access import ANY_ROLE, requires
from agent_console.context import live_session
from agent_console.render import page
from hotline.engine import ENGINE


@requires(*ANY_ROLE)
async def home(request: web.Request) -> web.Response:
    roles = live_session(request).roles
    if roles == {"agent"}:
        raise web.HTTPFound("/agent")
    if roles and roles <= DEPARTMENT_ROLES:
        raise web.HTTPFound("/dept")
    return page(request, "home.html")


@requires("admin")
async def admin_index(request: web.Request) -> web.Response:
    users = await request.app[ENGINE].services["accounts"].list_users()
    return page(request, "admin.html", {"users": users})


def add_routes(router: web.UrlDispatcher) -> None:
    from . import account, login

    router.add_get("/", home, name="home")
    router.add_get("/login", login.login_form, name="login")
    router.add_post("/login", login.login_submit)
    router.add_post("/logout", login.logout, name="logout")
    router.add_get("/admin", admin_index, name="admin")
    account.add_routes(router)
