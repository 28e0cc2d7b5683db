"""Ticket numbers a citizen can note down over the phone: YYYYMMDD + 6-digit daily sequence.

The day is the Asia/Shanghai calendar day. The sequence comes from one upsert on the day's
counter row, run inside the same transaction as the ticket insert: on PostgreSQL
`INSERT .. ON CONFLICT DO UPDATE .. RETURNING` row-locks the counter until commit, so
concurrent creators queue, never duplicate, and a rolled-back creation gives its number back
(no gaps). On SQLite (>= 3.35 for RETURNING) the database write lock serialises the same way.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tickets.errors import NumberSpaceExhausted
from tickets.models import TicketDayCounter

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_SEQUENCE = 999_999


def shanghai_day(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: the clock must return aware datetimes")
    return instant.astimezone(SHANGHAI).date()


def format_number(day: date, sequence: int) -> str:
    return f"{day:%Y%m%d}{sequence:06d}"


async def next_number(session: AsyncSession, day: date) -> str:
    """Take the next number of `day`; the caller's transaction must also insert the ticket."""
    key = f"{day:%Y%m%d}"
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = TicketDayCounter.__table__
    stmt = dialect.insert(table).values(day=key, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.day], set_={"last": table.c.last + 1}
    ).returning(table.c.last)
    sequence = (await session.execute(stmt)).scalar_one()
    if sequence > MAX_SEQUENCE:
        raise NumberSpaceExhausted(key)
    return format_number(day, sequence)


async def next_numbers(session: AsyncSession | AsyncConnection, day: date, count: int) -> list[str]:
    """Take the next `count` numbers of `day` with ONE counter upsert (a batch of web drafts stored in
    one transaction): the same lock and the same give-back on rollback as `next_number`."""
    if count < 1:
        return []
    key = f"{day:%Y%m%d}"
    stmt = _take_many(session.dialect.name if isinstance(session, AsyncConnection) else session.get_bind().dialect.name)
    last = (await session.execute(stmt, {"day": key, "count": count})).scalar_one()
    if last > MAX_SEQUENCE:
        raise NumberSpaceExhausted(key)
    return [format_number(day, sequence) for sequence in range(last - count + 1, last + 1)]


@cache
def _take_many(dialect_name: str):
    """The upsert of `next_numbers`, built once per dialect (it runs for every batch)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = TicketDayCounter.__table__
    stmt = dialect.insert(table).values(day=bindparam("day"), last=bindparam("count", type_=Integer))
    return stmt.on_conflict_do_update(index_elements=[table.c.day], set_={"last": table.c.last + stmt.excluded.last}
                                      ).returning(table.c.last)
