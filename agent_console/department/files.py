"""办理附件 download: reached only through the ticket (the one access rule), every download audited,
served only while the file is under the attachment directory with the checksum it was stored with."""
from __future__ import annotations

import asyncio
from urllib.parse import quote

from aiohttp import web

from agent_console.auth.access import requires
from agent_console.context import CONSOLE, actor, json_error
from agent_console.ticketdesk.access import TicketForbidden
from agent_console.ticketdesk.errors import chinese
from agent_console.ticketdesk.views import guarded_ticket
from hotline.engine import ENGINE
from tickets.attachments import CONTENT_TYPES, intact
from tickets.errors import TicketError

DOWNLOAD_ATTACHMENT = "download.attachment"


@requires("agent", "supervisor", "department", "department_lead")
async def download(request: web.Request) -> web.StreamResponse:
    console, who = request.app[CONSOLE], actor(request)
    number, handling = request.match_info["number"], request.app[ENGINE].services["handling"]
    target = f"{number} attachment {request.match_info['id']}"
    try:
        await guarded_ticket(request, number)  # refusals are audited there
        item = await handling.attachment(number, int(request.match_info["id"]))
    except TicketForbidden as exc:
        return json_error(exc.error_id, exc.message, exc.status)
    except TicketError as exc:
        error_id, message, status = (exc.error_id, exc.message, exc.status) if hasattr(exc, "status") \
            else chinese(exc)
        return json_error(error_id, message, status)
    if not await asyncio.to_thread(intact, handling.rules.directory, item.file_path, item.size, item.sha256):
        await console.audit.record(who, DOWNLOAD_ATTACHMENT, f"{target} damaged", "failed")
        return json_error("ticket.attachment.damaged", "附件文件缺失或已损坏，请联系系统管理员", 409)
    await console.audit.record(who, DOWNLOAD_ATTACHMENT, f"{target} {item.name}"[:256])
    return web.FileResponse(item.file_path, headers={
        "Content-Type": CONTENT_TYPES.get(item.kind, "application/octet-stream"),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.name)}",
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(r"/tickets/{number}/attachments/{id:\d{1,18}}", download, name="ticket-attachment")


@web.middleware
async def body_too_large(request: web.Request, handler):
    """A form bigger than the whole upload allowance (aiohttp's client_max_size) is refused before any
    handler reads it; say so in Chinese instead of aiohttp's English text."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        if not request.path.startswith("/dept/"):
            raise  # other forms (the citizen's /citizen/new) word their own limits
        rules = request.app[ENGINE].services["handling"].rules
        return json_error("console.request.too_large", f"上传内容过大：{rules.limit_text}", 413)
