"""Work inside a department between 签收 and 答复 (issue 12): 二级派单 to a sub-unit, a handler's result
waiting for the 单位负责人's review, attachments, and 申请延期 decided by the center.

Each step is a TicketService step (row lock, lifecycle check, one history line); the ticket's status
stays 办理中 (accepted) until the lead approves a result, which is the ticket's REPLY. Who may take
a step as a person (承办人 or 负责人, center) is the console's to check; which department may is
checked here: the lead department, or the sub-unit it passed the ticket to.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from tickets.attachments import AttachmentRefused, AttachmentRules, attachment_path, kind_of, safe_name, write_file
from tickets.codes import Action, Status
from tickets.errors import InvalidField, TicketError, WrongDepartment
from tickets.inbox import TABS, inbox_counts, inbox_tickets
from tickets.handling_models import TicketAssignment, TicketAttachment, TicketExtension, TicketSubmission
from tickets.models import Department, Ticket
from tickets.queries import load_ticket, with_departments
from tickets.validation import clean_text
from tickets.views import DepartmentRef, TicketView

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_EXTENSION_DAYS = 30


class HandlingRefused(TicketError):
    """A department step that the ticket's handling state does not allow; the message is for people."""

    error_id = "ticket.handling.refused"

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Upload:
    """A file as the console received it: the name the user gave, its size and an open binary file."""

    name: str
    size: int
    file: object


@dataclass(frozen=True)
class AttachmentView:
    id: int
    name: str
    kind: str
    size: int
    uploader: str
    uploaded_at: datetime
    submission_id: int | None
    department: str
    sha256: str
    file_path: str


@dataclass(frozen=True)
class SubmissionView:
    id: int
    department: DepartmentRef
    author: str
    result: str
    contact: str
    contacted: bool
    state: str
    submitted_at: datetime
    decided_by: str | None
    comment: str | None
    attachments: tuple[AttachmentView, ...] = ()


@dataclass(frozen=True)
class ExtensionView:
    id: int
    number: str
    department: DepartmentRef
    requested_by: str
    reason: str
    days: int
    old_due: datetime | None
    new_due: datetime
    state: str
    requested_at: datetime
    decided_by: str | None
    comment: str | None


@dataclass(frozen=True)
class Handling:
    """What a ticket page needs of the department side."""

    assigned: DepartmentRef | None = None          # the sub-unit it was passed to (二级派单)
    parent: DepartmentRef | None = None
    assigned_accepted_by: str | None = None        # who of the sub-unit signed for it (None: not yet)
    assigned_accepted_at: datetime | None = None
    pending: SubmissionView | None = None          # the result waiting for review
    submissions: tuple[SubmissionView, ...] = ()
    extension: ExtensionView | None = None         # the latest request
    sub_units: tuple[DepartmentRef, ...] = field(default=())


def _ref(d: Department | None) -> DepartmentRef | None:
    return None if d is None else DepartmentRef(d.code, d.name)


