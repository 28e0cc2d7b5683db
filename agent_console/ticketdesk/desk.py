"""TicketDesk: what the agent's ticket buttons do, in TicketService calls.

登记 registers the draft (type, category, content; the classifier's guesses are only defaults
the page fills in). Then either 直接办结 (TicketService.reply: registered -> replied, so the
ticket still gets its 回访) or 派单 (dispatch to a lead department and co-departments).
Each step is its own transaction in the ticket store: departments are checked before 登记, and a
failure after it (e.g. a concurrent edit) leaves a registered ticket the agent completes again.
"""
from __future__ import annotations

from sqlalchemy import select

from tickets.codes import RequestType, Status
from tickets.models import Department

from .errors import DeskInputError

NEXT_STEPS = ("register", "reply", "dispatch")
TYPE_CHOICES = tuple(t.label for t in RequestType)


def _text(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DeskInputError("console.ticket.bad_field", f"字段 {name} 必须是文本")
    return value


def _codes(data: dict, name: str) -> list[str]:
    value = data.get(name) or []
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > 20:
        raise DeskInputError("console.ticket.bad_field", "协办部门格式错误")
    return [v.strip() for v in value]


class TicketDesk:
    def __init__(self, tickets, sessions=None) -> None:
        self._tickets = tickets
        self._sessions = sessions

    async def complete(self, number: str, actor: str, data: dict):
        """Register (if still a draft), then reply or dispatch as `data['then']` says."""
        then = data.get("then", "register")
        if then not in NEXT_STEPS:
            raise DeskInputError("console.ticket.bad_step", "请选择：登记、直接办结或派单")
        confidential = data.get("confidential")
        if confidential is not None and not isinstance(confidential, bool):
            raise DeskInputError("console.ticket.bad_field", "保密标记格式错误")
        reply, lead = _text(data, "reply"), _text(data, "lead")
        co = _codes(data, "co")
        if then == "reply" and not (reply or "").strip():
            raise DeskInputError("console.ticket.reply_required", "直接办结需要填写答复内容")
        if then == "dispatch" and not (lead or "").strip():
            raise DeskInputError("console.ticket.lead_required", "派单需要选择主办部门")
        if then == "dispatch":
            await self._check_departments(lead.strip(), co)
        ticket = await self._tickets.get(number)
        if ticket.status is Status.DRAFT:
            ticket = await self._tickets.register(
                number, actor, request_type=_text(data, "request_type") or "", content=_text(data, "content") or "",
                category=_text(data, "category"), urgency=_text(data, "urgency") or None,
                confidential=confidential)
        elif then == "register":
            ticket = await self._tickets.register(number, actor, request_type=_text(data, "request_type") or "",
                                                  content=_text(data, "content") or "")  # refused: not a draft
        if then == "reply":
            ticket = await self._tickets.reply(number, reply, actor)
        elif then == "dispatch":
            ticket = await self._tickets.dispatch(number, lead, co, actor)
        return ticket

    async def _check_departments(self, lead: str, co: list[str]) -> None:
        """Before 登记: a typo in the dispatch must not leave a registered but undispatched ticket."""
        known = {d["code"] for d in await self.departments()}
        for code in [lead, *co]:
            if code not in known:
                raise DeskInputError("ticket.unknown_department", f"部门不存在：{code}")
        if lead in co:
            raise DeskInputError("ticket.invalid_field", "协办部门：主办部门不能同时协办")

    async def departments(self) -> list[dict]:
        """Active departments for the dispatch form (read only; TicketService has no listing yet)."""
        listing = getattr(self._tickets, "list_departments", None)
        if listing is not None:
            return [{"code": d.code, "name": d.name} for d in await listing()]
        async with self._sessions() as session:
            rows = await session.execute(select(Department.code, Department.name)
                                         .where(Department.active.is_(True)).order_by(Department.code))
            return [{"code": code, "name": name} for code, name in rows]
