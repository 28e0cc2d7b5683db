"""The partner API's tickets: create (idempotent) and read, through the one ticket store.

A partner reaches a ticket only through the `api_partner_ticket` row its create left: another
partner's number reads like an unknown number. What it sees is the public slice: a public status
code, the lead department's name, the reply once given, and the history as status steps without
any detail (no notes, dispatch comments, return reasons); a confidential ticket shows status only.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from channels.web.desk import PUBLIC_STATUS
from tickets.codes import RequestType, Status
from tickets.errors import InvalidField, TicketError
from tickets.intake import TicketDetails, normalize_contact
from tickets.service import TicketService

from .directory import Caller
from .models import PartnerTicket

CHANNEL = "app"
MAX_CONTENT = 2000
PUBLIC_CODE = {
    Status.DRAFT: "submitted", Status.REGISTERED: "registered", Status.DISPATCHED: "in_progress",
    Status.ACCEPTED: "in_progress", Status.RETURNED: "in_progress", Status.REOPENED: "reopened",
    Status.REPLIED: "replied", Status.CALLBACK: "evaluated", Status.CLOSED: "closed",
}
REPLY_SHOWN = (Status.REPLIED, Status.CALLBACK, Status.CLOSED)


class ApiError(Exception):
    """An answer other than 2xx: HTTP status, stable code, Chinese message, optional field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@dataclass(frozen=True)
class NewTicket:
    request_type: str
    content: str
    place: str | None
    contact_phone: str | None
    contact_name: str | None
    external_id: str | None
    register: bool


def _text(body: dict, name: str, size: int, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ApiError(422, "api.invalid", f"缺少字段 {name}", name)
        return None
    if not isinstance(value, str):
        raise ApiError(422, "api.invalid", f"字段 {name} 应为字符串", name)
    value = value.strip()
    if len(value) > size:
        raise ApiError(422, "api.invalid", f"字段 {name} 不能超过 {size} 个字", name)
    if any(not (ch.isprintable() or ch in "\n\t") for ch in value):
        raise ApiError(422, "api.invalid", f"字段 {name} 含有非法字符", name)
    return value


def parse_new(body) -> NewTicket:
    if not isinstance(body, dict):
        raise ApiError(400, "api.malformed", "请求体应为 JSON 对象")
    unknown = set(body) - {"type", "content", "place", "contact", "external_id", "register"}
    if unknown:
        raise ApiError(422, "api.invalid", f"未知字段 {sorted(unknown)}", sorted(unknown)[0])
    try:
        rtype = RequestType.parse(_text(body, "type", 32, required=True)).value
    except ValueError:
        raise ApiError(422, "api.invalid", f"type 应为 {[t.value for t in RequestType]} 之一", "type") from None
    contact = body.get("contact") or {}
    if not isinstance(contact, dict) or set(contact) - {"phone", "name"}:
        raise ApiError(422, "api.invalid", "contact 应为 {\"phone\", \"name\"}", "contact")
    try:
        phone = normalize_contact(_text(contact, "phone", 32))
    except InvalidField as exc:
        raise ApiError(422, "api.invalid", str(exc), "contact.phone") from None
    register = body.get("register", False)
    if not isinstance(register, bool):
        raise ApiError(422, "api.invalid", "register 应为 true 或 false", "register")
    return NewTicket(rtype, _text(body, "content", MAX_CONTENT, required=True), _text(body, "place", 200),
                     phone, _text(contact, "name", 64), _text(body, "external_id", 64), register)


def request_hash(body) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                          .encode()).hexdigest()


def public_status(status: Status) -> dict:
    return {"code": PUBLIC_CODE.get(status, "in_progress"), "label": PUBLIC_STATUS.get(status, "办理中")}


