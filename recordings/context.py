"""What the recordings capability keeps on the aiohttp app, and its pages' renderer.

Pages extend the console's base.html: the loader looks in recordings/templates first, then
in agent_console/templates, and the base context is the one the console's `page()` gives.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from agent_console.accounts.models import ROLE_LABELS

from .catalogue import Catalogue
from .listens import ListenLedger
from .recorder import Recorder
from .retention import Retention
from .schedule import RetentionSchedule
from .settings import RecordingsSettings


def make_templates() -> Environment:
    env = Environment(loader=ChoiceLoader([PackageLoader("recordings", "templates"),
                                           PackageLoader("agent_console", "templates")]),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["role_labels"] = ROLE_LABELS
    env.filters["local"] = _local
    env.filters["mmss"] = _mmss
    return env


def _local(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def _mmss(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = int(round(seconds))
    return f"{whole // 60:d}:{whole % 60:02d}"


@dataclass
class Recordings:
    settings: RecordingsSettings
    listens: ListenLedger
    templates: Environment = field(default_factory=make_templates)
    catalogue: Catalogue | None = None      # built once the database is up
    recorder: Recorder | None = None
    retention: Retention | None = None
    schedule: RetentionSchedule | None = None


RECORDINGS = web.AppKey("recordings", Recordings)


def render(request: web.Request, name: str, context: dict, *, status: int = 200) -> web.Response:
    from agent_console.context import SESSION

    live = request.get(SESSION)
    base = {"user": live.user if live else None, "roles": sorted(live.roles) if live else [],
            "csrf_token": live.csrf_token if live else ""}
    text = request.app[RECORDINGS].templates.get_template(name).render(**base, **context)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
