"""工单查询 routes: GET /tickets (the list) and GET /tickets/{number}/page (one ticket, HTML)."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import or_, select

from agent_console.accounts.models import DEPARTMENT_ROLES
from agent_console.auth.access import requires
from agent_console.context import live_session
from agent_console.department.rows import CONFIDENTIAL, row
from agent_console.render import page
from agent_console.ticketdesk.access import TicketForbidden
from agent_console.ticketdesk.errors import chinese
from agent_console.ticketdesk.views import guarded_ticket
from calls.models import CallRecord
from hotline.engine import ENGINE
from recordings.models import Recording
from tickets.codes import Status
from tickets.errors import TicketError
from tickets.views import SHANGHAI, TicketView, format_local
from transfer.models import LedgerRow

from .listing import MARKS, PAGE_SIZE, build_query, cursor_of, department_id, parse_filters, passed_down_ids
from .timeline import timeline

ROLES = ("agent", "department", "department_lead", "supervisor")
STATUSES = tuple((s.value, s.label) for s in Status if s is not Status.DRAFT)


def _dept_of(live) -> str | None:
    return live.user.department_code if live.roles & DEPARTMENT_ROLES else None


@requires(*ROLES)
async def ticket_list(request: web.Request) -> web.Response:
    engine, live = request.app[ENGINE], live_session(request)
    f = parse_filters(request.query)
    tickets = engine.services["tickets"]
    async with engine.sessions() as session:
        own = await department_id(session, _dept_of(live))
        wanted = await department_id(session, f.department) if f.department else None
        stmt = build_query(f, roles=frozenset(live.roles), username=live.user.username, department_id=own,
                           filter_department_id=wanted if wanted is not None else -1,
                           passed_down=await passed_down_ids(session, own))
        found = (await session.execute(stmt)).all()
    now, mine = engine.clock(), _dept_of(live)
    rows = []
    for ticket, mark in found[:PAGE_SIZE]:
        view = TicketView.of(ticket)
        r = row(view, now, mine)
        r.update(created=format_local(view.created_at), line=view.line_dialed or "",
                 lead=view.lead_department.name if view.lead_department else "",
                 watch=MARKS.get(mark or "", ""), watch_code=mark or "", confidential=view.confidential,
                 content=CONFIDENTIAL if view.confidential else (view.content or "")[:60])
        rows.append(r)
    more = len(found) > PAGE_SIZE
    next_link = "/tickets?" + urlencode(f.query(after=cursor_of(found[PAGE_SIZE - 1][0]))) if more else ""
    return page(request, "ticket_list.html", {
        "rows": rows, "f": f, "statuses": STATUSES, "marks": MARKS, "departments": await tickets.list_departments(),
        "next_link": next_link, "first_link": "/tickets?" + urlencode(f.query()) if f.after else "",
        "errors": f.errors, "district_ready": True})


async def _related(request: web.Request, t: TicketView, *, recordings: bool):
    engine = request.app[ENGINE]
    link = [CallRecord.ticket_number == t.number] + ([CallRecord.linkedid == t.call_id] if t.call_id else [])
    rlink = [Recording.ticket_number == t.number] + ([Recording.linkedid == t.call_id] if t.call_id else [])
    async with engine.sessions() as session:
        calls = list(await session.scalars(select(CallRecord).where(or_(*link)).order_by(CallRecord.started_at)))
        recs = list(await session.scalars(select(Recording).where(or_(*rlink), Recording.state != "deleted")
                                          .order_by(Recording.started_at))) if recordings else []
        transfers = list(await session.scalars(select(LedgerRow).where(LedgerRow.ticket == t.number)
                                               .order_by(LedgerRow.started_at)))
    return calls, recs, transfers


async def _attachments(request: web.Request, number: str) -> list[dict]:
    """Attachments come from the department work (h12dept) once it exists: a service with for_ticket()."""
    service = request.app[ENGINE].services.get("attachments")
    finder = getattr(service, "for_ticket", None)
    return list(await finder(number)) if finder is not None else []


@requires(*ROLES)
async def ticket_page(request: web.Request) -> web.Response:
    """One ticket with its whole timeline; the access rule audits a refusal and every confidential view."""
    engine, live, number = request.app[ENGINE], live_session(request), request.match_info["number"]
    try:
        t = await guarded_ticket(request, number)
    except TicketForbidden as exc:
        return page(request, "forbidden.html", {"path": request.path, "message": exc.message}, status=403)
    except TicketError as exc:
        _, message, status = chinese(exc)
        return page(request, "forbidden.html", {"path": request.path, "message": message}, status=status)
    names = {d.code: d.name for d in await engine.services["tickets"].list_departments()}
    allowed_recordings = "supervisor" in live.roles
    calls, recs, transfers = await _related(request, t, recordings=allowed_recordings)
    supervision = engine.services.get("supervision")
    orders, notices = await supervision.of_ticket(t.number) if supervision is not None else ([], [])
    entries = timeline(await engine.services["tickets"].history(t.number), names, calls=calls, recordings=recs,
                       transfers=transfers, attachments=await _attachments(request, t.number), orders=orders,
                       notices=notices)
    mine = _dept_of(live)
    handling = mine is not None and mine in {d.code for d in (t.lead_department, *t.co_departments) if d}
    return page(request, "ticket_page.html", {
        "t": t, "r": row(t, engine.clock(), mine), "timeline": entries, "workspace": handling,
        "can_supervise": "supervisor" in live.roles, "recordings_hidden": not allowed_recordings,
        "created": format_local(t.created_at),
        "default_due": (engine.clock() + timedelta(hours=4)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/tickets", ticket_list, name="ticket-list")
    router.add_get("/tickets/{number}/page", ticket_page, name="ticket-page")
