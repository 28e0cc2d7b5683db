"""Read queries of the ticket store: lookup by number, search, overdue lists.

Text search is a case-insensitive substring match over content, transcript, reply and category,
the same on SQLite and PostgreSQL; on PostgreSQL a bigram index narrows it (tickets/search.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from tickets.codes import Status
from tickets.errors import InvalidField, TicketNotFound
from tickets.lifecycle import OPEN_STATUSES
from tickets.models import Ticket, TicketEvent
from tickets.search import text_matches

MAX_LIMIT = 500
# YYYYMMDD + sequence (numbering.format_number): anything else cannot exist, and is not sent to
# the database, where a NUL byte is an error on PostgreSQL rather than "no row" (issue 11.7).
_NUMBER = re.compile(r"[0-9]{1,14}")


def with_departments(stmt: Select) -> Select:
    return stmt.options(selectinload(Ticket.lead_department), selectinload(Ticket.co_departments))


async def load_ticket(session: AsyncSession, number: str, *, lock: bool = False) -> Ticket:
    """With lock=True the row stays ours until commit: FOR UPDATE on PostgreSQL; SQLite has no
    row locks, so a no-op UPDATE takes the database write lock before we read."""
    number = str(number).strip()
    if not _NUMBER.fullmatch(number):
        raise TicketNotFound(number.encode("unicode_escape").decode("ascii")[:40])
    stmt = with_departments(select(Ticket).where(Ticket.number == number))
    if lock and session.get_bind().dialect.name == "sqlite":
        await session.execute(update(Ticket).where(Ticket.number == number).values(version=Ticket.version))
    elif lock:
        stmt = stmt.with_for_update(of=Ticket)
    ticket = (await session.execute(stmt)).scalar_one_or_none()
    if ticket is None:
        raise TicketNotFound(str(number))
    return ticket


async def load_events(session: AsyncSession, ticket_id: int) -> list[TicketEvent]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.seq)
    return list((await session.execute(stmt)).scalars())


def _statuses(status: str | Iterable[str] | None) -> list[str]:
    if status is None:
        return []
    values = [status] if isinstance(status, str) else list(status)
    try:
        return [Status.parse(s).value for s in values]
    except ValueError as exc:
        raise InvalidField("status", str(exc)) from None


NUMBER_LENGTH = 14  # yyyymmdd + 6-digit sequence (numbering.format_number)


def _number_prefix(number: str):
    """A whole number is an equality; a prefix (a day) is a range. Both use the unique index, which
    PostgreSQL's LIKE 'prefix%' skips under a non-C collation (0.2–0.3 s at 1,000,000 tickets)."""
    if len(number) >= NUMBER_LENGTH:
        return Ticket.number == number
    if set(number) == {"9"}:
        return Ticket.number >= number
    following = str(int(number) + 1).zfill(len(number))  # digits only: every collation orders them alike
    return and_(Ticket.number >= number, Ticket.number < following)


async def search_tickets(
    session: AsyncSession,
    *,
    number: str | None,
    caller: str | None,
    text: str | None,
    status: str | Iterable[str] | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    call_id: str | None = None,
) -> list[Ticket]:
    """Newest first. `number` matches a prefix (a whole number or e.g. a day '20261122')."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidField("limit", f"must be between 1 and {MAX_LIMIT}")
    stmt = select(Ticket)
    if number:
        if not number.isdigit():
            raise InvalidField("number", "工单号只含数字 (digits only)")
        stmt = stmt.where(_number_prefix(number))
    if caller:
        stmt = stmt.where(Ticket.caller == caller)
    if call_id:
        stmt = stmt.where(Ticket.call_id == call_id)
    if text:
        stmt = stmt.where(text_matches(text, (Ticket.content, Ticket.transcript, Ticket.reply, Ticket.category)))
    if statuses := _statuses(status):
        stmt = stmt.where(Ticket.status.in_(statuses))
    if since is not None:
        stmt = stmt.where(Ticket.created_at >= since)
    if until is not None:
        stmt = stmt.where(Ticket.created_at < until)
    stmt = with_departments(stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))
    return list((await session.execute(stmt)).scalars())


async def overdue_tickets(session: AsyncSession, now: datetime) -> list[tuple[Ticket, str, datetime]]:
    """(ticket, 'accept' | 'complete', due) for every deadline passed and not met, earliest first."""
    open_codes = [s.value for s in OPEN_STATUSES]
    stmt = with_departments(select(Ticket).where(or_(
        and_(Ticket.status == Status.DISPATCHED.value, Ticket.accept_due < now),
        and_(Ticket.status.in_(open_codes), Ticket.complete_due < now),
    )))
    found: list[tuple[Ticket, str, datetime]] = []
    for t in (await session.execute(stmt)).scalars():
        if t.status == Status.DISPATCHED.value and t.accept_due is not None and t.accept_due < now:
            found.append((t, "accept", t.accept_due))
        if t.status in open_codes and t.complete_due is not None and t.complete_due < now:
            found.append((t, "complete", t.complete_due))
    found.sort(key=lambda item: (item[2], item[0].number, item[1]))
    return found
