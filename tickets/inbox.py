"""A department's inbox tabs (待签收 / 办理中 / 待审核 / 已办结) as short indexed reads.

Each tab is the UNION of a few parts (what the department leads, what its parent passed down to it
(二级派单), what it co-handles (协办)), each part read in the tab's order and cut at the page size
before they are merged: one OR across the parts would read every open ticket of the department, or
of the center, at every page view (issue 12 benchmark: p99 ≤ 100 ms at 1,000,000 tickets). The
parent keeps seeing what it passed down: it stays responsible.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.codes import Status
from tickets.handling_models import TicketAssignment, TicketSubmission
from tickets.models import Department, Ticket, ticket_co_department
from tickets.queries import MAX_LIMIT
from tickets.views import DepartmentRef, TicketView

TABS = ("pending", "doing", "review", "done")
COUNT_CAP = 99  # a tab's count beyond this shows as 99+ (counting all 已办结 would read them all)
DONE = (Status.REPLIED.value, Status.CALLBACK.value, Status.CLOSED.value)
CO_HANDLING = (Status.DISPATCHED.value, Status.ACCEPTED.value)  # the partial index ix_ticket_open_id_complete_due


def _order(tab: str):
    if tab == "pending":
        return (Ticket.accept_due, Ticket.id)
    if tab == "done":
        return (Ticket.replied_at.desc(), Ticket.id)
    return (Ticket.complete_due, Ticket.id)


def _parts(dept_id: int, tab: str):
    """The selects of Ticket.id whose union is the tab, each still to be ordered and cut."""
    led = Ticket.lead_department_id == dept_id
    passed = select(Ticket.id).join(TicketAssignment, and_(  # passed down to it by the ticket's current lead
        TicketAssignment.ticket_id == Ticket.id, TicketAssignment.department_id == dept_id,
        TicketAssignment.parent_id == Ticket.lead_department_id))
    accepted = Ticket.status == Status.ACCEPTED.value
    waiting = exists().where(TicketSubmission.ticket_id == Ticket.id, TicketSubmission.state == "pending",
                             TicketSubmission.submitted_at >= Ticket.accepted_at)  # a result under review
    if tab == "pending":  # dispatched to it by the center, or passed down and not yet signed for
        return [select(Ticket.id).where(led, Ticket.status == Status.DISPATCHED.value),
                passed.where(TicketAssignment.accepted_at.is_(None), accepted)]
    if tab == "doing":
        co = (select(Ticket.id).join(ticket_co_department, ticket_co_department.c.ticket_id == Ticket.id)
              .where(ticket_co_department.c.department_id == dept_id, Ticket.status.in_(CO_HANDLING)))
        return [select(Ticket.id).where(led, accepted, ~waiting),
                passed.where(TicketAssignment.accepted_at.is_not(None), accepted, ~waiting), co]
    if tab == "review":
        return [select(Ticket.id).where(led, accepted, waiting), passed.where(accepted, waiting)]
    if tab == "done":
        return [select(Ticket.id).where(led, Ticket.status.in_(DONE)), passed.where(Ticket.status.in_(DONE))]
    raise ValueError(tab)


def _ids(dept_id: int, tab: str, limit: int, *, ordered: bool = True):
    """`ordered=False` for counting: any `limit` of each part will do, so no part is sorted."""
    order = _order(tab)
    cut = [(part.order_by(*order) if ordered else part).limit(limit).subquery() for part in _parts(dept_id, tab)]
    first, *rest = (select(sub.c.id) for sub in cut)
    return first.union(*rest) if rest else first


async def inbox_tickets(session: AsyncSession, dept_id: int, tab: str, limit: int = 200) -> list[TicketView]:
    """One tab, most urgent first (已办结: latest reply first), at most `limit` tickets. Core rows and
    one read each of the departments and the rows' co-handlers: no ORM objects for a page of 200."""
    limit = min(limit, MAX_LIMIT)
    ticket = Ticket.__table__
    rows = (await session.execute(select(ticket).where(ticket.c.id.in_(_ids(dept_id, tab, limit)))
                                  .order_by(*_order(tab)).limit(limit))).all()
    if not rows:
        return []
    names = {d.id: DepartmentRef(d.code, d.name) for d in
             (await session.execute(select(Department.id, Department.code, Department.name))).all()}
    co: dict[int, list[DepartmentRef]] = {}
    for tid, did in (await session.execute(
            select(ticket_co_department.c.ticket_id, ticket_co_department.c.department_id)
            .where(ticket_co_department.c.ticket_id.in_([r.id for r in rows])))).all():
        co.setdefault(tid, []).append(names[did])
    return [TicketView.of_columns(r, names.get(r.lead_department_id), tuple(co.get(r.id, ()))) for r in rows]


async def inbox_counts(session: AsyncSession, dept_id: int) -> dict[str, int]:
    """tab -> number of tickets in it, at most COUNT_CAP + 1 (shown as 99+)."""
    counted = [select(func.count()).select_from(_ids(dept_id, tab, COUNT_CAP + 1, ordered=False).subquery())
               .scalar_subquery()
               for tab in TABS]
    row = (await session.execute(select(*counted))).one()  # one round trip for the four tabs
    return {tab: min(COUNT_CAP + 1, n) for tab, n in zip(TABS, row, strict=True)}
