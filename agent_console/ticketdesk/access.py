"""Who may read or change a ticket by number: one rule for every route that takes {number}.

Ticket numbers are sequential, so a number in a URL proves nothing. An agent reaches a ticket
only through a relation: the pop it was given, a call it answered (the call log), or the
ticket's own history (it registered, answered or dispatched it). Supervisors reach the whole
center's. A department user (承办人, 单位负责人) reaches the tickets dispatched to their own
department, as lead or co-handler, and nothing else. Each relation is one function in RELATIONS. A refusal is audited and says nothing of the ticket; every read of a
confidential ticket is audited, whoever reads it.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select

from agent_console.accounts.models import DEPARTMENT_ROLES
from agent_console.audit.service import VIEW_CONFIDENTIAL_TICKET, Actor, AuditLog
from calls.models import CallRecord

TICKET_FORBIDDEN = "access.ticket_forbidden"
CENTER_ROLES = frozenset({"supervisor"})
HANDLED_ACTIONS = ("register", "reply", "dispatch")
REFUSED_MESSAGE = "无权访问该工单：仅承办该来电的坐席、班长和承办该工单的单位可以查看或处理"
CONFIDENTIAL_MESSAGE = "保密工单，仅承办坐席和班长可以查看"


@dataclass(frozen=True)
class Viewer:
    username: str
    roles: frozenset[str]
    interface: str | None  # the agent's bound phone, e.g. PJSIP/8101
    department: str | None = None  # a department user's 承办单位 code


class TicketForbidden(Exception):
    """Raised instead of returning a ticket; `message` is safe to show (nothing of the ticket)."""

    error_id = "console.ticket.forbidden"
    status = 403

    def __init__(self, message: str = REFUSED_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


Relation = Callable[["TicketAccess", object, Viewer], Awaitable[bool]]


async def _center(access: TicketAccess, ticket, viewer: Viewer) -> bool:
    return bool(viewer.roles & CENTER_ROLES)


async def _popped(access: TicketAccess, ticket, viewer: Viewer) -> bool:
    pop = access.pops.pop_of(viewer.interface) if access.pops is not None and viewer.interface else None
    return pop is not None and pop.ticket is not None and pop.ticket.number == ticket.number


async def _answered_call(access: TicketAccess, ticket, viewer: Viewer) -> bool:
    """The call log: a call this agent's phone answered carried this ticket."""
    if access.sessions is None or not viewer.interface:
        return False
    link = [CallRecord.ticket_number == ticket.number]
    if ticket.call_id:
        link.append(CallRecord.linkedid == ticket.call_id)
    query = select(CallRecord.id).where(CallRecord.answered_interface == viewer.interface, or_(*link)).limit(1)
    async with access.sessions() as session:
        return (await session.scalar(query)) is not None


async def _in_history(access: TicketAccess, ticket, viewer: Viewer) -> bool:
    """Registered, answered or dispatched by this agent (writes the rule itself guarded)."""
    if "agent" not in viewer.roles:
        return False
    history = await access.tickets.history(ticket.number)
    return any(e.actor == viewer.username for e in history if e.action.value in HANDLED_ACTIONS)


async def _own_department(access: TicketAccess, ticket, viewer: Viewer) -> bool:
    """Departments their own: dispatched to the viewer's department, as lead or co-handler."""
    if not viewer.department or not viewer.roles & DEPARTMENT_ROLES:
        return False
    handling = [ticket.lead_department, *ticket.co_departments]
    return any(d is not None and d.code == viewer.department for d in handling)


async def _passed_to_sub_unit(access: TicketAccess, ticket, viewer: Viewer) -> bool:
    """二级派单: the lead department passed the ticket to the viewer's department (one of its sub-units)."""
    if not viewer.department or not viewer.roles & DEPARTMENT_ROLES or access.sessions is None:
        return False
    from tickets.handling_models import TicketAssignment
    from tickets.models import Department, Ticket

    query = (select(TicketAssignment.id).join(Ticket, Ticket.id == TicketAssignment.ticket_id)
             .join(Department, Department.id == TicketAssignment.department_id)
             .where(Ticket.number == ticket.number, Department.code == viewer.department,
                    TicketAssignment.parent_id == Ticket.lead_department_id).limit(1))
    async with access.sessions() as session:
        return (await session.scalar(query)) is not None


RELATIONS: tuple[Relation, ...] = (_center, _popped, _answered_call, _in_history, _own_department,
                                   _passed_to_sub_unit)


class TicketAccess:
    def __init__(self, tickets, audit: AuditLog, pops=None, sessions=None,
                 relations: Sequence[Relation] = RELATIONS) -> None:
        self.tickets, self.audit, self.pops, self.sessions = tickets, audit, pops, sessions
        self._relations = tuple(relations)

    async def allowed(self, ticket, viewer: Viewer) -> bool:
        for relation in self._relations:
            if await relation(self, ticket, viewer):
                return True
        return False

    async def check(self, ticket, viewer: Viewer, who: Actor) -> None:
        """Raise TicketForbidden (audited) unless a relation holds; audit confidential reads."""
        if not await self.allowed(ticket, viewer):
            action = VIEW_CONFIDENTIAL_TICKET if ticket.confidential else TICKET_FORBIDDEN
            await self.audit.record(who, action, ticket.number, "denied")
            raise TicketForbidden(CONFIDENTIAL_MESSAGE if ticket.confidential else REFUSED_MESSAGE)
        if ticket.confidential:
            await self.audit.record(who, VIEW_CONFIDENTIAL_TICKET, ticket.number)