class HandlingService:
    def __init__(self, tickets, sessions: async_sessionmaker, rules: AttachmentRules,
                 zone: ZoneInfo = SHANGHAI) -> None:
        self._tickets, self._sessions, self.rules, self._zone = tickets, sessions, rules, zone

    # --- reads -------------------------------------------------------------------------------

    async def _dept(self, session, code: str) -> Department:
        dept = (await session.execute(select(Department).where(Department.code == str(code).strip()))).scalar_one_or_none()
        if dept is None:
            from tickets.errors import UnknownDepartment
            raise UnknownDepartment(str(code))
        return dept

    async def sub_units(self, code: str) -> list[DepartmentRef]:
        """The active departments directly under `code` in the tree (街道 under their 区县, …)."""
        async with self._sessions() as session:
            dept = await self._dept(session, code)
            rows = await session.scalars(select(Department).where(Department.parent_id == dept.id,
                                                                  Department.active.is_(True)).order_by(Department.name))
            return [DepartmentRef(d.code, d.name) for d in rows]

    @staticmethod
    async def _assignment(session, ticket_id: int) -> TicketAssignment | None:
        """The sub-unit the current lead passed the ticket to; one passed on by an earlier lead (the
        ticket was returned and dispatched elsewhere since) no longer counts."""
        return (await session.execute(select(TicketAssignment).join(Ticket, Ticket.id == TicketAssignment.ticket_id)
                                      .where(TicketAssignment.ticket_id == ticket_id,
                                             TicketAssignment.parent_id == Ticket.lead_department_id))
                ).scalar_one_or_none()

    async def inbox(self, code: str, tab: str, limit: int = 200) -> list[TicketView]:
        """待签收 / 办理中 / 待审核 / 已办结 of one department, most urgent first (tickets/inbox.py)."""
        if tab not in TABS:
            raise InvalidField("tab", f"应为 {TABS} 之一 (unknown inbox tab)")
        async with self._sessions() as session:
            dept = await self._dept(session, code)
            return await inbox_tickets(session, dept.id, tab, limit)

    async def inbox_counts(self, code: str) -> dict[str, int]:
        """tab -> how many tickets are in it, capped (inbox.COUNT_CAP + 1 means more)."""
        async with self._sessions() as session:
            return await inbox_counts(session, (await self._dept(session, code)).id)

    async def assignments(self, numbers: list[str]) -> dict[str, DepartmentRef]:
        """number → the sub-unit handling it, for the rows of a list."""
        if not numbers:
            return {}
        async with self._sessions() as session:
            rows = await session.execute(
                select(Ticket.number, Department).join(TicketAssignment, TicketAssignment.ticket_id == Ticket.id)
                .join(Department, Department.id == TicketAssignment.department_id)
                .where(Ticket.number.in_(numbers), TicketAssignment.parent_id == Ticket.lead_department_id))
            return {n: DepartmentRef(d.code, d.name) for n, d in rows}

    async def handling(self, number: str, code: str | None = None) -> Handling:
        async with self._sessions() as session:
            ticket = await load_ticket(session, number)
            names = {d.id: d for d in await session.scalars(select(Department))}
            row = await self._assignment(session, ticket.id)
            files = [self._attachment_view(a, names) for a in await session.scalars(
                select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id).order_by(TicketAttachment.id))]
            subs = []
            for s in await session.scalars(select(TicketSubmission).where(TicketSubmission.ticket_id == ticket.id)
                                           .order_by(TicketSubmission.id)):
                subs.append(SubmissionView(s.id, _ref(names[s.department_id]), s.author, s.result, s.contact,
                                           s.contacted, s.state, s.submitted_at, s.decided_by, s.comment,
                                           tuple(f for f in files if f.submission_id == s.id)))
            ext = (await session.execute(select(TicketExtension).where(TicketExtension.ticket_id == ticket.id)
                                         .order_by(TicketExtension.id.desc()).limit(1))).scalar_one_or_none()
            units: tuple[DepartmentRef, ...] = ()
            if code is not None and ticket.lead_department is not None and ticket.lead_department.code == code:
                units = tuple(DepartmentRef(d.code, d.name) for d in sorted(
                    (d for d in names.values() if d.parent_id == ticket.lead_department_id and d.active),
                    key=lambda d: d.name))
            return Handling(
                assigned=_ref(names.get(row.department_id)) if row else None,
                parent=_ref(names.get(row.parent_id)) if row else None,
                assigned_accepted_by=row.accepted_by if row else None,
                assigned_accepted_at=row.accepted_at if row else None,
                pending=next((s for s in subs if s.state == "pending" and ticket.accepted_at is not None
                              and s.submitted_at >= ticket.accepted_at), None), submissions=tuple(subs),
                extension=self._extension_view(ext, ticket.number, names) if ext else None, sub_units=units)

    @staticmethod
    def _attachment_view(a: TicketAttachment, names: dict) -> AttachmentView:
        return AttachmentView(a.id, a.name, a.kind, a.size, a.uploader, a.uploaded_at, a.submission_id,
                              names[a.department_id].code, a.sha256, a.file_path)

    @staticmethod
    def _extension_view(e: TicketExtension, number: str, names: dict) -> ExtensionView:
        return ExtensionView(e.id, number, _ref(names[e.department_id]), e.requested_by, e.reason, e.days,
                             e.old_due, e.new_due, e.state, e.requested_at, e.decided_by, e.comment)

    async def attachment(self, number: str, attachment_id: int) -> AttachmentView:
        """One attachment of this ticket (an id of another ticket is not found)."""
        async with self._sessions() as session:
            ticket = await load_ticket(session, number)
            a = (await session.execute(select(TicketAttachment).where(
                TicketAttachment.id == attachment_id, TicketAttachment.ticket_id == ticket.id))).scalar_one_or_none()
            if a is None:
                raise HandlingRefused("附件不存在", 404)
            return self._attachment_view(a, {a.department_id: await session.get(Department, a.department_id)})

    async def pending_extensions(self, limit: int = 200) -> list[tuple[ExtensionView, TicketView]]:
        """The center's 延期审核 queue, oldest request first."""
        async with self._sessions() as session:
            names = {d.id: d for d in await session.scalars(select(Department))}
            rows = await session.execute(
                with_departments(select(TicketExtension, Ticket).join(Ticket, Ticket.id == TicketExtension.ticket_id)
                                 .where(TicketExtension.state == "pending", Ticket.status == Status.ACCEPTED.value,
                                        TicketExtension.requested_at >= Ticket.accepted_at)
                                 .order_by(TicketExtension.requested_at, TicketExtension.id).limit(limit)))
            return [(self._extension_view(e, t.number, names), TicketView.of(t)) for e, t in rows]

    # --- steps -------------------------------------------------------------------------------

    @staticmethod
    def _lead(t: Ticket, code: str) -> None:
        lead = t.lead_department.code if t.lead_department else None
        if str(code).strip() != lead:
            raise WrongDepartment(t.number, str(code), lead)

    async def _handler(self, session, t: Ticket, code: str) -> Department:
        """The department working on it: the lead, or the sub-unit the lead passed it to."""
        dept = await self._dept(session, code)
        if t.lead_department_id == dept.id:
            return dept
        row = await self._assignment(session, t.id)
        if row is None or row.department_id != dept.id:
            raise WrongDepartment(t.number, str(code), t.lead_department.code if t.lead_department else None)
        if row.accepted_at is None:
            raise HandlingRefused("请先签收上级单位转派的工单，再提交办理结果")
        return dept

    @staticmethod
    async def _pending(session, model, t: Ticket):
        """The waiting result or extension of this 签收: one left from before a return and a new
        dispatch belongs to the earlier handling and is never decided."""
        since = model.submitted_at if model is TicketSubmission else model.requested_at
        return (await session.execute(select(model).where(model.ticket_id == t.id, model.state == "pending",
                                                          since >= t.accepted_at)
                                      .order_by(model.id.desc()).limit(1))).scalar_one_or_none()

    async def sub_dispatch(self, number: str, dept: str, sub: str, actor: str, note: str | None = None) -> TicketView:
        """二级派单: the lead department passes the ticket to one of its own sub-units and stays responsible."""
        note = clean_text("note", note)

        async def change(session, t, now):
            self._lead(t, dept)
            unit = await self._dept(session, sub)
            if unit.parent_id != t.lead_department_id or not unit.active:
                raise HandlingRefused("只能转派给本单位的下级单位", 400)
            if await self._pending(session, TicketSubmission, t):
                raise HandlingRefused("办理结果正在审核，不能转派")
            row = (await session.execute(select(TicketAssignment).where(
                TicketAssignment.ticket_id == t.id))).scalar_one_or_none()  # also one left by an earlier lead
            if row is None:
                session.add(TicketAssignment(ticket_id=t.id, department_id=unit.id, parent_id=t.lead_department_id,
                                             assigned_by=actor, assigned_at=now))
            else:  # a new hand-over: the unit it goes to signs for it afresh
                row.department_id, row.parent_id, row.assigned_by, row.assigned_at = (
                    unit.id, t.lead_department_id, actor, now)
                row.accepted_by = row.accepted_at = None
            return {"dept": t.lead_department.code, "sub": unit.code, "note": note}
        return await self._tickets.apply_step(number, Action.SUB_DISPATCH, actor, change)

    async def sub_accept(self, number: str, sub: str, actor: str) -> TicketView:
        """The sub-unit signs for a ticket its parent passed to it (二级派单); once, by one person: a
        second 签收 arriving under the ticket's row lock is refused with who signed first."""
        async def change(session, t, now):
            unit = await self._dept(session, sub)
            row = await self._assignment(session, t.id)
            if row is None or row.department_id != unit.id:
                raise WrongDepartment(t.number, str(sub), t.lead_department.code if t.lead_department else None)
            if row.accepted_at is not None:
                raise HandlingRefused(f"该工单已由 {row.accepted_by} 签收，无需重复签收")
            row.accepted_by, row.accepted_at = actor, now
            return {"dept": unit.code, "parent": t.lead_department.code}
        return await self._tickets.apply_step(number, Action.SUB_ACCEPT, actor, change)

    def check_uploads(self, uploads: list[Upload]) -> list[str]:
        """The kind of each file, or AttachmentRefused for the first bad one (before anything is written)."""
        if len(uploads) > self.rules.max_files:
            raise AttachmentRefused(f"附件过多：{self.rules.limit_text}")
        kinds = []
        for u in uploads:
            u.file.seek(0)
            head = u.file.read(16)
            kinds.append(kind_of(self.rules, u.name, u.size, head))
        return kinds

    async def submit(self, number: str, dept: str, actor: str, *, result: str, contact: str, contacted: bool,
                     uploads: list[Upload] = ()) -> TicketView:
        """办理: the result, the contact made with the citizen and attachments, for the lead to review.
        Files are checked first, written next, and removed again if the step is refused."""
        result = clean_text("handling_result", result, required=True)
        contact = clean_text("contact", contact, required=True)
        uploads = list(uploads)
        kinds = self.check_uploads(uploads)
        now = self._tickets._now()
        stored: list[tuple[Upload, str, str, int, str]] = []
        try:
            for u, kind in zip(uploads, kinds, strict=True):
                path = attachment_path(self.rules.directory, number, kind, now, self._zone)
                size, sha = await asyncio.to_thread(write_file, path, u.file)
                stored.append((u, kind, str(path), size, sha))

            async def change(session, t, now):
                unit = await self._handler(session, t, dept)
                if await self._pending(session, TicketSubmission, t):
                    raise HandlingRefused("该工单已有办理结果在等待审核，请勿重复提交")
                sub = TicketSubmission(ticket_id=t.id, department_id=unit.id, author=actor, result=result,
                                       contact=contact, contacted=bool(contacted), state="pending", submitted_at=now)
                session.add(sub)
                await session.flush()
                for u, kind, path, size, sha in stored:
                    session.add(TicketAttachment(ticket_id=t.id, submission_id=sub.id, department_id=unit.id,
                                                 uploader=actor, name=safe_name(u.name), kind=kind, size=size,
                                                 sha256=sha, file_path=path, uploaded_at=now))
                return {"dept": unit.code, "submission": sub.id, "result": result, "contact": contact,
                        "contacted": bool(contacted),
                        "attachments": [safe_name(u.name) for u, *_ in stored]}
            return await self._tickets.apply_step(number, Action.SUBMIT, actor, change)
        except BaseException:
            for *_, path, _size, _sha in stored:
                await asyncio.to_thread(_remove, path)
            raise

    async def approve(self, number: str, dept: str, actor: str) -> TicketView:
        """The 单位负责人 of the lead department sends the waiting result to the center: the ticket's 答复."""
        async def change(session, t, now):
            self._lead(t, dept)
            sub = await self._pending(session, TicketSubmission, t)
            if sub is None:
                raise HandlingRefused("没有等待审核的办理结果（可能已被审核）")
            sub.state, sub.decided_by, sub.decided_at = "approved", actor, now
            unit = await session.get(Department, sub.department_id)
            files = list(await session.scalars(select(TicketAttachment.name).where(
                TicketAttachment.submission_id == sub.id)))
            t.reply, t.replied_at = sub.result, now
            on_time = t.complete_due is None or now <= t.complete_due
            return {"reply": sub.result, "on_time": on_time, "dept": t.lead_department.code, "contact": sub.contact,
                    "contacted": sub.contacted, "submitted_by": sub.author, "handled_by": unit.code,
                    "approved_by": actor, "attachments": files}
        return await self._tickets.apply_step(number, Action.REPLY, actor, change)

    async def reject(self, number: str, dept: str, actor: str, comment: str) -> TicketView:
        """The lead sends the result back to 办理中 with a comment."""
        comment = clean_text("comment", comment, required=True)

        async def change(session, t, now):
            self._lead(t, dept)
            sub = await self._pending(session, TicketSubmission, t)
            if sub is None:
                raise HandlingRefused("没有等待审核的办理结果（可能已被审核）")
            sub.state, sub.decided_by, sub.decided_at, sub.comment = "rejected", actor, now, comment
            return {"dept": t.lead_department.code, "submission": sub.id, "comment": comment}
        return await self._tickets.apply_step(number, Action.REJECT_REPLY, actor, change)

    async def request_extension(self, number: str, dept: str, actor: str, *, reason: str, days: int) -> TicketView:
        """申请延期 by the lead department: `days` more working days on the completion deadline."""
        reason = clean_text("reason", reason, required=True)
        if not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
            raise HandlingRefused(f"延期天数应为 1 到 {MAX_EXTENSION_DAYS} 个工作日", 400)

        async def change(session, t, now):
            self._lead(t, dept)
            if await self._pending(session, TicketExtension, t):
                raise HandlingRefused("已有延期申请在等待中心审核")
            base = t.complete_due or now
            new_due = self._tickets.calendar.add_working_days(base, days)
            session.add(TicketExtension(ticket_id=t.id, department_id=t.lead_department_id, requested_by=actor,
                                        reason=reason, days=days, old_due=t.complete_due, new_due=new_due,
                                        state="pending", requested_at=now))
            return {"dept": t.lead_department.code, "reason": reason, "days": days,
                    "old_due": t.complete_due.isoformat() if t.complete_due else None, "new_due": new_due.isoformat()}
        return await self._tickets.apply_step(number, Action.EXT_REQUEST, actor, change)

    async def decide_extension(self, number: str, actor: str, *, approve: bool, comment: str | None) -> TicketView:
        """The center grants (new completion deadline, in the history) or refuses (a comment is required)."""
        comment = clean_text("comment", comment, required=not approve)

        async def change(session, t, now):
            ext = await self._pending(session, TicketExtension, t)
            if ext is None:
                raise HandlingRefused("该工单没有待审核的延期申请（可能已被处理）")
            ext.state = "approved" if approve else "rejected"
            ext.decided_by, ext.decided_at, ext.comment = actor, now, comment
            old = t.complete_due
            if approve:
                t.complete_due = ext.new_due
            return {"dept": t.lead_department.code if t.lead_department else None, "days": ext.days,
                    "old_due": old.isoformat() if old else None,
                    "new_due": ext.new_due.isoformat() if approve else None, "comment": comment}
        return await self._tickets.apply_step(number, Action.EXT_APPROVE if approve else Action.EXT_REJECT,
                                              actor, change)


def _remove(path: str) -> None:
    import os
    try:
        os.remove(path)
    except OSError:
        pass


__all__ = ["AttachmentRefused", "Handling", "HandlingRefused", "HandlingService", "Upload", "TABS"]
