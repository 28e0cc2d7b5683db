"""The only way in and out of the ticket tables, for the IVR and the agent console.

Every change is one transaction: lock/read the ticket, check the transition against the
lifecycle table, apply it, append one TicketEvent (seq = previous + 1). The history is
append-only because this API has no way to edit or delete it (and the ORM refuses to).
Concurrent steps on one ticket queue on a row lock (the database write lock on SQLite); the row
version is a second guard: a write based on a stale read fails with ConcurrentUpdate.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from tickets import day_figures
from tickets.codes import Action, Channel, Evaluation, RequestType, ReturnReason, Status, TranscriptStatus, Urgency
from tickets.deadlines import DeadlineRules
from tickets.errors import ConcurrentUpdate, IllegalTransition, InvalidField, UnknownDepartment, WrongDepartment
from tickets.day_figures import HotKey, hot_key
from tickets.lifecycle import next_status
from tickets.models import DEPARTMENT_KINDS, Department, Ticket, TicketEvent
from tickets.numbering import next_number, next_numbers, shanghai_day
from tickets.queries import (load_events, load_ticket, overdue_tickets,
                             search_tickets, with_departments)
from tickets.validation import clean_actor, clean_text, normalize_caller
from tickets.views import DepartmentRef, EventView, OverdueItem, TicketView
from tickets.workcalendar import WorkCalendar

Change = Callable[[AsyncSession, Ticket, datetime], Awaitable[dict[str, Any]]]
UNCHANGED = object()


class HistoryRow(NamedTuple):
    """One history event as stored codes (histories_between)."""

    seq: int
    at: datetime
    action: str
    from_status: str | None
    detail: dict[str, Any]


def _code(enum: type, field: str, value: Any):
    try:
        return enum.parse(value)
    except ValueError as exc:
        raise InvalidField(field, str(exc)) from None


def _aware(field: str, value: datetime | None) -> datetime | None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise InvalidField(field, "需要带时区的时间 (aware datetime required)")
    return value


def draft_fields(*, caller: str | None = None, channel: str = "phone", call_id: str | None = None,
                 line_dialed: str | None = None, content: str | None = None, transcript: str | None = None,
                 audio_ref: str | None = None, transcript_status: str = "none", request_type: str | None = None,
                 category: str | None = None, urgency: str = "normal", confidential: bool = False) -> dict[str, Any]:
    """A new draft's checked columns (InvalidField otherwise): `create_draft` and `insert_drafts` alike."""
    return dict(
        caller=normalize_caller(caller), channel=_code(Channel, "channel", channel).value,
        call_id=clean_text("call_id", call_id), line_dialed=clean_text("line_dialed", line_dialed),
        content=clean_text("content", content), transcript=clean_text("transcript", transcript),
        audio_ref=clean_text("audio_ref", audio_ref),
        transcript_status=_code(TranscriptStatus, "transcript_status", transcript_status).value,
        request_type=_code(RequestType, "request_type", request_type).value if request_type else None,
        category=clean_text("category", category), urgency=_code(Urgency, "urgency", urgency).value,
        confidential=bool(confidential),
    )


