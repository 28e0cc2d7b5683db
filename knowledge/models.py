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
    department: Mapped[str] = mapped_column(String(DEPARTMENT_MAX), default="", index=True)  # a domain's entries
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    keywords: Mapped[str] = mapped_column(String(KEYWORDS_MAX), default="")  # "、"-joined
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class KbProposal(Base):
    """共建共享: a department's proposed new entry or edit, waiting for the center's review."""

    __tablename__ = "kb_proposal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)  # None: a new entry
    key: Mapped[str] = mapped_column(String(KEY_MAX))
    question: Mapped[str] = mapped_column(String(QUESTION_MAX))
    answer: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(String(DEPARTMENT_MAX))
    keywords: Mapped[str] = mapped_column(String(KEYWORDS_MAX), default="")
    proposer: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | published | rejected
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    comment: Mapped[str] = mapped_column(String(500), default="")


class KbRevision(Base):
    """One version of an entry as published or edited: every entry keeps its history."""

    __tablename__ = "kb_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # edit | proposal
    proposal_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    question: Mapped[str] = mapped_column(String(QUESTION_MAX))
    answer: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(String(DEPARTMENT_MAX))
    keywords: Mapped[str] = mapped_column(String(KEYWORDS_MAX), default="")
