"""Ticket counts by Asia/Shanghai day × category × district × channel.

Read from the per-day rows the ticket store keeps as tickets are registered (`ticket_day_hotspots`,
tickets/day_figures.py): 29 days of a large center are a few tens of thousands of rows whatever
the number of tickets. `day_counts_direct` is the definition they equal, one GROUP BY over
`ticket.created_at` (covered by `ix_ticket_hotspots`). Drafts are not requests yet (a screen pop
that was never registered, a WeChat conversation an agent has not completed) and are left out.
Shanghai has no daylight saving, so its day is the UTC instant plus eight hours on both databases.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from tickets.codes import Status
from tickets.day_figures import created_day_expression, hotspot_counts
from tickets.models import Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class DayCount:
    day: date
    category: str | None
    district: str | None   # the district's department code
    channel: str
    count: int


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) instants of the Shanghai days `first` to `last` inclusive."""
    return (datetime.combine(first, time(), SHANGHAI), datetime.combine(last + timedelta(days=1), time(), SHANGHAI))


async def day_counts(sessions, first: date, last: date, *, channel: str | None = None) -> list[DayCount]:
    """Counts of the tickets created on the Shanghai days `first`..`last`, optionally of one channel,
    from the per-day rows the ticket store keeps (tickets/day_figures.py)."""
    async with sessions() as session:
        rows = await hotspot_counts(session, first, last, channel=channel)
    return _sorted(DayCount(_as_date(d), c, dist, ch, n) for d, c, dist, ch, n in rows)


async def day_counts_direct(sessions, first: date, last: date, *, channel: str | None = None) -> list[DayCount]:
    """The same counts by one GROUP BY over the tickets themselves (index `ix_ticket_hotspots`): the
    definition the per-day rows must equal (tests, bench/hotspots.py's baseline)."""
    start, end = day_bounds(first, last)
    async with sessions() as session:
        day = created_day_expression(session.bind.dialect.name).label("day")
        query = (select(day, Ticket.category, Ticket.district, Ticket.channel, func.count().label("n"))
                 .where(Ticket.created_at >= start, Ticket.created_at < end, Ticket.status != Status.DRAFT.value)
                 .group_by(day, Ticket.category, Ticket.district, Ticket.channel))
        if channel:
            query = query.where(Ticket.channel == channel)
        rows = (await session.execute(query)).all()
    return _sorted(DayCount(_as_date(d), c, dist, ch, n) for d, c, dist, ch, n in rows)


def _sorted(rows: Iterable[DayCount]) -> list[DayCount]:
    return sorted(rows, key=lambda r: (r.day, r.category or "", r.district or "", r.channel))


def week_of(day: date) -> date:
    """The Monday that starts `day`'s week (weeks run Monday to Sunday, as on a Chinese calendar)."""
    return day - timedelta(days=day.weekday())


def fold(rows: Iterable[DayCount], *, by: tuple[str, ...], week: bool = False) -> dict[tuple, int]:
    """Sums of `rows` keyed by (day or week start, *the named fields)."""
    out: dict[tuple, int] = {}
    for r in rows:
        key = (week_of(r.day) if week else r.day, *(getattr(r, f) for f in by))
        out[key] = out.get(key, 0) + r.count
    return out