class TicketService:
    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime],
                 calendar: WorkCalendar, rules: DeadlineRules) -> None:
        self._sessions = sessionmaker
        self._clock = clock
        self._calendar = calendar
        self._rules = rules
        self.after_change: list[Callable[[TicketView, Action, str], Awaitable[None]]] = []  # e.g. tickets/merging.py

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return now

    async def reload_rules(self) -> None:
        async with self._sessions() as session:
            self._rules = await DeadlineRules.load(session)

    async def add_department(self, code: str, name: str, *, kind: str | None = None,
                             parent: str | None = None) -> DepartmentRef:
        """Add or rename a department; `kind` (city/district/street) and `parent` (a code) place it in
        the tree 市直部门 / 区县 / 街道乡镇. None keeps what an existing department has."""
        code = clean_text("department_code", code, required=True).strip()
        name = clean_text("department_name", name, required=True).strip()
        if kind is not None and kind not in DEPARTMENT_KINDS:
            raise InvalidField("kind", f"部门层级应为 {DEPARTMENT_KINDS} 之一 (unknown department kind)")
        async with self._sessions() as session, session.begin():
            dept = (await session.execute(select(Department).where(Department.code == code))).scalar_one_or_none()
            if dept is None:
                dept = Department(code=code, name=name, active=True, kind=kind or "city")
                session.add(dept)
            else:
                dept.name, dept.active = name, True
                dept.kind = kind or dept.kind
            if parent is not None:
                up = await self._department(session, parent)
                if up.code == code:
                    raise InvalidField("parent", "上级部门不能是自己 (a department cannot be its own parent)")
                await session.flush()
                dept.parent_id = up.id
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
                           urgency: str = "normal", confidential: bool = False,
                           details=None) -> TicketView:
        """A new ticket with its number (read to the caller at once), status draft. `details`
        (tickets.intake.TicketDetails) carries 事发地点 and contact given by a web citizen."""
        actor = clean_actor(actor)
        fields = draft_fields(caller=caller, channel=channel, call_id=call_id, line_dialed=line_dialed,
                              content=content, transcript=transcript, audio_ref=audio_ref,
                              transcript_status=transcript_status, request_type=request_type, category=category,
                              urgency=urgency, confidential=confidential)
        now = self._now()
        async with self._sessions() as session, session.begin():
            number = await next_number(session, shanghai_day(now))
            ticket = Ticket(number=number, status=Status.DRAFT.value, created_at=now, updated_at=now,
                            lead_department=None, co_departments=[], supervised=False,
                            supervision_count=0, last_event_seq=1, **fields)
            extra = details.apply(ticket) if details is not None else {}
            session.add(ticket)
            await session.flush()
            await self._append(session, ticket, now, actor, Action.CREATE, None, Status.DRAFT,
                               {"channel": fields["channel"], "call_id": fields["call_id"], **extra}, hot_before=None)
            await session.flush()
            return TicketView.of(ticket)

    async def insert_drafts(self, session: AsyncSession | AsyncConnection, drafts: list[tuple[dict[str, Any], Any]], *,
                            actor: str, now: datetime) -> list[str]:
        """Many drafts in the caller's transaction (the web intake's group commit): one counter upsert for
        their numbers, one multi-row insert of the tickets, one of their create events. `drafts` are
        (`draft_fields(...)`, TicketDetails or None); returns their numbers in order. A draft counts in no
        day figure and no hotspot row (tickets/day_figures.py), so there is nothing else to write."""
        actor = clean_actor(actor)
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        numbers = await next_numbers(session, shanghai_day(now), len(drafts))
        rows, details = [], []
        for number, (fields, extra) in zip(numbers, drafts, strict=True):
            row = SimpleNamespace(number=number, status=Status.DRAFT.value, created_at=now, updated_at=now,
                                  supervised=False, supervision_count=0, last_event_seq=1, version=1, **fields)
            details.append(extra.apply(row) if extra is not None else {})
            rows.append(vars(row))
        # one multi-row INSERT .. RETURNING on both databases (SQLAlchemy's insertmanyvalues); the rows come back
        # in no promised order, so each id is matched by its number (asking for parameter order is row by row on SQLite)
        table = Ticket.__table__
        ids = dict((await session.execute(table.insert().returning(table.c.number, table.c.id), rows)).all())
        await session.execute(TicketEvent.__table__.insert(), [
            {"ticket_id": ids[row["number"]], "seq": 1, "at": now, "actor": actor, "action": Action.CREATE.value,
             "from_status": None, "to_status": Status.DRAFT.value,
             "detail": {"channel": row["channel"], "call_id": row["call_id"], **extra}}
            for row, extra in zip(rows, details, strict=True)])
        return numbers

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
                       confidential: bool | None = None, caller: str | None = None,
                       details=None) -> TicketView:
        """Agent completes the draft; the completion deadline (限时办结) starts now. `details`
        (tickets.intake.TicketDetails): 事发地点, contact number, caller's name, checked beforehand."""
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
            extra = details.apply(t) if details is not None else {}
            return {"request_type": rtype, "urgency": t.urgency, "complete_due": t.complete_due.isoformat(), **extra}
        return await self._apply(number, Action.REGISTER, actor, change)

    async def dispatch(self, number: str, lead_dept: str, co_depts: Iterable[str], actor: str,
                       note: str | None = None, routing: dict | None = None) -> TicketView:
        """按责转办 to a lead department (主办) and co-handling ones (协办); accept clock starts.
        `routing` says which rule chose the departments (catalogue rule id / classifier / manual)."""
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
            detail = {"lead": lead.code, "co": co_codes, "note": note, "accept_due": t.accept_due.isoformat()}
            if routing is not None:
                detail["routing"] = dict(routing)
            return detail
        return await self._apply(number, Action.DISPATCH, actor, change)

    def deadline_limits(self) -> list:
        """The 限时 rules in force (as last loaded), for the admin page."""
        return self._rules.limits()

    def preview_deadlines(self, start: datetime, request_type: str | None, urgency: str) -> dict:
        """The deadlines a ticket registered and dispatched at `start` would get (the agent's form shows
        them before 登记); completion needs the request type, so it is None without one."""
        urg = _code(Urgency, "urgency", urgency or "normal").value
        rtype = _code(RequestType, "request_type", request_type).value if request_type else None
        accept = self._rules.limit("accept", rtype or "*", urg)
        complete = self._rules.limit("complete", rtype, urg) if rtype else None
        return {"accept_due": accept.due(start, self._calendar), "accept_limit": accept,
                "complete_due": complete.due(start, self._calendar) if complete else None,
                "complete_limit": complete}

    async def accept(self, number: str, dept: str, actor: str) -> TicketView:
        async def change(session, t, now):
            self._check_lead(t, dept)
            t.accepted_at = now
            return {"dept": t.lead_department.code, "on_time": t.accept_due is None or now <= t.accept_due}
        return await self._apply(number, Action.ACCEPT, actor, change)

    async def return_(self, number: str, dept: str, reason: str, actor: str,
                      reason_code: str = ReturnReason.OTHER.value) -> TicketView:
        """退单: the lead department hands the ticket back with a reason from the list plus text; it
        waits in the center's 派单异议审核 queue (status returned)."""
        code = _code(ReturnReason, "reason_code", reason_code).value
        reason = clean_text("reason", reason, required=True)

        async def change(session, t, now):
            self._check_lead(t, dept)
            return {"dept": t.lead_department.code, "reason_code": code, "reason": reason}
        return await self._apply(number, Action.RETURN, actor, change)

    async def co_reply(self, number: str, dept: str, text: str, actor: str) -> TicketView:
        """协办意见: a co-handling department adds its part; the status stays, the lead still replies."""
        text = clean_text("reply", text, required=True)

        async def change(session, t, now):
            codes = [d.code for d in t.co_departments]
            if str(dept).strip() not in codes:
                raise WrongDepartment(t.number, str(dept), t.lead_department.code if t.lead_department else None)
            return {"dept": str(dept).strip(), "reply": text}
        return await self._apply(number, Action.CO_REPLY, actor, change)

    async def reject_return(self, number: str, comment: str, actor: str) -> TicketView:
        """The center finds a return unfounded: back to the same department, which signs for it again
        (a new acceptance deadline from now)."""
        comment = clean_text("comment", comment, required=True)

        async def change(session, t, now):
            t.dispatched_at, t.accepted_at = now, None
            t.accept_due = self._rules.accept_due(now, t.request_type, t.urgency, self._calendar)
            return {"dept": t.lead_department.code if t.lead_department else None, "comment": comment,
                    "accept_due": t.accept_due.isoformat()}
        return await self._apply(number, Action.REJECT_RETURN, actor, change)

    async def reply(self, number: str, text: str, actor: str, *, dept: str | None = None,
                    contact: str | None = None) -> TicketView:
        """答复. A department replies with `dept` (checked to be the lead) and `contact`, how it reached
        the citizen; the center's 直接办结 passes neither."""
        text = clean_text("reply", text, required=True)
        contact = clean_text("contact", contact, required=dept is not None)

        async def change(session, t, now):
            if dept is not None:
                self._check_lead(t, dept)
            t.reply, t.replied_at = text, now
            on_time = t.complete_due is None or now <= t.complete_due
            detail = {"reply": text, "on_time": on_time}
            if dept is not None:
                detail.update(dept=t.lead_department.code, contact=contact)
            return detail
        return await self._apply(number, Action.REPLY, actor, change)

    async def record_callback(self, number: str, evaluation: str, note: str | None, actor: str,
                              *, extra: dict[str, Any] | None = None) -> TicketView:
        """回访评价: 满意 / 基本满意 / 不满意 (codes or Chinese labels accepted). `extra` (e.g. the
        callbacks/ attempt: resolved, channel, attempt number) goes into the event as it is."""
        ev = _code(Evaluation, "evaluation", evaluation).value
        note = clean_text("note", note)

        async def change(session, t, now):
            t.evaluation = ev
            return {**(extra or {}), "evaluation": ev, "note": note}
        return await self._apply(number, Action.CALLBACK, actor, change)

    async def log_callback_try(self, number: str, detail: dict[str, Any], actor: str) -> TicketView:
        """回访未果: an attempt that did not reach the citizen, on a replied ticket; status unchanged."""
        async def change(session, t, now):
            return dict(detail)
        return await self._apply(number, Action.CALLBACK_TRY, actor, change)

    async def log_callback_route(self, number: str, detail: dict[str, Any], actor: str) -> TicketView:
        """回访分派: which list calls the citizen back (语音回访 or 坐席回访), or a move between them; status unchanged."""
        async def change(session, t, now):
            return dict(detail)
        return await self._apply(number, Action.CALLBACK_ROUTE, actor, change)

    async def record_unreachable(self, number: str, attempts: int, actor: str) -> TicketView:
        """无法回访: the callback step ends without an evaluation (then `close`)."""
        async def change(session, t, now):
            t.evaluation = None
            return {"evaluation": None, "outcome": "unreachable", "attempts": attempts}
        return await self._apply(number, Action.CALLBACK, actor, change)

    async def close(self, number: str, actor: str, reason: str | None = None) -> TicketView:
        reason = clean_text("reason", reason)

        async def change(session, t, now):
            t.closed_at = now
            return {"reason": reason} if reason else {}
        return await self._apply(number, Action.CLOSE, actor, change)

    async def reopen(self, number: str, reason: str, actor: str) -> TicketView:
        """重办: evaluation cleared, the completion deadline restarts from now."""
        reason = clean_text("reason", reason, required=True)

        async def change(session, t, now):
            t.closed_at, t.evaluation = None, None
            t.complete_due = self._rules.complete_due(now, t.request_type, t.urgency, self._calendar)
            return {"reason": reason, "complete_due": t.complete_due.isoformat()}
        return await self._apply(number, Action.REOPEN, actor, change)

    async def supervise(self, number: str, note: str, actor: str, due: datetime | None = None) -> TicketView:
        """督办: flag plus event, status unchanged; `due` is a 督办单's due time (issue 12.6)."""
        note = clean_text("note", note, required=True)
        _aware("due", due)

        async def change(session, t, now):
            t.supervised = True
            t.supervision_count += 1
            detail = {"note": note, "count": t.supervision_count}
            if due is not None:
                detail["due"] = due.isoformat()
            return detail
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

    async def inbox(self, dept: str, tab: str, limit: int = 200) -> list[TicketView]:
        """A department's 待签收 (pending) / 办理中 (doing) / 待审核 (review) / 已办结 (done) list (tickets/inbox.py)."""
        from tickets.inbox import TABS, inbox_tickets

        if tab not in TABS:
            raise InvalidField("tab", f"应为 {TABS} 之一 (unknown inbox tab)")
        async with self._sessions() as session:
            department = await self._department(session, dept, active_only=False)
            return await inbox_tickets(session, department.id, tab, limit)

    async def returned(self, limit: int = 200) -> list[tuple[TicketView, EventView | None]]:
        """The center's 派单异议审核 queue: returned tickets, oldest first, each with its latest return event."""
        async with self._sessions() as session:
            rows = await session.scalars(with_departments(
                select(Ticket).where(Ticket.status == Status.RETURNED.value)
                .order_by(Ticket.updated_at, Ticket.id).limit(limit)))
            out = []
            for t in rows:
                events = await load_events(session, t.id)
                last = next((e for e in reversed(events) if e.action == Action.RETURN.value), None)
                out.append((TicketView.of(t), EventView.of(last) if last else None))
            return out

    async def awaiting_callback(self, limit: int = 200) -> list[TicketView]:
        """Replied tickets (回访 not done yet), longest replied first: the callbacks/ worklist."""
        async with self._sessions() as session:
            rows = await session.scalars(with_departments(
                select(Ticket).where(Ticket.status == Status.REPLIED.value)
                .order_by(Ticket.replied_at, Ticket.id).limit(min(limit, 500))))
            return [TicketView.of(t) for t in rows]

    async def histories_between(self, since: datetime, until: datetime, *,
                                channel: str | None = None) -> list[list[HistoryRow]]:
        """The whole history of every ticket with an event in [since, until), as plain rows (codes, no
        ORM objects: a year of a large center is millions of them): what the 考核 report (reports/)
        replays, since an event's meaning may depend on earlier ones. `channel`: only tickets that came
        in by it (the report split by channel, issue 16)."""
        _aware("since", since)
        _aware("until", until)
        touched = select(TicketEvent.ticket_id).where(TicketEvent.at >= since, TicketEvent.at < until).distinct()
        if channel:
            touched = touched.join(Ticket, Ticket.id == TicketEvent.ticket_id).where(Ticket.channel == channel)
        async with self._sessions() as session:
            result = await session.stream(
                select(TicketEvent.ticket_id, TicketEvent.seq, TicketEvent.at, TicketEvent.action,
                       TicketEvent.from_status, TicketEvent.detail)
                .where(TicketEvent.ticket_id.in_(touched)).order_by(TicketEvent.ticket_id, TicketEvent.seq)
                .execution_options(yield_per=10_000))
            out: dict[int, list[HistoryRow]] = {}
            async for chunk in result.partitions(10_000):  # one await per chunk, not per row
                for ticket_id, seq, at, action, from_status, detail in chunk:
                    out.setdefault(ticket_id, []).append(HistoryRow(seq, at, action, from_status, detail or {}))
            return list(out.values())

    async def day_figures(self, first: date, last: date, *,
                          channel: str | None = None) -> list[tuple[str, dict[str, int]]]:
        """The 考核 counts per department over the Shanghai days `first`..`last`, from the per-day rows
        kept with every event (tickets/day_figures.py): what a replay of `histories_between` gives."""
        async with self._sessions() as session:
            return await day_figures.figure_totals(session, first, last, channel=channel)

    async def list_overdue(self, now: datetime | None = None) -> list[OverdueItem]:
        now = _aware("now", now) or self._now()
        async with self._sessions() as session:
            return [OverdueItem(TicketView.of(t), kind, due, (now - due).total_seconds())
                    for t, kind, due in await overdue_tickets(session, now)]

    async def apply_step(self, number: str, action: Action, actor: str, change: Change) -> TicketView:
        """A step defined beside this module (tickets/handling.py: 二级派单, 审核, 延期) under the same
        row lock, lifecycle check and history line as the steps above."""
        return await self._apply(number, action, actor, change)

    @property
    def calendar(self) -> WorkCalendar:
        return self._calendar

    async def record_system_steps(self, steps: Iterable[tuple[str, Action, dict[str, Any]]], actor: str) -> int:
        """Many 督办 history lines in one transaction (a sweep may mark thousands at once); a ticket whose
        status no longer allows the step is skipped. Returns how many were recorded."""
        steps = [(str(n), Action(a), dict(d)) for n, a, d in steps]
        if any(a not in (Action.DEADLINE_MARK, Action.REMIND, Action.ESCALATE) for _, a, _ in steps):
            raise InvalidField("action", "not a system step")
        if not steps:
            return 0
        actor = clean_actor(actor)
        # Core statements, not ORM objects: a first sweep over a large center marks thousands at once
        async with self._sessions() as session, session.begin():
            stmt = (select(Ticket.id, Ticket.number, Ticket.status, Ticket.last_event_seq, Ticket.version)
                    .where(Ticket.number.in_(sorted({n for n, _, _ in steps}))).order_by(Ticket.id))
            if session.get_bind().dialect.name != "sqlite":
                stmt = stmt.with_for_update()
            found = {r.number: [r.id, r.status, r.last_event_seq, r.version, r.last_event_seq]
                     for r in await session.execute(stmt)}
            now, events = self._now(), []
            for number, action, detail in steps:
                ticket = found.get(number)
                try:
                    after = next_status(number, ticket[1], action) if ticket else None
                except IllegalTransition:
                    after = None
                if after is None:
                    continue
                ticket[2] += 1
                events.append(dict(ticket_id=ticket[0], seq=ticket[2], at=now, actor=actor, action=action.value,
                                   from_status=after.value, to_status=after.value, detail=detail))
            if not events:
                return 0
            conn = await session.connection()
            await conn.execute(insert(TicketEvent.__table__), events)
            changed = [dict(tid=t[0], seq=t[2], v=t[3]) for t in found.values() if t[2] != t[4]]
            table = Ticket.__table__
            result = await conn.execute(
                update(table).where(table.c.id == bindparam("tid"), table.c.version == bindparam("v"))
                .values(updated_at=now, last_event_seq=bindparam("seq"), version=table.c.version + 1), changed)
            if result.rowcount not in (-1, len(changed)):  # another writer moved a ticket meanwhile
                raise ConcurrentUpdate(",".join(sorted({n for n, _, _ in steps}))[:64])
            return len(events)

    async def _apply(self, number: str, action: Action, actor: str, change: Change) -> TicketView:
        view = await self._apply_one(number, action, actor, change)
        for listener in self.after_change:  # after the commit: a listener's own transaction
            await listener(view, action, clean_actor(actor))
        return view

    async def _apply_one(self, number: str, action: Action, actor: str, change: Change) -> TicketView:
        actor = clean_actor(actor)
        try:
            async with self._sessions() as session, session.begin():
                ticket = await load_ticket(session, number, lock=True)
                before, hot_before = ticket.status, hot_key(ticket)
                after = next_status(ticket.number, before, action)
                now = self._now()
                detail = await change(session, ticket, now)
                ticket.status, ticket.updated_at = after.value, now
                ticket.last_event_seq += 1
                await session.flush()  # the version check must fail before the event insert
                await self._append(session, ticket, now, actor, action, Status(before), after, detail,
                                   hot_before=hot_before)
                await session.flush()
                return TicketView.of(ticket)
        except StaleDataError:
            raise ConcurrentUpdate(number) from None

    @staticmethod
    async def _append(session: AsyncSession, ticket: Ticket, now: datetime, actor: str, action: Action,
                      before: Status | None, after: Status, detail: dict[str, Any], *,
                      hot_before: HotKey | None | object = UNCHANGED) -> None:
        """One history line, and what it adds to the day figures, in the step's transaction.
        `hot_before`: the ticket's hotspot key before the step (default: the step did not move it)."""
        event = TicketEvent(ticket_id=ticket.id, seq=ticket.last_event_seq, at=now, actor=actor,
                            action=action.value, from_status=before.value if before else None,
                            to_status=after.value, detail=detail)
        await day_figures.record(session, ticket, event, hot_key(ticket) if hot_before is UNCHANGED else hot_before)
        session.add(event)

    @staticmethod
    async def _department(session: AsyncSession, code: str, *, active_only: bool = True) -> Department:
        code = str(code).strip()
        dept = (await session.execute(select(Department).where(Department.code == code))).scalar_one_or_none()
        if dept is None or (active_only and not dept.active):
            raise UnknownDepartment(code)
        return dept

    @staticmethod
    def _check_lead(ticket: Ticket, dept: str) -> None:
        lead = ticket.lead_department.code if ticket.lead_department else None
        if str(dept).strip() != lead:
            raise WrongDepartment(ticket.number, str(dept), lead)
