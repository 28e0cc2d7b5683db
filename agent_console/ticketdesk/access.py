"""Who may read or change a ticket by number: one rule for every route that takes {number}.

Ticket numbers are sequential, so a number in a URL proves nothing. An agent reaches a ticket
only through a relation: the pop it was given, a call it answered (the call log), or the
ticket's own history (it registered, answered or dispatched it). Supervisors reach the whole
center's. Each relation is one function in RELATIONS, so a department relation (issue 12) is
one more entry. A refusal is audited and says nothing of the ticket; every read of a
confidential ticket is audited, whoever reads it.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select

from agent_console.audit.service import VIEW_CONFIDENTIAL_TICKET, Actor, AuditLog
from calls.models import CallRecord

TICKET_FORBIDDEN = "access.ticket_forbidden"
CENTER_ROLES = frozenset({"supervisor"})
HANDLED_ACTIONS = ("register", "reply", "dispatch")
REFUSED_MESSAGE = "无权访问该工单：仅承办该来电的坐席和班长可以查看或处理"
CONFIDENTIAL_MESSAGE = "保密工单，仅承办坐席和班长可以查看"


@dataclass(frozen=True)
class Viewer:
    username: str
    roles: frozenset[str]
    interface: str | None  # the agent's bound phone, e.g. PJSIP/8101


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
    history = await access.tickets.history(ticket.number)
    return any(e.actor == viewer.username for e in history if e.action.value in HANDLED_ACTIONS)


RELATIONS: tuple[Relation, ...] = (_center, _popped, _answered_call, _in_history)


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
