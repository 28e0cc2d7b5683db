"""Read-only snapshots handed out by the service, detached from any session.

Instants are UTC; `*_local` / `local()` give the Asia/Shanghai wall clock for display.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tickets.codes import Action, Channel, Evaluation, RequestType, Status, TranscriptStatus, Urgency
from tickets.models import Ticket, TicketEvent
from tickets.validation import mask_number

SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_local(instant: datetime | None) -> datetime | None:
    return None if instant is None else instant.astimezone(SHANGHAI)


def format_local(instant: datetime | None) -> str:
    """'2026-10-13 10:00' in Asia/Shanghai, '' for None."""
    return "" if instant is None else f"{instant.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class DepartmentRef:
    code: str
    name: str


@dataclass(frozen=True)
class TicketView:
    number: str
    status: Status
    caller: str | None
    channel: Channel
    request_type: RequestType | None
    category: str | None
    content: str | None
    transcript: str | None
    audio_ref: str | None
    transcript_status: TranscriptStatus
    call_id: str | None
    line_dialed: str | None
    confidential: bool
    urgency: Urgency
    lead_department: DepartmentRef | None
    co_departments: tuple[DepartmentRef, ...]
    accept_due: datetime | None
    complete_due: datetime | None
    supervised: bool
    supervision_count: int
    reply: str | None
    evaluation: Evaluation | None
    created_at: datetime
    updated_at: datetime
    registered_at: datetime | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    district: str | None = None
    street: str | None = None
    address: str | None = None
    contact_number: str | None = None
    caller_name: str | None = None
    personal_callback: bool = False

    @property
    def caller_masked(self) -> str:
        return mask_number(self.caller)

    @property
    def accept_due_local(self) -> datetime | None:
        return to_local(self.accept_due)

    @property
    def complete_due_local(self) -> datetime | None:
        return to_local(self.complete_due)

    @classmethod
    def of(cls, t: Ticket) -> TicketView:
        def dept(d) -> DepartmentRef | None:
            return None if d is None else DepartmentRef(d.code, d.name)

        return cls.of_columns(t, dept(t.lead_department), tuple(dept(d) for d in t.co_departments))

    @classmethod
    def of_columns(cls, t, lead_department: DepartmentRef | None,
                   co_departments: tuple[DepartmentRef, ...]) -> TicketView:
        """From a ticket row (an ORM object or a Core row of the ticket table): lists of hundreds of
        tickets read Core rows, several times cheaper than ORM objects."""
        return cls(
            number=t.number, status=Status(t.status), caller=t.caller, channel=Channel(t.channel),
            request_type=RequestType(t.request_type) if t.request_type else None,
            category=t.category, content=t.content, transcript=t.transcript, audio_ref=t.audio_ref,
            transcript_status=TranscriptStatus(t.transcript_status), call_id=t.call_id,
            line_dialed=t.line_dialed, confidential=t.confidential, urgency=Urgency(t.urgency),
            lead_department=lead_department, co_departments=co_departments,
            accept_due=t.accept_due, complete_due=t.complete_due, supervised=t.supervised,
            supervision_count=t.supervision_count, reply=t.reply,
            evaluation=Evaluation(t.evaluation) if t.evaluation else None,
            created_at=t.created_at, updated_at=t.updated_at, registered_at=t.registered_at,
            dispatched_at=t.dispatched_at, accepted_at=t.accepted_at, replied_at=t.replied_at,
            closed_at=t.closed_at,
            district=t.district, street=t.street, address=t.address, contact_number=t.contact_number,
            caller_name=t.caller_name, personal_callback=bool(t.personal_callback),
        )


@dataclass(frozen=True)
class EventView:
    seq: int
    at: datetime
    actor: str
    action: Action
    from_status: Status | None
    to_status: Status | None
    detail: dict

    @property
    def at_local(self) -> datetime:
        return self.at.astimezone(SHANGHAI)

    @classmethod
    def of(cls, e: TicketEvent) -> EventView:
        return cls(seq=e.seq, at=e.at, actor=e.actor, action=Action(e.action),
                   from_status=Status(e.from_status) if e.from_status else None,
                   to_status=Status(e.to_status) if e.to_status else None, detail=dict(e.detail or {}))


@dataclass(frozen=True)
class OverdueItem:
    """`kind` is 'accept' (not signed for in time) or 'complete' (not replied in time)."""

    ticket: TicketView
    kind: str
    due: datetime
    overdue_by_seconds: float
