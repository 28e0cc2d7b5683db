"""合作方接口 for admins: partners and their keys (add one, shown once; revoke), and the last webhook
deliveries, so a partner that is down is visible (pending with its error, then failed)."""
from __future__ import annotations

from aiohttp import web
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from agent_console.accounts.models import ROLE_LABELS
from agent_console.auth.access import requires
from agent_console.context import CONSOLE, SESSION, actor
from tickets.views import format_local

from .directory import PartnerError
from .keys import SCOPES
from .views import PARTNER_API

STATUS = {"pending": "待重试", "delivered": "已送达", "failed": "已放弃"}
_ENV = Environment(loader=ChoiceLoader([PackageLoader("channels", "partner/templates"),
                                        PackageLoader("agent_console", "templates")]),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.globals["role_labels"] = ROLE_LABELS


async def _page(request: web.Request, *, new_key: str = "", error: str = "", status: int = 200) -> web.Response:
    cap = request.app[PARTNER_API]
    keys = [{"partner": k.partner, "name": k.name, "prefix": k.prefix, "scopes": k.scopes,
             "revoked": format_local(k.revoked_at) if k.revoked_at else "",
             "used": format_local(k.last_used_at) if k.last_used_at else "从未", "webhook": k.webhook_url or ""}
            for k in await cap.directory.keys()]
    deliveries = [{"id": d.id, "event": f"{d.ticket_number}.{d.event_seq}", "status": STATUS.get(d.status, d.status),
                   "bad": d.status != "delivered", "attempts": d.attempts, "next": format_local(d.next_attempt_at),
                   "error": d.last_error or ""} for d in await cap.webhooks.deliveries(100)]
    live = request.get(SESSION)
    text = _ENV.get_template("admin_partners.html").render(
        user=live.user if live else None, roles=sorted(live.roles) if live else [],
        csrf_token=live.csrf_token if live else "", keys=keys, deliveries=deliveries, scopes=SCOPES,
        new_key=new_key, error=error)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


@requires("admin")
async def partners(request: web.Request) -> web.Response:
    return await _page(request)


@requires("admin")
async def add_key(request: web.Request) -> web.Response:
    form = await request.post()
    code, name = str(form.get("code", ""))[:64], str(form.get("name", ""))[:128]
    scopes = " ".join(s for s in SCOPES if form.get(s))
    audit = request.app[CONSOLE].audit
    try:
        key = await request.app[PARTNER_API].directory.add_key(code, name, scopes)
    except PartnerError as exc:
        await audit.record(actor(request), "admin.partner.key_add", code, "failed")
        return await _page(request, error=str(exc), status=400)
    await audit.record(actor(request), "admin.partner.key_add", f"{code} {key.split('_')[1]} {scopes}")
    return await _page(request, new_key=key)


@requires("admin")
async def revoke_key(request: web.Request) -> web.Response:
    prefix = request.match_info["prefix"][:16]
    done = await request.app[PARTNER_API].directory.revoke(prefix)
    await request.app[CONSOLE].audit.record(actor(request), "admin.partner.key_revoke", prefix,
                                            "ok" if done else "failed")
    raise web.HTTPSeeOther("/admin/partners")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/partners", partners)
    router.add_post("/admin/partners/keys", add_key)
    router.add_post("/admin/partners/keys/{prefix}/revoke", revoke_key)
