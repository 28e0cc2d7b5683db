"""Sending through the configured adapter, with one sms_message row per message (sent or failed).

Verification codes are masked in the stored text: whoever reads the log table must not be able
to use a code. A failed send is recorded and reported to the caller (the page says so); it is
not retried here (a queue with retries is not built yet, see notes).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from channels.models import SmsMessage

from .gateway import SmsError, SmsGateway

log = logging.getLogger(__name__)


class SmsOutbox:
    def __init__(self, gateway: SmsGateway, sessions: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self.gateway, self._sessions, self._clock = gateway, sessions, clock

    async def send(self, to: str, text: str, *, kind: str, ticket_number: str | None = None,
                   secret: str | None = None) -> bool:
        """True when the adapter accepted the message. `secret` (a code in `text`) is masked in the log row."""
        status, error = "sent", None
        try:
            await self.gateway.send(to, text)
        except SmsError as exc:
            status, error = "failed", str(exc)[:256]
            log.warning("sms.failed to=%s kind=%s error=%s", to, kind, error)
        stored = text.replace(secret, "*" * len(secret)) if secret else text
        async with self._sessions() as session, session.begin():
            session.add(SmsMessage(at=self._clock(), to_number=to, kind=kind, text=stored,
                                   adapter=self.gateway.name, status=status, error=error,
                                   ticket_number=ticket_number))
        return status == "sent"

    async def recent(self, limit: int = 100) -> list[SmsMessage]:
        async with self._sessions() as session:
            return list(await session.scalars(select(SmsMessage).order_by(SmsMessage.id.desc()).limit(limit)))
