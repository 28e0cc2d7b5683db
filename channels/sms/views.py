"""短信记录 for admins: the last messages sent or tried, so a gateway that is down is visible
(failed rows with the platform's answer), and the last citizens' SMS taken in (上行短信, with the draft
each became and how often the platform retried it). Numbers are masked; verification codes were masked
when stored."""
from __future__ import annotations

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import SESSION
from hotline.engine import ENGINE
from tickets.validation import mask_number
from tickets.views import format_local

KINDS = {"verify": "验证码", "ticket_number": "受理短信", "inbound_reply": "上行短信回复"}
STATUS = {"sent": "已发送", "failed": "发送失败"}


@requires("admin")
async def sms_log(request: web.Request) -> web.Response:
    from channels.web.context import CITIZEN

    outbox = request.app[ENGINE].services["sms"]
    rows = [{"at": format_local(m.at), "to": mask_number(m.to_number), "kind": KINDS.get(m.kind, m.kind),
             "status": STATUS.get(m.status, m.status), "failed": m.status != "sent", "error": m.error or "",
             "ticket": m.ticket_number or "", "text": m.text, "adapter": m.adapter}
            for m in await outbox.recent(200)]
    intake = request.app[ENGINE].services.get("sms_inbound")
    inbound = [{"at": format_local(m.received_at), "sender": mask_number(m.sender), "to": m.to_number,
                "ticket": m.ticket_number, "duplicates": m.duplicates, "text": m.text}
               for m in (await intake.recent(200) if intake is not None else [])]
    live = request.get(SESSION)
    text = request.app[CITIZEN].center_templates.get_template("admin_sms.html").render(
        user=live.user if live else None, roles=sorted(live.roles) if live else [],
        csrf_token=live.csrf_token if live else "", rows=rows, adapter=outbox.gateway.name,
        inbound=inbound)
    return web.Response(text=text, content_type="text/html", charset="utf-8")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/sms", sms_log, name="admin-sms")
