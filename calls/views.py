"""Read-only snapshots for the agent console: calls, worklist rows, a caller's history."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from calls.codes import MissedStatus, MissReason, Outcome
from calls.models import CallRecord, MissedCall
from tickets.views import TicketView


@dataclass(frozen=True)
class CallView:
    id: int
    server: str
    linkedid: str
    caller_number: str | None
    caller_name: str | None
    line: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    first_queue: str | None
    final_queue: str | None
    hold_seconds: int
    talk_seconds: int | None
    answered_interface: str | None
    answered_member: str | None
    outcome: Outcome
    ticket_number: str | None
    ivr_vars: dict

    @property
    def outcome_label(self) -> str:
        return self.outcome.label

    @classmethod
    def of(cls, r: CallRecord) -> CallView:
        return cls(r.id, r.server, r.linkedid, r.caller_number, r.caller_name, r.line, r.started_at,
                   r.answered_at, r.ended_at, r.first_queue, r.final_queue, r.hold_seconds, r.talk_seconds,
                   r.answered_interface, r.answered_member, Outcome(r.outcome), r.ticket_number,
                   dict(r.ivr_vars or {}))


@dataclass(frozen=True)
class MissedCallView:
    id: int
    linkedid: str
    caller_number: str
    caller_name: str | None
    line: str | None
    first_missed_at: datetime
    missed_at: datetime
    reason: MissReason
    waited_seconds: int
    miss_count: int
    ticket_number: str | None
    transcript_snippet: str | None
    status: MissedStatus
    attempts: int
    last_attempt_at: datetime | None
    handled_by: str | None
    note: str | None
    calls: tuple[dict, ...] = field(default=())
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    last_result: str | None = None

    @property
    def reason_label(self) -> str:
        return self.reason.label

    @property
    def status_label(self) -> str:
        return self.status.label

    @classmethod
    def of(cls, m: MissedCall) -> MissedCallView:
        return cls(m.id, m.linkedid, m.caller_number, m.caller_name, m.line, m.first_missed_at, m.missed_at,
                   MissReason(m.reason), m.waited_seconds, m.miss_count, m.ticket_number, m.transcript_snippet,
                   MissedStatus(m.status), m.attempts, m.last_attempt_at, m.handled_by, m.note,
                   tuple(m.calls or ()), m.claimed_by, m.claimed_at, m.last_result)


@dataclass(frozen=True)
class CallerHistory:
    """Screen pop: the caller's earlier calls (newest first), tickets and open callbacks."""

    caller_number: str
    calls: tuple[CallView, ...]
    tickets: tuple[TicketView, ...]
    pending_callbacks: tuple[MissedCallView, ...]
