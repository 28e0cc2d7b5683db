"""Server-side console sessions. The cookie holds a random token; the table holds only its
keyed hash, so a copy of the database does not yield usable sessions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class ConsoleSession(Base):
    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # HMAC-SHA256(session key, token) hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # absolute lifetime
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # idle timeout
    ip: Mapped[str] = mapped_column(String(64), default="")


class LoginAttempt(Base):
    """A login attempt the shared limiter let through (`flight`) or that failed (`failed`), so every
    engine process on one database counts the same failures (issue 11.3). A success deletes the
    pair's rows; `at` is when it started, or when it failed."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_username_address", "username", "address"),
                      Index("ix_login_attempt_address_at", "address", "at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))  # lower-cased
    address: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(8))  # flight | failed
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
