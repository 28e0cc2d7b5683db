"""The ticket list: filters read from the query string (pure), then one index-friendly query.

Paging is by keyset on (created_at, id) — newest first, a "下一页" cursor instead of OFFSET — so
every page costs the same on a million tickets (index ix_ticket_created_at; a department's list
uses ix_ticket_lead_department_id_created_at and ix_ticket_co_department_department_id, an agent's
ix_ticket_event_actor_ticket_id). The deadline state comes from the 督办 watch rows (refreshed
every minute by the sweep), not from computing every ticket's deadline.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import aliased

from agent_console.accounts.models import DEPARTMENT_ROLES
from agent_console.ticketdesk.access import CENTER_ROLES, HANDLED_ACTIONS
from supervision.models import Watch
from tickets.codes import Status
from tickets.handling_models import TicketAssignment
from tickets.id_among import id_among
from tickets.models import Department, Ticket, TicketEvent, ticket_co_department
from tickets.queries import with_departments
from tickets.search import text_matches
from tickets.views import SHANGHAI

PAGE_SIZE = 50
MARKS = {"green": "正常", "yellow": "即将超时", "red": "已超时"}


@dataclass(frozen=True)
class Filters:
    status: tuple[str, ...] = ()
    department: str | None = None
    mark: str | None = None
    line: str | None = None
    since: date | None = None
    until: date | None = None
    category: str | None = None
    district: str | None = None
    text: str | None = None
    after: tuple[datetime, int] | None = None  # keyset cursor: rows older than this one
    errors: tuple[str, ...] = field(default=(), compare=False)

    def query(self, **change) -> dict[str, str]:
        """The filters as a query string (for the next page link and the form)."""
        out = {"status": ",".join(self.status), "department": self.department or "", "mark": self.mark or "",
               "line": self.line or "", "since": self.since.isoformat() if self.since else "",
               "until": self.until.isoformat() if self.until else "", "category": self.category or "",
               "district": self.district or "", "q": self.text or ""}
        out.update(change)
        return {k: v for k, v in out.items() if v}


def _text(query: Mapping[str, str], name: str, limit: int = 100) -> str | None:
    value = (query.get(name) or "").strip()
    value = "".join(ch for ch in value if ch.isprintable())[:limit]
    return value or None


def parse_filters(query: Mapping[str, str]) -> Filters:
    """Unknown or malformed values are dropped with a message in Chinese; never an exception."""
    errors: list[str] = []
    status = []
    for code in (query.get("status") or "").split(","):
        if code.strip():
            try:
                status.append(Status.parse(code.strip()).value)
            except ValueError:
                errors.append("未知的工单状态已忽略")
    mark = _text(query, "mark")
    if mark is not None and mark not in MARKS:
        errors.append("未知的时限状态已忽略")
        mark = None
    dates = {}
    for name in ("since", "until"):
        value = _text(query, name, 10)
        try:
            dates[name] = date.fromisoformat(value) if value else None
        except ValueError:
            errors.append("日期格式应为 YYYY-MM-DD，已忽略")
            dates[name] = None
    after = None
    if cursor := _text(query, "after", 64):
        try:
            at, _, ident = cursor.rpartition("~")
            after = (datetime.fromisoformat(at), int(ident))
            if after[0].tzinfo is None:
                raise ValueError
        except ValueError:
            errors.append("分页参数无效，已回到第一页")
            after = None
    return Filters(status=tuple(status), department=_text(query, "department", 32), mark=mark,
                   line=_text(query, "line", 32), since=dates["since"], until=dates["until"],
                   category=_text(query, "category", 64), district=_text(query, "district", 64),
                   text=_text(query, "q", 100), after=after, errors=tuple(errors))


def cursor_of(ticket) -> str:
    return f"{ticket.created_at.isoformat()}~{ticket.id}"


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _number_prefix(prefix: str):
    """Numbers starting with `prefix` as a range the unique index on ticket.number can answer (a LIKE
    'x%' cannot use it under a non-C collation on PostgreSQL); digits sort alike in every collation."""
    prefix = prefix[:14]
    if len(prefix) == 14:
        return Ticket.number == prefix
    stripped = prefix.rstrip("9")
    if not stripped:
        return Ticket.number.like(f"{prefix}%")
    upper = stripped[:-1] + str(int(stripped[-1]) + 1)
    return and_(Ticket.number >= prefix, Ticket.number < upper, Ticket.number.like(f"{prefix}%"))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def scope(stmt: Select, roles: frozenset[str], username: str, department_id: int | None,
          passed_down: Sequence[int] = ()) -> Select:
    """Only the tickets this user reaches: the center all; a department those it leads or co-handles
    or its parent passed down to it;
    an agent those it registered, answered or dispatched. No role of these: nothing."""
    if roles & CENTER_ROLES:
        return stmt
    reach = []
    if roles & DEPARTMENT_ROLES and department_id is not None:
        co = select(ticket_co_department.c.ticket_id).where(ticket_co_department.c.department_id == department_id)
        reach += [Ticket.lead_department_id == department_id, Ticket.id.in_(co)]
        if passed_down:  # 二级派单: the ids its parent passed to it, read first (passed_down_ids)
            reach.append(Ticket.id.in_(list(passed_down)))
    if "agent" in roles:
        reach.append(id_among(Ticket.id, select(TicketEvent.ticket_id).where(  # read first, on the actor index
            TicketEvent.actor == username, TicketEvent.action.in_(HANDLED_ACTIONS))))
    return stmt.where(or_(*reach)) if reach else stmt.where(False)


def build_query(f: Filters, *, roles: frozenset[str], username: str, department_id: int | None,
                filter_department_id: int | None, limit: int = PAGE_SIZE, passed_down: Sequence[int] = ()) -> Select:
    stmt = scope(select(Ticket, Watch.mark).outerjoin(Watch, Watch.ticket_id == Ticket.id)
                 .where(Ticket.status != Status.DRAFT.value), roles, username, department_id, passed_down)
    if f.status:
        stmt = stmt.where(Ticket.status.in_(f.status))
    if f.department is not None:
        co = select(ticket_co_department.c.ticket_id).where(
            ticket_co_department.c.department_id == filter_department_id)
        stmt = stmt.where(or_(Ticket.lead_department_id == filter_department_id, Ticket.id.in_(co)))
    if f.mark is not None:
        stmt = stmt.where(Watch.mark == f.mark)
    if f.line is not None:
        stmt = stmt.where(Ticket.line_dialed == f.line)
    if f.since is not None:
        stmt = stmt.where(Ticket.created_at >= _day_start(f.since))
    if f.until is not None:
        stmt = stmt.where(Ticket.created_at < _day_start(f.until + timedelta(days=1)))
    if f.category is not None:  # a catalogue path prefix: "城市管理" finds "城市管理 › 市容环境 › 占道经营"
        stmt = stmt.where(Ticket.category.like(_like(f.category)[1:], escape="\\"))
    if f.district is not None:
        stmt = stmt.where(Ticket.district == f.district)
    if f.text is not None:
        if f.text.isdigit():
            stmt = stmt.where(or_(_number_prefix(f.text), Ticket.caller == f.text))
        else:  # indexed on PostgreSQL (tickets/search.py)
            stmt = stmt.where(text_matches(f.text, (Ticket.content, Ticket.category, Ticket.reply)))
    # by deadline state the watch index (mark, created_at, ticket_id) gives the order: same values, no sort
    created, ident_col = (Watch.created_at, Watch.ticket_id) if f.mark is not None else (Ticket.created_at, Ticket.id)
    if f.after is not None:
        at, ident = f.after
        stmt = stmt.where(or_(created < at, and_(created == at, ident_col < ident)))
    return with_departments(stmt.order_by(created.desc(), ident_col.desc()).limit(limit + 1))


async def passed_down_ids(session, department_id: int | None) -> list[int]:
    """The tickets the current lead passed down to this department (二级派单): few, read before the list
    so its query keeps the indexed shape of a department's list (the newest 10,000 at most)."""
    if department_id is None:
        return []
    lead = aliased(Ticket)
    return list(await session.scalars(
        select(TicketAssignment.ticket_id).join(lead, lead.id == TicketAssignment.ticket_id)
        .where(TicketAssignment.department_id == department_id, TicketAssignment.parent_id == lead.lead_department_id)
        .order_by(TicketAssignment.ticket_id.desc()).limit(10_000)))


async def department_id(session, code: str | None) -> int | None:
    if not code:
        return None
    return await session.scalar(select(Department.id).where(Department.code == code))
