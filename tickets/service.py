"""The only way in and out of the ticket tables, for the IVR and the agent console.

Every change is one transaction: lock/read the ticket, check the transition against the
lifecycle table, apply it, append one TicketEvent (seq = previous + 1). The history is
append-only because this API has no way to edit or delete it (and the ORM refuses to).
Concurrent steps on one ticket queue on a row lock (the database write lock on SQLite); the row
version is a second guard: a write based on a stale read fails with ConcurrentUpdate.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from tickets.codes import Action, Channel, Evaluation, RequestType, Status, TranscriptStatus, Urgency
from tickets.deadlines import DeadlineRules
from tickets.errors import ConcurrentUpdate, InvalidField, UnknownDepartment, WrongDepartment
from tickets.lifecycle import next_status
from tickets.models import Department, Ticket, TicketEvent
from tickets.numbering import next_number, shanghai_day
from tickets.queries import with_departments, load_events, load_ticket, overdue_tickets, search_tickets
from tickets.validation import clean_actor, clean_text, normalize_caller
from tickets.views import DepartmentRef, EventView, OverdueItem, TicketView
from tickets.workcalendar import WorkCalendar

Change = Callable[[AsyncSession, Ticket, datetime], Awaitable[dict[str, Any]]]


def _code(enum: type, field: str, value: Any):
    try:
        return enum.parse(value)
    except ValueError as exc:
        raise InvalidField(field, str(exc)) from None


def _aware(field: str, value: datetime | None) -> datetime | None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise InvalidField(field, "需要带时区的时间 (aware datetime required)")
    return value


class TicketService:
    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime],
                 calendar: WorkCalendar, rules: DeadlineRules) -> None:
        self._sessions = sessionmaker
        self._clock = clock
        self._calendar = calendar
        self._rules = rules

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return now

    async def reload_rules(self) -> None:
        async with self._sessions() as session:
            self._rules = await DeadlineRules.load(session)

    async def add_department(self, code: str, name: str) -> DepartmentRef:
        code = clean_text("department_code", code, required=True).strip()
        name = clean_text("department_name", name, required=True).strip()
        async with self._sessions() as session, session.begin():
            dept = (await session.execute(select(Department).where(Department.code == code))).scalar_one_or_none()
            if dept is None:
                session.add(Department(code=code, name=name, active=True))
            else:
                dept.name, dept.active = name, True
        return DepartmentRef(code, name)

    async def set_department_active(self, code: str, active: bool) -> DepartmentRef:
        """Deactivate (or reactivate) a department: dispatch forms stop offering it, history keeps it."""
        code = str(code).strip()
        async with self._sessions() as session, session.begin():
            dept = (await session.execute(select(Department).where(Department.code == code))).scalar_one_or_none()
            if dept is None:
                raise UnknownDepartment(code)
            dept.active = bool(active)
            return DepartmentRef(dept.code, dept.name)

    async def list_departments(self) -> list[DepartmentRef]:
        """Active departments, for dispatch forms."""
        async with self._sessions() as session:
            rows = await session.scalars(select(Department).where(Department.active.is_(True))
                                         .order_by(Department.name))
            return [DepartmentRef(d.code, d.name) for d in rows]

    async def create_draft(self, *, actor: str = "ivr", caller: str | None = None, channel: str = "phone",
                           call_id: str | None = None, line_dialed: str | None = None,
                           content: str | None = None, transcript: str | None = None,
                           audio_ref: str | None = None, transcript_status: str = "none",
                           request_type: str | None = None, category: str | None = None,
                           urgency: str = "normal", confidential: bool = False) -> TicketView:
        """A new ticket with its number (read to the caller at once), status draft."""
        actor = clean_actor(actor)
        fields = dict(
            caller=normalize_caller(caller), channel=_code(Channel, "channel", channel).value,
            call_id=clean_text("call_id", call_id), line_dialed=clean_text("line_dialed", line_dialed),
            content=clean_text("content", content), transcript=clean_text("transcript", transcript),
            audio_ref=clean_text("audio_ref", audio_ref),
            transcript_status=_code(TranscriptStatus, "transcript_status", transcript_status).value,
            request_type=_code(RequestType, "request_type", request_type).value if request_type else None,
            category=clean_text("category", category), urgency=_code(Urgency, "urgency", urgency).value,
            confidential=bool(confidential),
        )
        now = self._now()
        async with self._sessions() as session, session.begin():
            number = await next_number(session, shanghai_day(now))
            ticket = Ticket(number=number, status=Status.DRAFT.value, created_at=now, updated_at=now,
                            lead_department=None, co_departments=[], supervised=False,
                            supervision_count=0, last_event_seq=1, **fields)
            session.add(ticket)
            await session.flush()
            self._append(session, ticket, now, actor, Action.CREATE, None, Status.DRAFT,
                         {"channel": fields["channel"], "call_id": fields["call_id"]})
            await session.flush()
            return TicketView.of(ticket)

    async def attach_transcript(self, number: str, transcript: str | None, status: str, actor: str,
                                audio_ref: str | None = None) -> TicketView:
        transcript = clean_text("transcript", transcript)
        code = _code(TranscriptStatus, "transcript_status", status).value
        audio_ref = clean_text("audio_ref", audio_ref)

        async def change(session, t, now):
            t.transcript, t.transcript_status = transcript, code
            if audio_ref is not None:
                t.audio_ref = audio_ref
            return {"transcript_status": code, "chars": len(transcript or "")}
        return await self._apply(number, Action.TRANSCRIPT, actor, change)

    async def log_linkage(self, number: str, *, at: datetime, target: str, trigger: str, trigger_kind: str,
                          result: str, actor: str = "ivr") -> TicketView:
        """紧急联动 (12345–110/119/120/122): who/what/when of one linkage step; status unchanged.

        The IVR logs the decision ('routed'); the transfer layer logs answered/busy/no answer later.
        """
        if at.tzinfo is None:
            raise InvalidField("at", "an aware datetime is required")
        detail = {"at": at.isoformat(), "target": clean_text("target", target, required=True),
                  "trigger": clean_text("trigger", trigger, required=True),
                  "trigger_kind": clean_text("trigger_kind", trigger_kind, required=True),
                  "result": clean_text("result", result, required=True)}

        async def change(session, t, now):
            return detail
        return await self._apply(number, Action.LINKAGE, actor, change)

    async def register(self, number: str, actor: str, *, request_type: str, content: str,
                       category: str | None = None, urgency: str | None = None,
                       confidential: bool | None = None, caller: str | None = None) -> TicketView:
        """Agent completes the draft; the completion deadline (限时办结) starts now."""
        rtype = _code(RequestType, "request_type", request_type).value
        content = clean_text("content", content, required=True)
        category = clean_text("category", category)
        urg = _code(Urgency, "urgency", urgency).value if urgency else None
        caller = normalize_caller(caller)

        async def change(session, t, now):
            t.request_type, t.content = rtype, content
            t.category = category if category is not None else t.category
            t.urgency = urg or t.urgency
            t.confidential = t.confidential if confidential is None else bool(confidential)
            t.caller = caller or t.caller
            t.registered_at = now
            t.complete_due = self._rules.complete_due(now, rtype, t.urgency, self._calendar)
            return {"request_type": rtype, "urgency": t.urgency, "complete_due": t.complete_due.isoformat()}
        return await self._apply(number, Action.REGISTER, actor, change)

    async def dispatch(self, number: str, lead_dept: str, co_depts: Iterable[str], actor: str,
                       note: str | None = None) -> TicketView:
        """按责转办 to a lead department (主办) and co-handling ones (协办); accept clock starts."""
        note = clean_text("note", note)
        co_codes = sorted({str(c).strip() for c in co_depts})
        if str(lead_dept).strip() in co_codes:
            raise InvalidField("co_depts", "主办部门不能同时协办 (lead department listed as co-handling)")

        async def change(session, t, now):
            lead = await self._department(session, lead_dept)
            t.lead_department = lead
            t.co_departments = [await self._department(session, c) for c in co_codes]
            t.dispatched_at = now
            t.accepted_at = None
            t.accept_due = self._rules.accept_due(now, t.request_type, t.urgency, self._calendar)
            return {"lead": lead.code, "co": co_codes, "note": note, "accept_due": t.accept_due.isoformat()}
        return await self._apply(number, Action.DISPATCH, actor, change)

    async def accept(self, number: str, dept: str, actor: str) -> TicketView:
        async def change(session, t, now):
            self._check_lead(t, dept)
            t.accepted_at = now
            return {"dept": t.lead_department.code}
        return await self._apply(number, Action.ACCEPT, actor, change)

    async def return_(self, number: str, dept: str, reason: str, actor: str) -> TicketView:
        """The lead department hands the ticket back (not its responsibility); dispatcher re-routes."""
        reason = clean_text("reason", reason, required=True)

        async def change(session, t, now):
            self._check_lead(t, dept)
            return {"dept": t.lead_department.code, "reason": reason}
        return await self._apply(number, Action.RETURN, actor, change)

    async def reply(self, number: str, text: str, actor: str) -> TicketView:
        text = clean_text("reply", text, required=True)

        async def change(session, t, now):
            t.reply, t.replied_at = text, now
            on_time = t.complete_due is None or now <= t.complete_due
            return {"reply": text, "on_time": on_time}
        return await self._apply(number, Action.REPLY, actor, change)

    async def record_callback(self, number: str, evaluation: str, note: str | None, actor: str) -> TicketView:
        """回访评价: 满意 / 基本满意 / 不满意 (codes or Chinese labels accepted)."""
        ev = _code(Evaluation, "evaluation", evaluation).value
        note = clean_text("note", note)

        async def change(session, t, now):
            t.evaluation = ev
            return {"evaluation": ev, "note": note}
        return await self._apply(number, Action.CALLBACK, actor, change)

    async def close(self, number: str, actor: str) -> TicketView:
        async def change(session, t, now):
            t.closed_at = now
            return {}
        return await self._apply(number, Action.CLOSE, actor, change)

    async def reopen(self, number: str, reason: str, actor: str) -> TicketView:
        """重办: evaluation cleared, the completion deadline restarts from now."""
        reason = clean_text("reason", reason, required=True)

        async def change(session, t, now):
            t.closed_at, t.evaluation = None, None
            t.complete_due = self._rules.complete_due(now, t.request_type, t.urgency, self._calendar)
            return {"reason": reason, "complete_due": t.complete_due.isoformat()}
        return await self._apply(number, Action.REOPEN, actor, change)

    async def supervise(self, number: str, note: str, actor: str) -> TicketView:
        """督办: flag plus event, status unchanged."""
        note = clean_text("note", note, required=True)

        async def change(session, t, now):
            t.supervised = True
            t.supervision_count += 1
            return {"note": note, "count": t.supervision_count}
        return await self._apply(number, Action.SUPERVISE, actor, change)

    async def get(self, number: str) -> TicketView:
        async with self._sessions() as session:
            return TicketView.of(await load_ticket(session, number))

    async def history(self, number: str) -> list[EventView]:
        async with self._sessions() as session:
            ticket = await load_ticket(session, number)
            return [EventView.of(e) for e in await load_events(session, ticket.id)]

    async def pending_transcripts(self, limit: int = 50) -> list[TicketView]:
        """Tickets whose audio is kept but not yet transcribed (speech was off), oldest first."""
        async with self._sessions() as session:
            rows = await session.scalars(with_departments(
                select(Ticket).where(Ticket.transcript_status == TranscriptStatus.PENDING.value,
                                     Ticket.audio_ref.is_not(None))
                .order_by(Ticket.created_at).limit(limit)))
            return [TicketView.of(t) for t in rows]

    async def search(self, *, number: str | None = None, caller: str | None = None,
                     text: str | None = None, status: str | Iterable[str] | None = None,
                     since: datetime | None = None, until: datetime | None = None,
                     limit: int = 50, call_id: str | None = None) -> list[TicketView]:
        number = (clean_text("text", number) or "").strip() or None
        text = clean_text("text", text)
        _aware("since", since)
        _aware("until", until)
        async with self._sessions() as session:
            found = await search_tickets(session, number=number, caller=normalize_caller(caller),
                                         text=text, status=status, since=since, until=until, limit=limit,
                                         call_id=clean_text("call_id", call_id))
            return [TicketView.of(t) for t in found]

    async def list_overdue(self, now: datetime | None = None) -> list[OverdueItem]:
        now = _aware("now", now) or self._now()
        async with self._sessions() as session:
            return [OverdueItem(TicketView.of(t), kind, due, (now - due).total_seconds())
                    for t, kind, due in await overdue_tickets(session, now)]

    async def _apply(self, number: str, action: Action, actor: str, change: Change) -> TicketView:
        actor = clean_actor(actor)
        try:
            async with self._sessions() as session, session.begin():
                ticket = await load_ticket(session, number, lock=True)
                before = ticket.status
                after = next_status(ticket.number, before, action)
                now = self._now()
                detail = await change(session, ticket, now)
                ticket.status, ticket.updated_at = after.value, now
                ticket.last_event_seq += 1
                await session.flush()  # the version check must fail before the event insert
                self._append(session, ticket, now, actor, action, Status(before), after, detail)
                await session.flush()
                return TicketView.of(ticket)
        except StaleDataError:
            raise ConcurrentUpdate(number) from None

    @staticmethod
    def _append(session: AsyncSession, ticket: Ticket, now: datetime, actor: str, action: Action,
                before: Status | None, after: Status, detail: dict[str, Any]) -> None:
        session.add(TicketEvent(ticket_id=ticket.id, seq=ticket.last_event_seq, at=now, actor=actor,
                                action=action.value, from_status=before.value if before else None,
                                to_status=after.value, detail=detail))

    @staticmethod
    async def _department(session: AsyncSession, code: str) -> Department:
        code = str(code).strip()
        dept = (await session.execute(select(Department).where(Department.code == code))).scalar_one_or_none()
        if dept is None or not dept.active:
            raise UnknownDepartment(code)
        return dept

    @staticmethod
    def _check_lead(ticket: Ticket, dept: str) -> None:
        lead = ticket.lead_department.code if ticket.lead_department else None
        if str(dept).strip() != lead:
            raise WrongDepartment(ticket.number, str(dept), lead)
