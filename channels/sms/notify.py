"""受理短信: callers of the configured lines get their ticket number by SMS after 登记.

A sweep, not a hook in the ticket store: every `every` seconds it looks for tickets registered in
the last day on a configured line that have no `sent` ticket_number message yet, and sends one.
So a message is durable across restarts, a gateway that is down is retried on the next sweeps
(each failure is a `failed` row in sms_message, visible), and it gives up after `max_attempts`.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from channels.models import SmsMessage
from tickets.models import Ticket

from .outbox import SmsOutbox

log = logging.getLogger(__name__)
KIND = "ticket_number"
LOOKBACK = timedelta(days=1)


def mobile_of(ticket: Ticket) -> str | None:
    for number in (ticket.contact_number, ticket.caller):
        if number and len(number) == 11 and number.isdigit() and number.startswith("1"):
            return number
    return None


def message(number: str) -> str:
    return f"【12345】您反映的问题已受理，工单编号 {number}。办理结果将及时答复您，感谢您的支持。"


class TicketNumberNotifier:
    def __init__(self, outbox: SmsOutbox, sessions: async_sessionmaker, clock: Callable[[], datetime],
                 lines: list[str], every: float = 30.0, max_attempts: int = 5) -> None:
        self._outbox, self._sessions, self._clock = outbox, sessions, clock
        self.lines, self.every, self.max_attempts = [str(x) for x in lines], every, max_attempts
        self._task: asyncio.Task | None = None

    async def sweep(self) -> int:
        """Send what is due; returns how many were accepted by the gateway."""
        if not self.lines:
            return 0
        since = self._clock() - LOOKBACK
        async with self._sessions() as session:
            tickets = list(await session.scalars(
                select(Ticket).where(Ticket.registered_at.is_not(None), Ticket.registered_at >= since,
                                     Ticket.line_dialed.in_(self.lines)).order_by(Ticket.registered_at)))
            numbers = [t.number for t in tickets]
            rows = (await session.execute(
                select(SmsMessage.ticket_number, SmsMessage.status, func.count())
                .where(SmsMessage.kind == KIND, SmsMessage.ticket_number.in_(numbers))
                .group_by(SmsMessage.ticket_number, SmsMessage.status))).all() if numbers else []
        sent = {n for n, status, _ in rows if status == "sent"}
        failed = {n: c for n, status, c in rows if status == "failed"}
        done = 0
        for ticket in tickets:
            to = mobile_of(ticket)
            if to is None or ticket.number in sent or failed.get(ticket.number, 0) >= self.max_attempts:
                continue
            if await self._outbox.send(to, message(ticket.number), kind=KIND, ticket_number=ticket.number):
                done += 1
        return done

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # noqa: BLE001 - the next sweep tries again
                log.exception("sms.notify.sweep_failed")
            await asyncio.sleep(self.every)

    def start(self) -> None:
        if self.lines and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sms-ticket-number")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
