"""Tables of the ticket store: departments, tickets, their append-only history, day counters
and deadline rules. Only tickets.service writes them.

Every instant is stored in UTC (`UtcDateTime`), the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from hotline.db import Base
from tickets.codes import Channel, RequestType, Status, TranscriptStatus, Urgency
from tickets.errors import AppendOnlyViolation

Id = BigInteger().with_variant(Integer, "sqlite")


class UtcDateTime(TypeDecorator):
    """timestamptz on PostgreSQL; on SQLite a naive UTC string that sorts and compares correctly."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the ticket store only takes aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _one_of(column: str, enum: type) -> CheckConstraint:
    values = ", ".join(f"'{m.value}'" for m in enum)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")


class Department(Base):
    __tablename__ = "ticket_department"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


ticket_co_department = Table(
    "ticket_co_department",
    Base.metadata,
    Column("ticket_id", Id, ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", Id, ForeignKey("ticket_department.id"), primary_key=True),
)


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        _one_of("channel", Channel),
        _one_of("request_type", RequestType),
        _one_of("urgency", Urgency),
        _one_of("status", Status),
        _one_of("transcript_status", TranscriptStatus),
        Index("ix_ticket_status_complete_due", "status", "complete_due"),
        Index("ix_ticket_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(14), unique=True)
    caller: Mapped[str | None] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(16), default=Channel.PHONE.value)
    request_type: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[str | None] = mapped_column(Text)
    audio_ref: Mapped[str | None] = mapped_column(String(512))
    transcript_status: Mapped[str] = mapped_column(String(16), default=TranscriptStatus.NONE.value)
    call_id: Mapped[str | None] = mapped_column(String(64), index=True)
    line_dialed: Mapped[str | None] = mapped_column(String(32))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    urgency: Mapped[str] = mapped_column(String(16), default=Urgency.NORMAL.value)
    lead_department_id: Mapped[int | None] = mapped_column(Id, ForeignKey("ticket_department.id"))
    accept_due: Mapped[datetime | None] = mapped_column(UtcDateTime)
    complete_due: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT.value)
    supervised: Mapped[bool] = mapped_column(Boolean, default=False)
    supervision_count: Mapped[int] = mapped_column(Integer, default=0)
    reply: Mapped[str | None] = mapped_column(Text)
    evaluation: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_event_seq: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    lead_department: Mapped[Department | None] = relationship(lazy="raise")
    co_departments: Mapped[list[Department]] = relationship(
        secondary=ticket_co_department, lazy="raise", order_by=Department.code
    )

    __mapper_args__ = {"version_id_col": version}


class TicketEvent(Base):
    """One line of a ticket's history. Never updated or deleted (guarded below)."""

    __tablename__ = "ticket_event"
    __table_args__ = (UniqueConstraint("ticket_id", "seq", name="uq_ticket_event_ticket_id_seq"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict | None] = mapped_column(JSON)


class TicketDayCounter(Base):
    """Last sequence handed out per Asia/Shanghai day (YYYYMMDD)."""

    __tablename__ = "ticket_day_counter"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class DeadlineRule(Base):
    """An admin-editable time limit. '*' matches any request type or urgency; the most
    specific row wins (type+urgency, then type, then urgency, then '*','*')."""

    __tablename__ = "ticket_deadline_rule"
    __table_args__ = (
        UniqueConstraint("kind", "request_type", "urgency", name="uq_ticket_deadline_rule_key"),
        CheckConstraint("kind IN ('accept', 'complete')", name="kind_valid"),
        CheckConstraint("unit IN ('minutes', 'working_days')", name="unit_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    request_type: Mapped[str] = mapped_column(String(16), default="*")
    urgency: Mapped[str] = mapped_column(String(16), default="*")
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))


@event.listens_for(TicketEvent, "before_update")
@event.listens_for(TicketEvent, "before_delete")
def _history_is_append_only(mapper: Any, connection: Any, target: TicketEvent) -> None:
    raise AppendOnlyViolation()


TABLES = (Department.__table__, Ticket.__table__, ticket_co_department, TicketEvent.__table__,
          TicketDayCounter.__table__, DeadlineRule.__table__)
"""This capability's tables, for create_all/drop_all in tests and tools (Alembic uses Base)."""