class PartnerDesk:
    def __init__(self, tickets: TicketService, sessions: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._tickets, self._sessions, self._clock = tickets, sessions, clock
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}

    async def create(self, caller: Caller, body, idempotency_key: str | None) -> tuple[dict, bool]:
        """(the ticket as the partner sees it, True when this call created it). The same
        idempotency key with the same body answers the first ticket again; with another body 409."""
        new = parse_new(body)
        digest = request_hash(body)
        if idempotency_key is None:
            return await self._create(caller, new, digest, None), True
        lock_key = (caller.partner_id, idempotency_key)
        lock = self._locks.setdefault(lock_key, asyncio.Lock())
        try:
            async with lock:  # two retries racing in one process make one ticket
                earlier = await self._by_key(caller.partner_id, idempotency_key)
                if earlier is not None:
                    if earlier.request_hash != digest:
                        raise ApiError(409, "api.idempotency.conflict",
                                       "Idempotency-Key 已用于另一内容的请求", "Idempotency-Key")
                    return await self.read(caller, earlier.ticket_number), False
                return await self._create(caller, new, digest, idempotency_key), True
        finally:
            if not lock.locked():
                self._locks.pop(lock_key, None)

    async def _by_key(self, partner_id: int, key: str) -> PartnerTicket | None:
        async with self._sessions() as session:
            return await session.scalar(select(PartnerTicket).where(PartnerTicket.partner_id == partner_id,
                                                                    PartnerTicket.idempotency_key == key))

    async def _create(self, caller: Caller, new: NewTicket, digest: str, key: str | None) -> dict:
        details = TicketDetails(address=new.place, contact_number=new.contact_phone, caller_name=new.contact_name)
        try:
            view = await self._tickets.create_draft(actor=caller.actor, caller=None, channel=CHANNEL,
                                                    content=new.content, request_type=new.request_type,
                                                    details=details)
            if new.register:
                view = await self._tickets.register(view.number, caller.actor, request_type=new.request_type,
                                                    content=new.content, details=details)
        except InvalidField as exc:
            raise ApiError(422, "api.invalid", str(exc)) from None
        try:
            async with self._sessions() as session, session.begin():
                session.add(PartnerTicket(ticket_number=view.number, partner_id=caller.partner_id,
                                          external_id=new.external_id, idempotency_key=key, request_hash=digest,
                                          notified_seq=0, created_at=self._clock()))
        except IntegrityError:  # another engine process won the race for this key: answer its ticket
            earlier = await self._by_key(caller.partner_id, key or "")
            if earlier is None:
                raise
            return await self.read(caller, earlier.ticket_number)
        return await self.read(caller, view.number)

    async def owned(self, caller: Caller, number: str) -> PartnerTicket | None:
        async with self._sessions() as session:
            return await session.scalar(select(PartnerTicket).where(PartnerTicket.ticket_number == number,
                                                                    PartnerTicket.partner_id == caller.partner_id))

    async def read(self, caller: Caller, number: str) -> dict | None:
        """The partner's view of its ticket; None for an unknown number or another partner's."""
        row = await self.owned(caller, number)
        if row is None:
            return None
        try:
            t = await self._tickets.get(number)
            events = await self._tickets.history(number)
        except TicketError:
            return None
        hidden = bool(t.confidential)
        history, last = [], None
        for e in events:
            if e.to_status is None:
                continue
            shown = public_status(Status(e.to_status))
            if shown["code"] == last:
                continue  # internal steps (returns, reminders, 督办) do not show
            last = shown["code"]
            history.append({"seq": e.seq, "at": e.at.isoformat(), "status": shown})
        return {
            "number": t.number, "external_id": row.external_id, "channel": t.channel.value,
            "type": t.request_type.value if t.request_type else None,
            "status": public_status(t.status), "created_at": t.created_at.isoformat(),
            "confidential": hidden,
            "content": None if hidden else t.content,
            "department": t.lead_department.name if t.lead_department and not hidden else None,
            "reply": t.reply if t.status in REPLY_SHOWN and not hidden else None,
            "replied_at": t.replied_at.isoformat() if t.replied_at and not hidden else None,
            "evaluation": t.evaluation.value if t.evaluation else None,
            "history": history,
        }
