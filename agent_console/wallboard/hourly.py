"""Today's calls by hour (Asia/Shanghai), from the call log table.

`by_hour` is pure; `read_today` is the one query (started_at and outcome of today's rows).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from calls.models import CallRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_midnight(now: datetime) -> datetime:
    local = now.astimezone(SHANGHAI)
    return datetime.combine(local.date(), time(0), tzinfo=SHANGHAI)


def by_hour(rows: Iterable[tuple[datetime, str]], now: datetime) -> dict:
    """-> {"total": [24 counts], "answered": [24 counts], "hours": current local hour + 1}."""
    midnight = local_midnight(now)
    total, answered = [0] * 24, [0] * 24
    for started, outcome in rows:
        if started.tzinfo is None:
            continue
        local = started.astimezone(SHANGHAI)
        if local < midnight or local.date() != midnight.date():
            continue
        total[local.hour] += 1
        if outcome == "answered":
            answered[local.hour] += 1
    return {"total": total, "answered": answered, "hours": now.astimezone(SHANGHAI).hour + 1}


async def read_today(sessions, now: datetime) -> dict:
    async with sessions() as session:
        rows = await session.execute(select(CallRecord.started_at, CallRecord.outcome)
                                     .where(CallRecord.started_at >= local_midnight(now)))
        return by_hour(rows.all(), now)
