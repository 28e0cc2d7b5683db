"""Console accounts: people with one or more roles (agent, supervisor, admin)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base

ROLES = ("agent", "supervisor", "admin")
ROLE_LABELS = {"agent": "坐席", "supervisor": "班长/质检", "admin": "管理员"}


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)
