"""What the console keeps on the aiohttp application and on each request."""
from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from agent_console.audit.service import Actor, AuditLog
from agent_console.auth.ratelimit import LoginLimiter
from agent_console.auth.sessions import LiveSession, SessionStore
from agent_console.live.hub import LiveHub
from agent_console.render import Templates
from agent_console.settings import ConsoleSettings


@dataclass
class Console:
    settings: ConsoleSettings
    templates: Templates
    limiter: LoginLimiter
    sessions: SessionStore | None = None  # built once the database is up
    audit: AuditLog | None = None
    hub: LiveHub | None = None
    pops: object | None = None       # screenpop.pops.ScreenPops, once the engine's services exist
    wallboard: object | None = None  # wallboard.board.Wallboard


CONSOLE = web.AppKey("console", Console)
SESSION = web.RequestKey("console.session", object)  # LiveSession or None


def live_session(request: web.Request) -> LiveSession | None:
    return request.get(SESSION)  # type: ignore[return-value]


def actor(request: web.Request) -> Actor:
    live = live_session(request)
    return Actor(live.user.id if live else None, live.user.username if live else "", request.remote or "")


def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.headers.get(
        "X-Requested-With") == "fetch"


def json_error(error_id: str, message: str, status: int, **extra) -> web.Response:
    return web.json_response({"ok": False, "error": {"id": error_id, "message": message, **extra}}, status=status,
                             dumps=_dumps)


def _dumps(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)
