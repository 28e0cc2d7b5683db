"""网上诉求受理: the center's list of web drafts, where an agent or supervisor checks a citizen's
request (type, wording) and 登记s it, optionally dispatching it to a lead department at once.

The citizen's contact number is shown masked here (the ticket page shows it to those allowed);
each registration is audited. WeChat drafts (channels/wechat) and SMS drafts (上行短信, channels/sms) are listed here too, with the
conversation (images as their MediaId/PicUrl reference). Drafts of other channels are not listed
(the phone ones belong to their call's screen pop).
"""
from __future__ import annotations

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, SESSION, actor, form_text
from agent_console.ticketdesk.errors import chinese
from hotline.engine import ENGINE
from tickets.codes import Channel, RequestType, Status
from tickets.errors import TicketError
from tickets.validation import mask_number
from tickets.views import format_local

from .context import CITIZEN

LIMIT = 200
LISTED = (Channel.WEB, Channel.WECHAT, Channel.SMS)


def _tickets(request: web.Request):
    return request.app[ENGINE].services["tickets"]


async def _page(request: web.Request, *, error: str = "", notice: str = "", status: int = 200) -> web.Response:
    drafts = [t for t in await _tickets(request).search(status="draft", limit=LIMIT) if t.channel in LISTED]
    store = request.app[CITIZEN].desk.attachments
    items = [{"number": t.number, "at": format_local(t.created_at),
              "type": t.request_type.value if t.request_type else "", "content": t.content or "",
              "address": t.address or "", "name": t.caller_name or "", "contact": mask_number(t.contact_number),
              "files": [(a.seq, a.name, a.size) for a in await store.of(t.number)],
              "channel": t.channel.label, "conversation": t.transcript if t.channel is Channel.WECHAT else ""}
             for t in sorted(drafts, key=lambda t: t.created_at)]
    live = request.get(SESSION)
    text = request.app[CITIZEN].center_templates.get_template("center_web.html").render(
        user=live.user if live else None, roles=sorted(live.roles) if live else [],
        csrf_token=live.csrf_token if live else "", items=items, error=error, notice=notice,
        request_types=[(t.value, t.label) for t in RequestType],
        departments=await _tickets(request).list_departments())
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


@requires("agent", "supervisor")
async def web_drafts(request: web.Request) -> web.Response:
    number = request.query.get("done", "")[:20]
    return await _page(request, notice=f"{number} 已受理登记" if number.isdigit() else "")


@requires("agent", "supervisor")
async def register_web(request: web.Request) -> web.Response:
    console, number, who = request.app[CONSOLE], request.match_info["number"], actor(request)
    tickets = _tickets(request)
    form = await request.post()
    try:
        ticket = await tickets.get(number)
        if ticket.channel not in LISTED or ticket.status is not Status.DRAFT:
            raise ValueError("该诉求已受理或不是网上诉求")
        await tickets.register(number, who.username, request_type=form_text(form, "request_type") or "",
                               content=form_text(form, "content") or "")
        lead = form_text(form, "department")
        if lead:
            await tickets.dispatch(number, lead, [], who.username, note=form_text(form, "note"),
                                   routing={"by": "manual", "channel": ticket.channel.value})
    except (TicketError, ValueError) as exc:
        message = chinese(exc)[1] if isinstance(exc, TicketError) else str(exc)
        await console.audit.record(who, "center.web.register", number[:20], "failed")
        return await _page(request, error=f"{number[:20]}：{message}", status=400)
    await console.audit.record(who, "center.web.register", number)
    raise web.HTTPSeeOther(f"/center/web?done={number}")


@requires("agent", "supervisor")
async def attachment(request: web.Request) -> web.StreamResponse:
    """One attachment of a web request, always as a download (never rendered inline), audited."""
    number, seq = request.match_info["number"][:20], request.match_info["seq"]
    found = await request.app[CITIZEN].desk.attachments.one(number, int(seq)) if seq.isdigit() and \
        len(seq) < 4 else None
    console = request.app[CONSOLE]
    if found is None:
        await console.audit.record(actor(request), "view.citizen_attachment", f"{number}/{seq[:8]}", "failed")
        raise web.HTTPNotFound(text="附件不存在")
    row, path = found
    await console.audit.record(actor(request), "view.citizen_attachment", f"{number}/{row.seq}")
    return web.FileResponse(path, headers={"Content-Type": row.content_type,
                                           "Content-Disposition": f'attachment; filename="{number}-{row.seq}.'
                                                                  f'{path.suffix.lstrip(".")}"'})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/center/web/{number}/attachments/{seq}", attachment, name="center-web-attachment")
    router.add_get("/center/web", web_drafts, name="center-web")
    router.add_post("/center/web/{number}/register", register_web, name="center-web-register")
