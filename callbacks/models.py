"""The callback_attempt table: one row per try to reach a citizen about a replied ticket.

Written only by callbacks.service; the agent console, the survey and the SMS adapter all go
through `CallbackService.record_attempt`, so one rule counts the attempts.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base
from tickets.models import Id, UtcDateTime

CHANNELS = ("agent", "survey", "sms")
OUTCOMES = ("reached", "no_answer", "busy", "unreachable", "hung_up", "invalid", "refused")
SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied")


def _in(column: str, values: tuple[str, ...], nullable: bool = False) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{column} IS NULL OR {column} IN ({listed})" if nullable else f"{column} IN ({listed})"


class CallbackAttempt(Base):
    __tablename__ = "callback_attempt"
    __table_args__ = (
        UniqueConstraint("ticket_number", "attempt_no", name="uq_callback_attempt_ticket_attempt"),
        CheckConstraint(_in("channel", CHANNELS), name="channel_valid"),
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome_valid"),
        CheckConstraint(_in("satisfaction", SATISFACTIONS, nullable=True), name="satisfaction_valid"),
        Index("ix_callback_attempt_at", "at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ticket_number: Mapped[str] = mapped_column(String(14), index=True)
    attempt_no: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer)  # 1 + the 重办 (reopens) before this attempt
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    resolved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    satisfaction: Mapped[str | None] = mapped_column(String(24), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)


class CallbackRoute(Base):
    """回访分派: who calls the citizen back about one reply, the survey or the agents (callbacks/split.py).
    One row per reply; a move to the agents updates it (and is a ticket event)."""

    __tablename__ = "callback_route"
    __table_args__ = (
        UniqueConstraint("ticket_number", "replied_at", name="uq_callback_route_ticket_reply"),
        CheckConstraint("route IN ('survey', 'agent')", name="route_valid"),
        Index("ix_callback_route_route", "route", "replied_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    ticket_number: Mapped[str] = mapped_column(String(14))
    replied_at: Mapped[datetime] = mapped_column(UtcDateTime)
    route: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(32))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    moved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


TABLES = (CallbackAttempt.__table__, CallbackRoute.__table__)
