"""One send of an outbox row through the gateway, and its outcome on the row.

The 督办 notices and the hotspot early warnings are both rows with state / attempts / sent_at /
last_error / next_attempt_at: sent, or left pending with a doubling backoff (at most 30 × the first
wait) for a later pass while the SMS platform is down. The caller decides which rows are due and
who may send them (advisory lock, claim)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker

from .gateway import Gateway, GatewayDown, Outgoing


async def send_recorded(sessions: async_sessionmaker, model, row_id: int, gateway: Gateway, message: Outgoing,
                        now: datetime, *, retry_after: timedelta, timeout: float) -> str | None:
    """The error that kept it pending, or None when it was sent."""
    error = None
    try:
        await asyncio.wait_for(gateway.send(message), timeout)
    except (GatewayDown, TimeoutError, OSError) as exc:
        error = str(exc) or type(exc).__name__
    async with sessions() as session, session.begin():
        row = await session.get(model, row_id)
        row.attempts += 1
        if error is None:
            row.state, row.sent_at, row.last_error = "sent", now, None
        else:
            row.next_attempt_at = now + retry_after * min(2 ** (row.attempts - 1), 30)
            row.last_error = error[:200]
    return error
