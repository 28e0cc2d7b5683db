"""Mounting the console on the engine's aiohttp application.

``setup_console(app)`` is called from ``hotline.engine.build_app``: it adds the routes, the
access middleware and a cleanup context that builds the session store and the audit log
once the database is up (after the engine's own contexts). Later areas (screen pop,
wallboard, admin, websocket hub) add their routes through ``add_routes`` functions the
same way and declare their roles with ``@requires``.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from agent_console.audit.service import AuditLog
from agent_console.auth.access import access_middleware
from agent_console.auth.gate import LoginGate
from agent_console.auth.shared_limits import SharedLoginLimiter
from agent_console.auth.revocation import Revoker
from agent_console.auth.sessions import SessionStore
from agent_console.auth.transport import TrustedProxies
from agent_console.context import CONSOLE, Console
from agent_console.linkage import labels as linkage_labels
from agent_console.live.hub import LiveHub
from agent_console.render import Templates
from agent_console.screenpop.pops import ScreenPops
from agent_console.wallboard.board import Wallboard
from agent_console.settings import ConsoleSettings
from hotline.engine import ENGINE

STATIC = Path(__file__).parent / "static"


def setup_console(app: web.Application, settings: ConsoleSettings | None = None) -> Console:
    engine = app[ENGINE]
    settings = settings or ConsoleSettings.from_config(engine.config)
    console = Console(settings=settings, templates=Templates(),
                      limiter=SharedLoginLimiter(lambda: engine.sessions, lambda: engine.clock(), settings.login_limits),
                      proxies=TrustedProxies(settings.trusted_proxies),
                      login_gate=LoginGate(settings.login_concurrency, settings.login_wait_seconds,
                                           max_waiting=settings.login_queue))
    app[CONSOLE] = console
    console.templates.env.globals.update(linkage_labels=linkage_labels.panel_labels(),
                                         linkage_targets=dict(linkage_labels.EMERGENCY_TARGETS))
    from agent_console.department.files import body_too_large

    app.middlewares.append(body_too_large)  # outside the access check, which reads the form for CSRF
    app.middlewares.append(access_middleware)
    app.cleanup_ctx.append(_console_services)
    from agent_console.admin.runtime import admin_settings_context

    app.cleanup_ctx.append(admin_settings_context)
    app.on_shutdown.append(_close_live_pages)
    from agent_console.admin import views as admin_views
    from agent_console.agent import views as agent_views
    from agent_console.department import views as dept_views
    from agent_console.returns import views as returns_views
    from agent_console.department import files as dept_files
    from agent_console.extensions import views as extension_views
    from agent_console.linkage import views as linkage_views
    from agent_console.screenpop import views as pop_views
    from agent_console.ticketdesk import views as ticket_views
    from agent_console.views import health, home
    from agent_console.wallboard import views as wallboard_views

    from agent_console.supervisor import views as supervisor_views

    for area in (home, health, agent_views, pop_views, ticket_views, wallboard_views, admin_views,
                 linkage_views, dept_views, returns_views, supervisor_views, dept_files, extension_views):
        area.add_routes(app.router)
    from agent_console.ticketpages import views as ticket_pages

    ticket_pages.add_routes(app.router)  # 工单查询 (issue 12.7)
    from agent_console.merging import views as merging_views

    merging_views.add_routes(app.router)
    app.router.add_static("/static/", STATIC, name="static", append_version=True)
    return console


async def _console_services(app: web.Application) -> AsyncIterator[None]:
    engine, console = app[ENGINE], app[CONSOLE]
    console.sessions = SessionStore(
        engine.sessions, lambda: engine.clock(), key=console.settings.session_key,
        max_age=console.settings.session_max_age, idle_timeout=console.settings.session_idle_timeout,
        password_expired=lambda user: engine.services["accounts"].password_expired(user))
    console.audit = AuditLog(engine.sessions, lambda: engine.clock())
    engine.services["audit"] = console.audit
    engine.services["console_sessions"] = console.sessions
    await console.sessions.purge_expired()
    hub = console.hub = LiveHub(lambda: engine.clock(), batch_seconds=console.settings.live_batch_seconds,
                                tick_seconds=console.settings.live_tick_seconds, validate=console.sessions.alive)
    console.revoker = Revoker(console.sessions, hub, engine.ami, engine.services)
    pops = console.pops = ScreenPops(engine.services, lambda: engine.clock(), hub.changed, hub.push_now)
    board = console.wallboard = Wallboard(engine.services, engine.sessions, lambda: engine.clock(), hub.changed,
                                          ami=engine.ami, refresh_seconds=console.settings.chart_refresh_seconds)
    floor = engine.services.get("floor")
    if floor is not None:
        floor.listeners.append(pops.on_floor)
        floor.listeners.append(board.floor_changed)
        floor.listeners.append(hub.changed)
    hub.start()
    board.start()
    try:
        yield
    finally:
        if floor is not None:
            floor.listeners.remove(hub.changed)
            floor.listeners.remove(board.floor_changed)
            floor.listeners.remove(pops.on_floor)
        await board.close()
        await pops.close()
        await hub.close()
        engine.services["accounts"].pool.close()  # the argon2 worker processes end with the console


async def _close_live_pages(app: web.Application) -> None:
    """on_shutdown: open websockets would otherwise hold the server's graceful shutdown."""
    hub = app[CONSOLE].hub
    if hub is not None:
        await hub.close_pages()
