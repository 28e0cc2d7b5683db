"""Console accounts: people with one or more roles (agent, supervisor, admin, department staff)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base

ROLES = ("agent", "supervisor", "admin", "department", "department_lead")
ROLE_LABELS = {"agent": "坐席", "supervisor": "班长/质检", "admin": "管理员", "department": "承办人",
               "department_lead": "单位负责人"}
DEPARTMENT_ROLES = frozenset({"department", "department_lead"})
"""承办单位 staff: each such account belongs to exactly one department (User.department_code)."""


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    roles: Mapped[str] = mapped_column(String(64))  # comma-separated subset of ROLES
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The agent's phone as Asterisk names it (e.g. PJSIP/8001): QueueAdd Interface and StateInterface.
    phone_interface: Mapped[str | None] = mapped_column(String(128), nullable=True, default=None)
    # The 承办单位 a department user works for (ticket_department.code); None for center staff.
    department_code: Mapped[str | None] = mapped_column(String(32), nullable=True, default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # When the password was last set (policy expiry); None for accounts made before it was kept.
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True,
                                                                 default=None)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class PasswordHistory(Base):
    """Hashes of a user's earlier passwords, newest kept, so the policy can refuse their reuse."""

    __tablename__ = "password_history"
    __table_args__ = (Index("ix_password_history_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    password_hash: Mapped[str] = mapped_column(String(256))
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
