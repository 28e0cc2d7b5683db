"""Tables of 督办: one watch row per running ticket deadline, 督办单, notices, the sweep cursor.

Only supervision.service writes them; the ticket's own history stays in tickets (TicketService).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base
from tickets.models import Id, UtcDateTime

MARKS = ("green", "yellow", "red")
AUDIENCES = ("department", "center", "lead")
TOPICS = ("yellow", "red", "remind", "escalate")


class Watch(Base):
    """The deadline a ticket is running now; `next_check_at` (indexed) is when its mark can next change,
    NULL once red, so a sweep reads only the rows that are due."""

    __tablename__ = "supervision_watch"
    __table_args__ = (
        CheckConstraint("mark IN ('green', 'yellow', 'red')", name="mark_valid"),
        CheckConstraint("kind IN ('accept', 'complete')", name="kind_valid"),
        Index("ix_supervision_watch_next_check_at", "next_check_at"),
        Index("ix_supervision_watch_mark_created_at", "mark", "created_at", "ticket_id"),  # 工单查询 by 时限
    )

    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the ticket's, so a list by mark needs no sort
    start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    due: Mapped[datetime] = mapped_column(UtcDateTime)
    department_id: Mapped[int | None] = mapped_column(Id, ForeignKey("ticket_department.id"))
    mark: Mapped[str] = mapped_column(String(8), default="green")
    next_check_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Order(Base):
    """督办单: a supervisor's comment and due time; reminded at the due time and every interval after,
    escalated to the department's lead after the configured number of reminders."""

    __tablename__ = "supervision_order"
    __table_args__ = (Index("ix_supervision_order_next_remind_at", "next_remind_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(Id, ForeignKey("ticket_department.id"))
    comment: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    next_remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Notice(Base):
    """One notification to a department, the center's supervisors or a department's lead; shown in
    the workspace at once and sent through the gateway (pending until the gateway took it)."""

    __tablename__ = "supervision_notice"
    __table_args__ = (
        UniqueConstraint("dedupe", "audience", name="uq_supervision_notice_dedupe_audience"),
        CheckConstraint("audience IN ('department', 'center', 'lead')", name="audience_valid"),
        CheckConstraint("state IN ('pending', 'sent')", name="state_valid"),
        Index("ix_supervision_notice_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_supervision_notice_department_id_id", "department_id", "id"),
        Index("ix_supervision_notice_audience_id", "audience", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    ticket_number: Mapped[str] = mapped_column(String(14))
    department_id: Mapped[int | None] = mapped_column(Id, ForeignKey("ticket_department.id"))
    audience: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    dedupe: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))


class Cursor(Base):
    """How far the sweep has followed ticket changes: (updated_at, id) of the last ticket it read."""

    __tablename__ = "supervision_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ticket_id: Mapped[int] = mapped_column(Id, default=0)


TABLES = (Watch.__table__, Order.__table__, Notice.__table__, Cursor.__table__)
