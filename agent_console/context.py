"""What the console keeps on the aiohttp application and on each request."""
from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from agent_console.audit.service import Actor, AuditLog
from agent_console.auth.gate import LoginGate
from agent_console.auth.shared_limits import SharedLoginLimiter
from agent_console.auth.sessions import LiveSession, SessionStore
from agent_console.auth.transport import TrustedProxies, session_cookie_name
from agent_console.live.hub import LiveHub
from agent_console.render import Templates
from agent_console.settings import ConsoleSettings


@dataclass
class Console:
    settings: ConsoleSettings
    templates: Templates
    limiter: SharedLoginLimiter
    sessions: SessionStore | None = None  # built once the database is up
    audit: AuditLog | None = None
    hub: LiveHub | None = None
    pops: object | None = None       # screenpop.pops.ScreenPops, once the engine's services exist
    wallboard: object | None = None  # wallboard.board.Wallboard
    proxies: TrustedProxies = TrustedProxies()
    login_gate: LoginGate = field(default_factory=LoginGate)
    revoker: object | None = None    # auth.revocation.Revoker


CONSOLE = web.AppKey("console", Console)
SESSION = web.RequestKey("console.session", object)  # LiveSession or None


def live_session(request: web.Request) -> LiveSession | None:
    return request.get(SESSION)  # type: ignore[return-value]


def actor(request: web.Request) -> Actor:
    live = live_session(request)
    return Actor(live.user.id if live else None, live.user.username if live else "", client_ip(request))


def is_https(request: web.Request) -> bool:
    """Served over TLS, by aiohttp itself or by a trusted proxy that says so."""
    return request.app[CONSOLE].proxies.is_https(request)


def client_ip(request: web.Request) -> str:
    return request.app[CONSOLE].proxies.client_ip(request)


def secure_cookies(request: web.Request) -> bool:
    """Secure + __Host- session cookie: over TLS, or always when the settings say so (production)."""
    return request.app[CONSOLE].settings.secure_cookies or is_https(request)


def session_token(request: web.Request) -> str | None:
    """The session cookie by the name this transport uses (a TLS request reads only the __Host- one)."""
    return request.cookies.get(session_cookie_name(secure_cookies(request)))


def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.headers.get(
        "X-Requested-With") == "fetch"


def form_text(form, name: str) -> str | None:
    """A posted form field as trimmed text; absent, blank or not text is None."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def step_done(request: web.Request, message: str, location: str) -> web.Response:
    """A page form's step succeeded: JSON for the page's script, else back to the page (303)."""
    if wants_json(request):
        return web.json_response({"ok": True, "message": message})
    raise web.HTTPSeeOther(location)


def json_error(error_id: str, message: str, status: int, **extra) -> web.Response:
    return web.json_response({"ok": False, "error": {"id": error_id, "message": message, **extra}}, status=status,
                             dumps=_dumps)


def _dumps(obj) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False)
