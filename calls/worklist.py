"""Worklist rows (漏接回拨) in the database: absorbing a miss, listing, guarded status changes.

A miss joins the caller's pending row for the same line when that row's last miss is recent
(`window`), so a citizen who tries three times in an hour is one callback, not three. Status
changes are conditional UPDATEs (status and attempts must still be what was read): two agents
clicking the same row cannot both record a callback, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from calls.codes import MissedStatus, MissReason
from calls.errors import AlreadyHandled, InvalidCallField, MissedCallNotFound
from calls.finished import FinishedCall
from calls.models import MissedCall

MAX_LIMIT = 500
KEEP_CALLS = 20


def cut(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None


async def absorb_miss(session: AsyncSession, call: FinishedCall, number: str, reason: MissReason,
                      now: datetime, window: timedelta | None, wants_draft: bool) -> MissedCall:
    stmt = select(MissedCall).where(MissedCall.caller_number == number,
                                    MissedCall.status == MissedStatus.PENDING.value)
    stmt = stmt.where(MissedCall.line == cut(call.line, 32)) if call.line else stmt.where(MissedCall.line.is_(None))
    if window is not None:
        stmt = stmt.where(MissedCall.missed_at >= call.missed_at - window)
    row = (await session.execute(stmt.order_by(MissedCall.missed_at.desc()).limit(1))).scalar_one_or_none()
    entry = {"linkedid": call.linkedid, "at": call.missed_at.isoformat(), "reason": reason.value,
             "waited": call.waited_seconds, "ticket": call.ticket_number or None}
    if row is None:
        row = MissedCall(server=call.server, linkedid=call.linkedid, caller_number=number,
                         caller_name=cut(call.caller_name, 128), line=cut(call.line, 32),
                         first_missed_at=call.missed_at, missed_at=call.missed_at, reason=reason.value,
                         waited_seconds=call.waited_seconds, miss_count=1,
                         ticket_number=cut(call.ticket_number, 32), status=MissedStatus.PENDING.value,
                         ticket_pending=wants_draft and not call.ticket_number, attempts=0,
                         calls=[entry], updated_at=now)
        session.add(row)
    else:
        row.server, row.linkedid = call.server, call.linkedid
        row.caller_name = cut(call.caller_name, 128) or row.caller_name
        row.missed_at = max(row.missed_at, call.missed_at)
        row.reason, row.waited_seconds = reason.value, call.waited_seconds
        row.miss_count += 1
        row.ticket_number = row.ticket_number or cut(call.ticket_number, 32)
        row.calls = [*(row.calls or [])[-(KEEP_CALLS - 1):], entry]
        row.updated_at = now
    await session.flush()
    return row


async def load(session: AsyncSession, missed_id: int) -> MissedCall:
    row = await session.get(MissedCall, missed_id)
    if row is None:
        raise MissedCallNotFound(missed_id)
    return row


async def change_status(session: AsyncSession, row: MissedCall, **values) -> None:
    """Apply `values` only if nobody changed the row since it was read; AlreadyHandled otherwise."""
    if row.status != MissedStatus.PENDING.value:
        raise AlreadyHandled(row.id, row.status)
    result = await session.execute(
        update(MissedCall)
        .where(MissedCall.id == row.id, MissedCall.status == MissedStatus.PENDING.value,
               MissedCall.attempts == row.attempts)
        .values(**values))
    if result.rowcount != 1:
        await session.refresh(row)
        raise AlreadyHandled(row.id, row.status)


async def list_rows(session: AsyncSession, status: str | None, line: str | None, limit: int,
                    caller: str | None = None) -> list[MissedCall]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidCallField("limit", f"must be between 1 and {MAX_LIMIT}")
    stmt = select(MissedCall)
    if status is not None:
        try:
            status = MissedStatus(status).value
        except ValueError:
            raise InvalidCallField("status", f"must be one of {[s.value for s in MissedStatus]}") from None
        stmt = stmt.where(MissedCall.status == status)
    if line:
        stmt = stmt.where(MissedCall.line == line)
    if caller:
        stmt = stmt.where(MissedCall.caller_number == caller)
    if status == MissedStatus.PENDING.value:
        stmt = stmt.order_by(MissedCall.first_missed_at, MissedCall.id)   # longest waiting first
    else:
        stmt = stmt.order_by(MissedCall.updated_at.desc(), MissedCall.id.desc())
    return list((await session.execute(stmt.limit(limit))).scalars())


async def close_pending_of(session: AsyncSession, number: str, before: datetime, now: datetime,
                           note: str) -> int:
    """The caller got through after missing: their pending callbacks are settled."""
    result = await session.execute(
        update(MissedCall)
        .where(MissedCall.caller_number == number, MissedCall.status == MissedStatus.PENDING.value,
               MissedCall.missed_at <= before)
        .values(status=MissedStatus.CLOSED.value, handled_by="system", note=note, updated_at=now))
    return result.rowcount


async def claim(session: AsyncSession, missed_id: int, actor: str, now: datetime, hold: timedelta) -> bool:
    """Take a pending row for `actor` unless another agent holds it (a claim older than `hold` is
    abandoned). One conditional UPDATE, so of two agents clicking at once exactly one wins."""
    result = await session.execute(
        update(MissedCall)
        .where(MissedCall.id == missed_id, MissedCall.status == MissedStatus.PENDING.value,
               or_(MissedCall.claimed_by.is_(None), MissedCall.claimed_by == actor,
                   MissedCall.claimed_at < now - hold))
        .values(claimed_by=actor, claimed_at=now))
    return result.rowcount == 1


def holder(row: MissedCall, now: datetime, hold: timedelta) -> str | None:
    """Who holds the row now, if anyone (expired claims hold nothing)."""
    if row.claimed_by and row.claimed_at is not None and row.claimed_at >= now - hold:
        return row.claimed_by
    return None


async def release(session: AsyncSession, missed_id: int, actor: str) -> None:
    await session.execute(update(MissedCall).where(MissedCall.id == missed_id, MissedCall.claimed_by == actor)
                          .values(claimed_by=None, claimed_at=None))


async def rate_counts(session: AsyncSession, since: datetime, until: datetime) -> dict[str, int]:
    """Rows whose first miss falls in [since, until), by status and last recorded result."""
    rows = (await session.execute(
        select(MissedCall.status, MissedCall.last_result, func.count())
        .where(MissedCall.first_missed_at >= since, MissedCall.first_missed_at < until)
        .group_by(MissedCall.status, MissedCall.last_result))).all()
    counts = {"entries": 0, "pending": 0, "called_back": 0, "wrong_number": 0, "unreachable": 0, "closed": 0}
    for status, last_result, n in rows:
        counts["entries"] += n
        if status == MissedStatus.CLOSED.value and last_result == "wrong_number":
            counts["wrong_number"] += n
        else:
            counts[status] += n
    return counts
