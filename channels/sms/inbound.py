"""上行短信 → a ticket draft (channel sms) for an agent to complete on /center/web (网上诉求受理).

One draft per message: its content is the text, caller and contact number the sender. The msg_id
row is claimed first (unique), then the draft is made and the row completed; a failure in between
removes the claim, so the platform's retry starts over and no half message stays. A retried msg_id
is answered with the same number and counted, never stored twice.

The reply SMS (受理短信 with the draft's number) goes through the outbox (logged in sms_message)
in a background task, so the platform's push is answered without waiting on the send gateway.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from channels.models import SmsInbound
from tickets.intake import TicketDetails

from .outbox import SmsOutbox
from .uplink import InboundSms

log = logging.getLogger(__name__)
ACTOR = "citizen-sms"
REPLY_KIND = "inbound_reply"


def reply_text(number: str) -> str:
    return (f"【12345】您的短信诉求已收到，工单编号 {number}。工作人员将尽快受理，"
            "请保留此编号以便查询。紧急情况请拨打 110、119、120。")


@dataclass(frozen=True)
class Received:
    number: str
    duplicate: bool


class SmsIntake:
    def __init__(self, tickets, sessions, outbox: SmsOutbox, clock: Callable[[], datetime], adapter: str) -> None:
        self._tickets, self._sessions, self._outbox, self._clock = tickets, sessions, outbox, clock
        self.adapter = adapter
        self._replies: set[asyncio.Task] = set()

    async def receive(self, sms: InboundSms) -> Received:
        row = SmsInbound(msg_id=sms.msg_id, sender=sms.sender, to_number=sms.to, text=sms.text,
                         adapter=self.adapter, received_at=self._clock(), ticket_number="", duplicates=0)
        try:
            async with self._sessions() as session, session.begin():
                session.add(row)
        except IntegrityError:
            return await self._duplicate(sms.msg_id)
        try:
            view = await self._tickets.create_draft(actor=ACTOR, caller=sms.sender, channel="sms", content=sms.text,
                                                    line_dialed=sms.to[:32],
                                                    details=TicketDetails(contact_number=sms.sender))
            async with self._sessions() as session, session.begin():
                await session.execute(update(SmsInbound).where(SmsInbound.id == row.id)
                                      .values(ticket_number=view.number))
        except BaseException:
            async with self._sessions() as session, session.begin():
                await session.execute(delete(SmsInbound).where(SmsInbound.id == row.id))
            raise
        log.info("sms.inbound msg_id=%s from=%s ticket=%s", sms.msg_id, sms.sender[:3] + "****", view.number)
        task = asyncio.get_running_loop().create_task(self._reply(sms.sender, view.number), name="sms-inbound-reply")
        self._replies.add(task)
        task.add_done_callback(self._replies.discard)
        return Received(view.number, False)

    async def _duplicate(self, msg_id: str) -> Received:
        async with self._sessions() as session, session.begin():
            await session.execute(update(SmsInbound).where(SmsInbound.msg_id == msg_id)
                                  .values(duplicates=SmsInbound.duplicates + 1))
            number = (await session.execute(select(SmsInbound.ticket_number)
                                            .where(SmsInbound.msg_id == msg_id))).scalar_one_or_none()
        log.info("sms.inbound.duplicate msg_id=%s ticket=%s", msg_id, number)
        return Received(number or "", True)

    async def _reply(self, to: str, number: str) -> None:
        try:
            await self._outbox.send(to, reply_text(number), kind=REPLY_KIND, ticket_number=number)
        except Exception:  # noqa: BLE001 - the draft stands; the failure is in the log
            log.exception("sms.inbound.reply_failed ticket=%s", number)

    async def drain(self) -> None:
        """Wait for the replies under way (shutdown, tests)."""
        while self._replies:
            await asyncio.gather(*list(self._replies), return_exceptions=True)

    async def recent(self, limit: int = 100) -> list[SmsInbound]:
        async with self._sessions() as session:
            return list(await session.scalars(select(SmsInbound).order_by(SmsInbound.id.desc()).limit(limit)))
