"""Tables of the work inside a department (issue 12): 二级派单, results waiting for the lead's review,
their attachments, and extension requests. Only tickets.handling writes them; every step is also a
line in the ticket's append-only history.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base
from tickets.models import Id, UtcDateTime

DECISIONS = ("pending", "approved", "rejected")
_DECIDED = "state IN ('pending', 'approved', 'rejected')"


class TicketAssignment(Base):
    """二级派单: the lead department passed the ticket to one of its sub-units (one row per ticket;
    a later hand-over changes it, the history keeps every one). The sub-unit signs for it
    (accepted_by/at) before it handles it, as a department signs for what the center dispatched."""

    __tablename__ = "ticket_assignment"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket.id", ondelete="CASCADE"), unique=True)
    department_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket_department.id"), index=True)
    parent_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket_department.id"))
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    accepted_by: Mapped[str | None] = mapped_column(String(64))
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TicketSubmission(Base):
    """A handler's 办理结果 (with the contact made with the citizen) waiting for the 单位负责人."""

    __tablename__ = "ticket_submission"
    __table_args__ = (CheckConstraint(_DECIDED, name="state_valid"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket_department.id"))
    author: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(Text)
    contacted: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    comment: Mapped[str | None] = mapped_column(Text)


class TicketAttachment(Base):
    """A file sent with a result, kept on disk like a recording: path under the directory, size, sha256."""

    __tablename__ = "ticket_attachment"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int | None] = mapped_column(Id, ForeignKey("ticket_submission.id"))
    department_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket_department.id"))
    uploader: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    file_path: Mapped[str] = mapped_column(String(512))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TicketExtension(Base):
    """申请延期: the department asks for a later completion deadline; the center decides."""

    __tablename__ = "ticket_extension"
    __table_args__ = (CheckConstraint(_DECIDED, name="state_valid"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(Id, ForeignKey("ticket_department.id"))
    requested_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    days: Mapped[int] = mapped_column(Integer)
    old_due: Mapped[datetime | None] = mapped_column(UtcDateTime)
    new_due: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    comment: Mapped[str | None] = mapped_column(Text)


TABLES = (TicketAssignment.__table__, TicketSubmission.__table__, TicketAttachment.__table__,
          TicketExtension.__table__)
