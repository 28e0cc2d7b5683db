"""`console_setting`: settings an admin edits at runtime (pause reasons, keyword rules), one JSON value per key.

The config file gives the defaults; a row here overrides them and survives a restart.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base


class ConsoleSetting(Base):
    __tablename__ = "console_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(64), default="")
