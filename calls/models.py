"""Tables of the call log: one row per finished call, and the callback worklist (漏接回拨).

Only calls.service writes them. Instants are aware UTC (`UtcDateTime` from the ticket store).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from calls.codes import MissedStatus, MissReason, Outcome
from hotline.db import Base
from tickets.models import Id, UtcDateTime


def _one_of(column: str, enum: type) -> CheckConstraint:
    values = ", ".join(f"'{m.value}'" for m in enum)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")


class CallRecord(Base):
    __tablename__ = "call_record"
    __table_args__ = (
        UniqueConstraint("server", "linkedid", name="uq_call_record_server_linkedid"),
        _one_of("outcome", Outcome),
        Index("ix_call_record_caller_started", "caller_number", "started_at"),
        Index("ix_call_record_started_at", "started_at"),
        # the 考核 report sums a year of calls from this index alone (reports/figures.py, 0024)
        Index("ix_call_record_figures", "started_at", "final_queue", "outcome", "hold_seconds"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    server: Mapped[str] = mapped_column(String(64))
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    caller_number: Mapped[str | None] = mapped_column(String(32))
    caller_name: Mapped[str | None] = mapped_column(String(128))
    line: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_queue: Mapped[str | None] = mapped_column(String(64))
    final_queue: Mapped[str | None] = mapped_column(String(64))
    hold_seconds: Mapped[int] = mapped_column(Integer, default=0)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    answered_interface: Mapped[str | None] = mapped_column(String(128))
    answered_member: Mapped[str | None] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(16))
    ticket_number: Mapped[str | None] = mapped_column(String(32), index=True)
    ivr_vars: Mapped[dict] = mapped_column(JSON, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The Uniqueid of the channel that ran Queue() (queue_log's callid; for Local channels the
    # `;2` half, not the Linkedid), and when Asterisk's queue_log confirmed or set the outcome.
    queue_uniqueid: Mapped[str | None] = mapped_column(String(64), index=True)
    reconciled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MissedCall(Base):
    """One worklist row per caller and line: repeated misses raise `miss_count`, not new rows."""

    __tablename__ = "call_missed"
    __table_args__ = (
        _one_of("reason", MissReason),
        _one_of("status", MissedStatus),
        Index("ix_call_missed_status_missed_at", "status", "missed_at"),
        Index("ix_call_missed_caller_status", "caller_number", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    server: Mapped[str] = mapped_column(String(64))
    linkedid: Mapped[str] = mapped_column(String(64))          # the latest missed call
    caller_number: Mapped[str] = mapped_column(String(32))
    caller_name: Mapped[str | None] = mapped_column(String(128))
    line: Mapped[str | None] = mapped_column(String(32))
    first_missed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    missed_at: Mapped[datetime] = mapped_column(UtcDateTime)   # the latest miss
    reason: Mapped[str] = mapped_column(String(16))
    waited_seconds: Mapped[int] = mapped_column(Integer, default=0)
    miss_count: Mapped[int] = mapped_column(Integer, default=1)
    ticket_number: Mapped[str | None] = mapped_column(String(32))
    ticket_pending: Mapped[bool] = mapped_column(default=False)  # a draft is still to be created
    transcript_snippet: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=MissedStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    handled_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    calls: Mapped[list] = mapped_column(JSON, default=list)    # [{linkedid, at, reason, waited, ticket}]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # 漏接回拨 page (issue 14.3): the agent calling this row now (one at a time), and the last
    # outcome recorded (CallbackResult: reached / no_answer / wrong_number / unreachable)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_result: Mapped[str | None] = mapped_column(String(16))


TABLES = (CallRecord.__table__, MissedCall.__table__)
"""This capability's tables, for create_all/drop_all in tests and tools (Alembic uses Base)."""
