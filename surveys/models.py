"""The survey schedule, durable: one `survey_job` row per replied ticket (per reply), and the
do-not-call list. A job is claimed (status `dialing`) in the database before its Originate is sent,
so an engine restart re-dials nothing that may still be ringing or talking."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base
from tickets.models import Id, UtcDateTime

STATUSES = ("pending", "dialing", "in_call", "done", "gave_up", "blocked")
OPEN = ("pending", "dialing", "in_call")
OUT = ("dialing", "in_call")


class SurveyJob(Base):
    __tablename__ = "survey_job"
    __table_args__ = (
        UniqueConstraint("ticket_number", "replied_at", name="uq_survey_job_ticket_reply"),
        CheckConstraint("status IN ('pending', 'dialing', 'in_call', 'done', 'gave_up', 'blocked')",
                        name="status_valid"),
        Index("ix_survey_job_due", "status", "next_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ticket_number: Mapped[str] = mapped_column(String(14), index=True)
    replied_at: Mapped[datetime] = mapped_column(UtcDateTime)   # which reply this survey is about
    phone: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)    # calls placed
    next_at: Mapped[datetime] = mapped_column(UtcDateTime)
    dialed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    action_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    resolved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)       # kept across a hang-up
    satisfaction: Mapped[str | None] = mapped_column(String(24), nullable=True)
    result: Mapped[str | None] = mapped_column(String(16), nullable=True)       # closed | reopened | ...
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DoNotCall(Base):
    """Numbers the survey never dials (the citizen asked, or a number that must not be called)."""

    __tablename__ = "survey_do_not_call"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SurveyControl(Base):
    """The supervisor's switch (/surveys): while paused no pass dials (calls already out finish).
    A row, not memory: every engine's pass reads it, and a restart keeps it."""

    __tablename__ = "survey_control"

    key: Mapped[str] = mapped_column(String(16), primary_key=True)   # "pass"
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


TABLES = (SurveyJob.__table__, DoNotCall.__table__, SurveyControl.__table__)
