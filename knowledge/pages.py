"""Rendering the knowledge pages with the console's base layout (its templates are the fallback loader)."""
from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from aiohttp import web

from agent_console.accounts.models import ROLE_LABELS
from agent_console.context import live_session


class KnowledgePages:
    def __init__(self) -> None:
        loader = ChoiceLoader([PackageLoader("knowledge", "templates"), PackageLoader("agent_console", "templates")])
        self.env = Environment(loader=loader, autoescape=select_autoescape(default=True, default_for_string=True),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.globals["role_labels"] = ROLE_LABELS
        self.import_script = (Path(__file__).parent / "static" / "kb_import.js").read_text("utf-8")

    def page(self, request: web.Request, name: str, context: dict, *, status: int = 200) -> web.Response:
        live = live_session(request)
        base = {"user": live.user if live else None, "roles": sorted(live.roles) if live else [],
                "csrf_token": live.csrf_token if live else ""}
        text = self.env.get_template(name).render(**base, **context)
        return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
