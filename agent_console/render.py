"""Jinja2 pages, autoescaped, with the signed-in user and CSRF token always in the context."""
from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from aiohttp import web

from agent_console.accounts.models import ROLE_LABELS


class Templates:
    def __init__(self) -> None:
        self.env = Environment(loader=PackageLoader("agent_console", "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.globals["role_labels"] = ROLE_LABELS

    def render(self, name: str, context: dict) -> str:
        return self.env.get_template(name).render(**context)


def page(request: web.Request, name: str, context: dict | None = None, *, status: int = 200) -> web.Response:
    from agent_console.context import CONSOLE, SESSION

    console = request.app[CONSOLE]
    live = request.get(SESSION)
    base = {"user": live.user if live else None, "roles": sorted(live.roles) if live else [],
            "csrf_token": live.csrf_token if live else ""}
    text = console.templates.render(name, {**base, **(context or {})})
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def capability_pages(package: str):
    """A `render(request, name, context, status=)` for a capability's own templates folder, which
    extend the console's base.html (looked up second) with the same base context as `page()`."""
    from jinja2 import ChoiceLoader

    env = Environment(loader=ChoiceLoader([PackageLoader(package, "templates"),
                                           PackageLoader("agent_console", "templates")]),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["role_labels"] = ROLE_LABELS

    def render(request: web.Request, name: str, context: dict, *, status: int = 200) -> web.Response:
        from agent_console.context import SESSION

        live = request.get(SESSION)
        base = {"user": live.user if live else None, "roles": sorted(live.roles) if live else [],
                "csrf_token": live.csrf_token if live else ""}
        text = env.get_template(name).render(**base, **context)
        return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
    return render
