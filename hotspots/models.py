"""The early warnings sent to the center's supervisors: one row per (day, category, district) warning.

The unique key makes a warning noticed once whichever engine or pass raises it; the row is the
outbox of its notification (pending until the gateway took it, retried with backoff meanwhile).
`district` is "" for a city-wide warning (a NULL would not be unique).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base
from tickets.models import Id, UtcDateTime


class HotspotWarning(Base):
    __tablename__ = "hotspot_warning"
    __table_args__ = (
        UniqueConstraint("day", "category", "district", name="uq_hotspot_warning_day_category_district"),
        CheckConstraint("state IN ('pending', 'sent')", name="state_valid"),
        Index("ix_hotspot_warning_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(128))
    district: Mapped[str] = mapped_column(String(64))
    today: Mapped[int] = mapped_column(Integer)
    mean: Mapped[float] = mapped_column(Float)
    z: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))


TABLES = (HotspotWarning.__table__,)
