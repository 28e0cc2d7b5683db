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
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from hotline.db import Base
from tickets.codes import Channel, RequestType, Status, TranscriptStatus, Urgency
from tickets.errors import AppendOnlyViolation
from tickets.tally import COUNTS

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


DEPARTMENT_KINDS = ("city", "district", "street")
"""市直部门 / 区县 / 街道乡镇: the levels of the department tree (a street office sits under a district)."""


class Department(Base):
    __tablename__ = "ticket_department"
    __table_args__ = (CheckConstraint("kind IN ('city', 'district', 'street')", name="kind_valid"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(16), default="city", server_default="city")
    parent_id: Mapped[int | None] = mapped_column(Id, ForeignKey("ticket_department.id"), nullable=True)


ticket_co_department = Table(
    "ticket_co_department",
    Base.metadata,
    Column("ticket_id", Id, ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", Id, ForeignKey("ticket_department.id"), primary_key=True),
    Index("ix_ticket_co_department_department_id", "department_id"),  # a department's 协办 tickets
)


OPEN_FOR_CO_HANDLING = text("status IN ('dispatched', 'accepted')")  # tickets/inbox.py CO_HANDLING


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
        Index("ix_ticket_updated_at_id", "updated_at", "id"),  # the 督办 sweep follows changes
        Index("ix_ticket_lead_department_id_created_at", "lead_department_id", "created_at"),  # ticket lists
        Index("ix_ticket_hotspots", "created_at", "category", "district", "channel", "status"),  # hotspots/ (0023)
        # 工单查询 by status, a department's list by status, its 已办结 tab (0024)
        Index("ix_ticket_status_created_at", "status", "created_at"),
        Index("ix_ticket_lead_department_id_status_created_at", "lead_department_id", "status", "created_at"),
        Index("ix_ticket_lead_department_id_replied_at", "lead_department_id", "replied_at"),
        # a department's 办理中 read in deadline order; its 协办 tickets probed among the open ones only (0025)
        Index("ix_ticket_lead_department_id_status_complete_due", "lead_department_id", "status", "complete_due",
              "id"),
        Index("ix_ticket_open_id_complete_due", "id", "complete_due", postgresql_where=OPEN_FOR_CO_HANDLING,
              sqlite_where=OPEN_FOR_CO_HANDLING),
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
    # 事发地点 and who to call back (issue 12.4): district/street are department codes of the tree
    district: Mapped[str | None] = mapped_column(String(32), nullable=True)
    street: Mapped[str | None] = mapped_column(String(32), nullable=True)
    address: Mapped[str | None] = mapped_column(String(256), nullable=True)
    contact_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    caller_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # the citizen asked for a person to call back (回访分派 sends it to the agents, not the survey)
    personal_callback: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    lead_department: Mapped[Department | None] = relationship(lazy="raise")
    co_departments: Mapped[list[Department]] = relationship(
        secondary=ticket_co_department, lazy="raise", order_by=Department.code
    )

    __mapper_args__ = {"version_id_col": version}


class TicketEvent(Base):
    """One line of a ticket's history. Never updated or deleted (guarded below)."""

    __tablename__ = "ticket_event"
    __table_args__ = (UniqueConstraint("ticket_id", "seq", name="uq_ticket_event_ticket_id_seq"),
                      Index("ix_ticket_event_at", "at"),  # 考核 reports select a period's events (0016)
                      Index("ix_ticket_event_actor_ticket_id", "actor", "ticket_id"))  # an agent's ticket list

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


class CatalogueRule(Base):
    """派单目录 (职责清单): one category of the tree, optionally for one district, and who handles it.

    `category` is the path 一级/二级/三级; `district` is a district's department code, '' for every
    district. `co_codes` lists the co-handling departments' codes. `classifier_label` is the
    classifier's category (e.g. 城市管理) this rule answers when the agent picked no category.
    """

    __tablename__ = "ticket_catalogue_rule"
    __table_args__ = (UniqueConstraint("category", "district", name="uq_ticket_catalogue_rule_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    category: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(32), default="", server_default="")
    lead_department_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket_department.id"))
    co_codes: Mapped[list] = mapped_column(JSON, default=list)
    classifier_label: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


def _day_figures_table() -> Table:
    columns = [Column(key, Integer, nullable=False, default=0, server_default="0") for key in COUNTS]
    return Table("ticket_day_figures", Base.metadata,
                 Column("day", Date, primary_key=True),
                 Column("dept", String(32), primary_key=True),
                 Column("channel", String(16), primary_key=True),
                 *columns)


ticket_day_figures = _day_figures_table()
"""考核 counts per Asia/Shanghai day × department ('' the center's own) × the ticket's channel, one
column per count of tickets/tally.py; written with each event by tickets/day_figures.py (0024)."""

ticket_day_hotspots = Table(
    "ticket_day_hotspots", Base.metadata,
    Column("day", Date, primary_key=True),              # the Shanghai day the ticket was created
    Column("category", String(64), primary_key=True),   # '' when none
    Column("district", String(32), primary_key=True),   # '' when none
    Column("channel", String(16), primary_key=True),
    Column("tickets", Integer, nullable=False, default=0, server_default="0"),
)
"""Tickets (drafts left out) per creation day × category × district × channel, kept by
tickets/day_figures.py as tickets are registered (hotspots/, 0024)."""


@event.listens_for(TicketEvent, "before_update")
@event.listens_for(TicketEvent, "before_delete")
def _history_is_append_only(mapper: Any, connection: Any, target: TicketEvent) -> None:
    raise AppendOnlyViolation()


TABLES = (Department.__table__, Ticket.__table__, ticket_co_department, TicketEvent.__table__,
          TicketDayCounter.__table__, DeadlineRule.__table__, CatalogueRule.__table__, ticket_day_figures,
          ticket_day_hotspots)
"""This capability's tables, for create_all/drop_all in tests and tools (Alembic uses Base)."""


class TicketMerge(Base):
    """并单 (tickets/merging.py): a duplicate ticket merged into its main ticket; one main per duplicate."""

    __tablename__ = "ticket_merge"

    duplicate_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket.id"), primary_key=True)
    main_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket.id"), index=True)
    merged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
