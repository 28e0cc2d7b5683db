"""One send of an outbox row through the gateway, and its outcome on the row.

The 督办 notices and the hotspot early warnings are both rows with state / attempts / sent_at /
last_error / next_attempt_at: sent, or left pending with a doubling backoff (at most 30 × the first
wait) for a later pass while the SMS platform is down. The caller decides which rows are due and
who may send them (advisory lock, claim)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from .gateway import Gateway, GatewayDown, Outgoing


async def send_recorded(conn: AsyncConnection, table, row_id: int, gateway: Gateway, message: Outgoing,
                        now: datetime, *, retry_after: timedelta, timeout: float) -> str | None:
    """The error that kept it pending, or None when it was sent. `conn`: one connection for a delivery
    round (a first 督办 pass delivers hundreds), a transaction per row: a row is marked once it is sent."""
    error = None
    try:
        await asyncio.wait_for(gateway.send(message), timeout)
    except (GatewayDown, TimeoutError, OSError) as exc:
        error = str(exc) or type(exc).__name__
    row = table.c.id == row_id
    async with conn.begin():
        if error is None:
            await conn.execute(update(table).where(row).values(
                attempts=table.c.attempts + 1, state="sent", sent_at=now, last_error=None))
        else:
            attempts = await conn.scalar(update(table).where(row).values(
                attempts=table.c.attempts + 1, last_error=error[:200]).returning(table.c.attempts))
            await conn.execute(update(table).where(row).values(
                next_attempt_at=now + retry_after * min(2 ** ((attempts or 1) - 1), 30)))
    return error
