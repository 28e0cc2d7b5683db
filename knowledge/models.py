"""The `kb_entries` table: one question/answer of the knowledge base, keyed by a stable import key."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base

KEY_MAX = 64
QUESTION_MAX = 200
ANSWER_MAX = 4000
DEPARTMENT_MAX = 64
KEYWORDS_MAX = 500  # the joined keyword string


class KbEntry(Base):
    __tablename__ = "kb_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True, index=True)
    question: Mapped[str] = mapped_column(String(QUESTION_MAX))
    answer: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(String(DEPARTMENT_MAX), default="")
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    keywords: Mapped[str] = mapped_column(String(KEYWORDS_MAX), default="")  # "、"-joined
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
