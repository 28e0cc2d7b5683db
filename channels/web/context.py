"""What the citizen's pages keep on the aiohttp app, and their renderer (own mobile base page)."""
from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from agent_console.accounts.models import ROLE_LABELS

from channels.ratelimit import InFlight, WindowLimiter

from .desk import CitizenDesk


def make_templates() -> Environment:
    """The public pages' templates are read once: no file-system check per render (the intake page is
    served hundreds of times a second; a changed template needs an engine restart, as code does)."""
    return Environment(loader=PackageLoader("channels", "web/templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False)


def make_center_templates() -> Environment:
    """The center's pages extend the console's base.html (nav, CSRF meta)."""
    env = Environment(loader=ChoiceLoader([PackageLoader("channels", "web/templates"),
                                           PackageLoader("agent_console", "templates")]),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["role_labels"] = ROLE_LABELS
    return env


@dataclass
class Citizen:
    limits: dict[str, WindowLimiter]
    in_flight: InFlight = field(default_factory=lambda: InFlight(8))  # shared by the web form and SMS uplink
    templates: Environment = field(default_factory=make_templates)
    center_templates: Environment = field(default_factory=make_center_templates)
    desk: CitizenDesk | None = None  # built once the database and the ticket store are up


CITIZEN = web.AppKey("citizen", Citizen)


def render(request: web.Request, name: str, context: dict, *, status: int = 200) -> web.Response:
    text = request.app[CITIZEN].templates.get_template(name).render(**context)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
