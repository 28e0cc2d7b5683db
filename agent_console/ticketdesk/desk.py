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
    def __init__(self, tickets, sessions=None, catalogue=None, services: dict | None = None,
                 link_recordings=None) -> None:
        """`link_recordings(linkedid, number)`: gives the call's recordings the ticket's number, so a
        search of recordings by 工单号 finds a call whose ticket the agent registered during or after it."""
        self._tickets = tickets
        self._sessions = sessions
        self._catalogue = catalogue
        self._services = services or {}
        self._link_recordings = link_recordings

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
        details = await self._details(data, ticket) if ticket.status is Status.DRAFT else None
        await self._fresh_rules()
        if ticket.status is Status.DRAFT:
            ticket = await self._tickets.register(
                number, actor, request_type=_text(data, "request_type") or "", content=_text(data, "content") or "",
                category=_text(data, "category"), urgency=_text(data, "urgency") or None,
                confidential=confidential, details=details)
        elif then == "register":
            ticket = await self._tickets.register(number, actor, request_type=_text(data, "request_type") or "",
                                                  content=_text(data, "content") or "")  # refused: not a draft
        if self._link_recordings is not None and ticket.call_id:
            await self._link_recordings(ticket.call_id, number)
        if then == "reply":
            ticket = await self._tickets.reply(number, reply, actor)
        elif then == "dispatch":
            ticket = await self._tickets.dispatch(number, lead, co, actor,
                                                  routing=await self._routing(ticket, lead.strip(), co))
        return ticket

    async def _fresh_rules(self) -> None:
        """Deadline rules an admin (console or CLI, maybe on another engine) changed apply to this ticket."""
        reload = getattr(self._tickets, "reload_rules", None)
        if reload is not None:
            await reload()

    async def _details(self, data: dict, ticket):
        """事发地点, contact number (blank: the caller ID) and caller's name, checked before 登记."""
        from tickets.intake import TicketDetails

        if self._catalogue is None:
            return None
        districts, streets = await self._catalogue.places()
        return TicketDetails.parse(district=_text(data, "district"), street=_text(data, "street"),
                                   address=_text(data, "address"), contact=_text(data, "contact"),
                                   caller_name=_text(data, "caller_name"), caller=ticket.caller,
                                   districts=districts, streets=streets,
                                   personal_callback=data.get("personal_callback") is True)

    async def _routing(self, ticket, lead: str, co: list[str]) -> dict | None:
        from .routing import routing_of, suggestion_for

        if self._catalogue is None:
            return None
        suggestion, guessed = await suggestion_for(self._services, self._catalogue, ticket.category,
                                                   ticket.district, ticket.content)
        return routing_of(suggestion, lead, co, guessed)

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
